"""docs/benchmarks.json (exactly the issue's keys) and docs/benchmarks.md (the same figures, the ratios
against the issue's targets with PASS/FAIL, and the details a reader needs to trust them)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.common import ROOT

KEYS = (
    "cores", "date", "healthz_rps", "healthz_p50_ms", "page_small_rps", "page_large_rps", "partial_rps",
    "whatif_rps", "page_p50_ms", "sql_floor_ms", "snapshot_s", "snapshot_sql_floor_s",
    "snapshot_rerun_rows_written", "digests", "digests_s", "web_rss_mb", "worker_rss_mb",
)


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


TARGETS = (
    Target("Team Performance page, small org: req/s vs /healthz",
           lambda r: _ratio(r["page_small_rps"], r["healthz_rps"]),
           0.30, False, "page_small_rps / healthz_rps"),
    Target("Team Performance page, large org: req/s vs /healthz",
           lambda r: _ratio(r["page_large_rps"], r["healthz_rps"]),
           0.15, False, "page_large_rps / healthz_rps"),
    Target("Team Performance partial (htmx): req/s vs /healthz",
           lambda r: _ratio(r["partial_rps"], r["healthz_rps"]),
           0.40, False, "partial_rps / healthz_rps"),
    Target("What-If recalculation: req/s vs /healthz", lambda r: _ratio(r["whatif_rps"], r["healthz_rps"]),
           0.40, False, "whatif_rps / healthz_rps"),
    Target("Page p50 at one client vs (/healthz p50 + SQL floor)",
           lambda r: _ratio(r["page_p50_ms"], (r["healthz_p50_ms"] or 0) + (r["sql_floor_ms"] or 0)),
           3.0, True, "page_p50_ms / (healthz_p50_ms + sql_floor_ms)"),
    Target("Snapshot job (all orgs) vs one set-based SQL statement",
           lambda r: _ratio(r["snapshot_s"], r["snapshot_sql_floor_s"]), 3.0, True,
           "snapshot_s / snapshot_sql_floor_s"),
    Target("Snapshot job re-run: rows written", lambda r: r["snapshot_rerun_rows_written"], 0, True,
           "snapshot_rerun_rows_written"),
    Target("Digests: seconds per 1,000 with one worker", lambda r: _ratio((r["digests_s"] or 0) * 1000, r["digests"]),
           60.0, True, "digests_s x 1000 / digests"),
    Target("Memory: one gunicorn worker at peak (MB)", lambda r: r["web_rss_mb"], 200.0, True, "web_rss_mb"),
    Target("Memory: the Celery worker at peak (MB)", lambda r: r["worker_rss_mb"], 250.0, True, "worker_rss_mb"),
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


def write(results: dict, *, sections: list[str], docs: Path | None = None) -> tuple[Path, Path]:
    """`results` holds the KEYS; `sections` are extra Markdown blocks (load details, floors, profile, setup)."""
    docs = docs or ROOT / "docs"
    docs.mkdir(exist_ok=True)
    ordered = {key: results.get(key) for key in KEYS}
    json_path = docs / "benchmarks.json"
    json_path.write_text(json.dumps(ordered, indent=2) + "\n")
    units = {
        "cores": "", "date": "", "healthz_rps": "req/s", "healthz_p50_ms": "ms", "page_small_rps": "req/s",
        "page_large_rps": "req/s", "partial_rps": "req/s", "whatif_rps": "req/s", "page_p50_ms": "ms",
        "sql_floor_ms": "ms", "snapshot_s": "s", "snapshot_sql_floor_s": "s", "snapshot_rerun_rows_written": "rows",
        "digests": "emails", "digests_s": "s", "web_rss_mb": "MB", "worker_rss_mb": "MB",
    }
    lines = [
        "# Benchmarks",
        "",
        "Written by `make bench` (bench/run.py, issue 7); do not edit by hand. The same figures are in",
        "`docs/benchmarks.json`. Every ratio compares figures from this one run on this one machine.",
        "",
        f"**Machine:** {results['cores']} cores · **run:** {results['date']}",
        "",
        "## Absolute figures",
        "",
        "| key | value | unit |",
        "|---|---:|---|",
        *[f"| `{key}` | {_fmt(ordered[key], 3 if key.endswith('_s') else 2)} | {units[key]} |" for key in KEYS],
        "",
        "## Targets (issue 7)",
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
