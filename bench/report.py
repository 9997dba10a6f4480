"""docs/benchmarks.json (exactly the issue's keys) and docs/benchmarks.md (the same figures, the ratios
against the issue's targets with PASS/FAIL, and the details a reader needs to trust them)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.backtest import BACKTEST_MONTHS
from bench.common import ROOT

# docs/benchmarks.json's keys, in order, with their units: issue 15's list. A measurement adds its key(s) here.
KEYS = {
    "cores": "",
    "date": "",
    "healthz_rps": "req/s",
    "signed_in_floor_rps": "req/s",
    "signed_in_floor_p50_ms": "ms",
    "page_small_rps": "req/s",
    "page_large_rps": "req/s",
    "partial_rps": "req/s",
    "whatif_rps": "req/s",
    "page_sql_floor_small_ms": "ms",
    "page_sql_floor_large_ms": "ms",
    "computed_partial_small_p50_ms": "ms",
    "computed_partial_large_p50_ms": "ms",
    "import_rows": "rows",
    "import_s": "s",
    "import_copy_floor_s": "s",
    "import_peak_rss_mb": "MB",
    "api_bulk_upsert_s": "s",
    "snapshot_s": "s",
    "snapshot_sql_floor_s": "s",
    "snapshot_rerun_rows_written": "rows",
    "snapshot_1k_s": "s",
    "snapshot_10k_s": "s",
    "worker_rss_1k_mb": "MB",
    "worker_rss_10k_mb": "MB",
    "digests": "emails",
    "digests_s": "s",
    "web_rss_mb": "MB",
    "worker_rss_mb": "MB",
    "report_compute_s": "s",
    "backtest_s": "s",
}


@dataclass(frozen=True)
class Target:
    label: str
    measured: Callable[[dict], float | None]  # the ratio or figure compared
    limit: float
    at_most: bool  # True: measured ≤ limit passes; False: measured ≥ limit passes
    shown: str  # how the measured value is built, for the reader


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def _sum(*values: float | None) -> float | None:
    return None if any(value is None for value in values) else sum(values)


def _times(factor: float, value: float | None) -> float | None:
    return None if value is None else factor * value


def _vs_floor(key: str, at_least: float, label: str) -> Target:
    return Target(f"{label}: req/s vs the signed-in floor", lambda r: _ratio(r[key], r["signed_in_floor_rps"]),
                  at_least, False, f"{key} / signed_in_floor_rps")


def _computed(size: str) -> Target:
    return Target(
        f"Team Performance partial after an edit, {size} org: p50 vs (signed-in floor p50 + its page SQL floor)",
        lambda r: _ratio(r[f"computed_partial_{size}_p50_ms"],
                         _sum(r["signed_in_floor_p50_ms"], r[f"page_sql_floor_{size}_ms"])),
        4.0, True, f"computed_partial_{size}_p50_ms / (signed_in_floor_p50_ms + page_sql_floor_{size}_ms)",
    )


# Issue 15's targets and issue 19's backtest, ratios within one run.
TARGETS = (
    _vs_floor("page_small_rps", 0.75, "Cached Team Performance page, small org"),
    _vs_floor("page_large_rps", 0.75, "Cached Team Performance page, large org"),
    _vs_floor("partial_rps", 0.75, "Cached Team Performance partial (htmx), small org"),
    _vs_floor("whatif_rps", 0.30, "What-If, a new scenario every request, small org"),
    _computed("small"),
    _computed("large"),
    Target("Actuals import of 14,400 rows vs COPY of the same rows", lambda r: _ratio(r["import_s"],
           r["import_copy_floor_s"]), 5.0, True, "import_s / import_copy_floor_s"),
    Target("Actuals import: peak RSS (MB)", lambda r: r["import_peak_rss_mb"], 300.0, True, "import_peak_rss_mb"),
    Target("API bulk upsert of the same rows in one request vs the actuals import",
           lambda r: _ratio(r["api_bulk_upsert_s"], r["import_s"]), 2.0, True, "api_bulk_upsert_s / import_s"),
    Target("Snapshot job (all orgs) vs one set-based SQL statement",
           lambda r: _ratio(r["snapshot_s"], r["snapshot_sql_floor_s"]), 3.0, True,
           "snapshot_s / snapshot_sql_floor_s"),
    Target("Snapshot job re-run: rows written", lambda r: r["snapshot_rerun_rows_written"], 0, True,
           "snapshot_rerun_rows_written"),
    Target("Snapshot job, 10,001 vs 1,001 organizations: time", lambda r: _ratio(r["snapshot_10k_s"],
           r["snapshot_1k_s"]), 11.0, True, "snapshot_10k_s / snapshot_1k_s"),
    Target("Snapshot job, 10,001 vs 1,001 organizations: worker RSS", lambda r: _ratio(r["worker_rss_10k_mb"],
           r["worker_rss_1k_mb"]), 1.25, True, "worker_rss_10k_mb / worker_rss_1k_mb"),
    Target("Digests: seconds per 1,000 with one worker",
           lambda r: _ratio(None if r["digests_s"] is None else r["digests_s"] * 1000, r["digests"]),
           60.0, True, "digests_s x 1000 / digests"),
    Target("Memory: one gunicorn worker at peak (MB)", lambda r: r["web_rss_mb"], 200.0, True, "web_rss_mb"),
    Target("Memory: one Celery worker process at peak (MB)", lambda r: r["worker_rss_mb"], 250.0, True,
           "worker_rss_mb"),
    Target("Backtest of 36 months, large org, vs 36 of its one-month reports (issue 19)",
           lambda r: _ratio(r["backtest_s"], _times(BACKTEST_MONTHS, r["report_compute_s"])), 1.5, True,
           f"backtest_s / ({BACKTEST_MONTHS} x report_compute_s)"),
)


def verdicts(results: dict) -> list[tuple[Target, float | None, str]]:
    rows = []
    for target in TARGETS:
        value = target.measured(results)
        if value is None:
            verdict = "N/A"
        elif target.at_most:
            verdict = "PASS" if value <= target.limit else "FAIL"
        else:
            verdict = "PASS" if value >= target.limit else "FAIL"
        rows.append((target, value, verdict))
    return rows


def _fmt(value: object, places: int = 2) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:,.{places}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _places(key: str, value: object) -> int:
    """Seconds to the millisecond, and a few milliseconds (one report) to the microsecond."""
    if not key.endswith("_s"):
        return 2
    return 6 if isinstance(value, float) and value < 0.1 else 3


def write(results: dict, *, sections: list[str], docs: Path | None = None) -> tuple[Path, Path]:
    """`results` holds the KEYS (a key not measured is null); `sections` are extra Markdown blocks (load details,
    floors, profile, setup)."""
    docs = docs or ROOT / "docs"
    docs.mkdir(exist_ok=True)
    ordered = {key: results.get(key) for key in KEYS}
    json_path = docs / "benchmarks.json"
    json_path.write_text(json.dumps(ordered, indent=2) + "\n")
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run.py, bench/README.md); do not edit by hand. The same figures are in",
        "`docs/benchmarks.json`. Every ratio compares figures from this one run on this one machine.",
        "",
        f"**Machine:** {results['cores']} cores · **run:** {results['date']}",
        "",
        "## Absolute figures",
        "",
        "| key | value | unit |",
        "|---|---:|---|",
        *[f"| `{key}` | {_fmt(ordered[key], _places(key, ordered[key]))} | {KEYS[key]} |" for key in KEYS],
        "",
        "## Targets (issues 15 and 19)",
        "",
        "| target | measured as | ratio / figure | target | result |",
        "|---|---|---:|---:|---|",
    ]
    for target, value, verdict in verdicts(ordered):
        bound = f"{'≤' if target.at_most else '≥'} {_fmt(float(target.limit), 2)}"
        lines.append(f"| {target.label} | `{target.shown}` | {_fmt(value, 3)} | {bound} | **{verdict}** |")
    lines += [
        "| Page and partial query counts constant in reps and months | tests, not timings "
        "(`tests/oteapp/test_report_queries.py`, `test_read_queries.py`, view tests) | — | constant "
        "| see `make test` |",
        "",
        *sections,
    ]
    md_path = docs / "benchmarks.md"
    md_path.write_text("\n".join(lines).rstrip() + "\n")
    return md_path, json_path
