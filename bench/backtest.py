"""Plan modeling's cost (SPEC section 15): a 36-month backtest of the large organization against its one-month
report, both computed in-process after `django.setup()` on the benchmark's database.

`measure` is `make bench`'s (bench/README.md, "Adding a measurement").

- `report_compute_s`: the engine's `compute_report` for one month of the large organization, its inputs (the
  configuration, the month's actuals and active reps) already loaded; the median of `report_repeats` runs.
- `backtest_s`: a backtest of the plan in force over the last 36 months with actuals, loading included (the
  set-based loader, `selectors.backtest_history_get`: six queries whatever the months and reps); the median of
  `repeats` runs.

The target is backtest_s <= 1.5 x 36 x report_compute_s: loading is set-based, so a backtest costs about what
its 36 reports cost.
"""

from __future__ import annotations

import statistics
import time
from datetime import date

from bench.common import log
from bench.context import Bench, Measured

BACKTEST_MONTHS = 36
REPEATS = 5
# A report takes about 2 ms, a backtest about 100: the report's median needs more runs to be as steady (a single
# interruption of 2 ms doubles one run).
REPORT_REPEATS = 25


def _timings(run, repeats: int) -> list[float]:
    """Seconds of each of `repeats` runs, after one that is not counted: the first call in the process pays what
    a long-lived worker paid once (lazy imports, the first statements of a PostgreSQL backend)."""
    run()
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return timings


def measure_backtest(
    *, slug: str, month: date, repeats: int = REPEATS, report_repeats: int = REPORT_REPEATS
) -> dict[str, object]:
    """{"report_compute_s", "backtest_s", "backtest_months", "backtest_ratio", "report_runs", "backtest_runs"}
    for the organization `slug` (the report of `month`; the backtest of the last BACKTEST_MONTHS months with
    actuals). The ratio is backtest_s / (months x report_compute_s), to compare with 1.5; the runs are every
    timing, in order."""
    from accounts.models import Organization
    from accounts.tenancy import organization_context
    from oteapp import engine
    from oteapp.selectors import (
        backtest_history_get,
        month_active_reps_get,
        month_actuals_get,
        organization_config_get,
    )

    organization = Organization.objects.get(slug=slug)
    with organization_context(organization):
        config = organization_config_get(organization=organization)
        actuals = month_actuals_get(organization=organization, month=month)
        active = month_active_reps_get(organization=organization, month=month)
        report_runs = _timings(
            lambda: engine.compute_report(config=config, month=month, actuals=actuals, active_reps=active),
            report_repeats,
        )
        months_used = []

        def backtest() -> None:
            loaded = backtest_history_get(organization=organization, months=BACKTEST_MONTHS)
            engine.backtest(loaded.config, loaded.history)
            months_used[:] = [len(loaded.history)]

        backtest_runs = _timings(backtest, repeats)
    report_s, backtest_s = statistics.median(report_runs), statistics.median(backtest_runs)
    return {
        "report_compute_s": report_s,
        "backtest_s": backtest_s,
        "backtest_months": months_used[0],
        "backtest_ratio": backtest_s / (months_used[0] * report_s) if months_used[0] and report_s else None,
        "report_runs": report_runs,
        "backtest_runs": backtest_runs,
    }


def measure(bench: Bench) -> Measured:
    """backtest_s and report_compute_s of the large organization, in this process (Django is set up on the
    benchmark's database); the report is the month the pages show."""
    data = bench.data
    found = measure_backtest(slug=data.large_slug, month=data.month)
    months, ratio = found["backtest_months"], found["backtest_ratio"]
    log(f"backtest of {months} months: {found['backtest_s'] * 1000:.1f} ms, one month's report "
        f"{found['report_compute_s'] * 1000:.2f} ms (ratio {ratio:.2f})")

    def runs(key: str) -> str:
        return ", ".join(f"{seconds * 1000:.1f}" for seconds in found[key])

    return Measured(
        values={"report_compute_s": round(found["report_compute_s"], 6), "backtest_s": round(found["backtest_s"], 6)},
        lines=[
            "## Backtest (issue 19)",
            "",
            "In the benchmark's process, production settings, the large organization. `report_compute_s`: the "
            f"engine's `compute_report` for {data.month:%B %Y} (what the Team Performance page computes), its inputs "
            "already loaded; `backtest_s`: `backtest_history_get` (loading, one query for every row of the months) "
            f"and `engine.backtest` of the plan in force over its last {months} months with actuals. Medians of "
            f"{REPORT_REPEATS} and {REPEATS} runs, each after one not counted; ratio backtest_s / ({months} x "
            f"report_compute_s) = {ratio:.2f}.",
            "",
            f"- Report, each run (ms): {runs('report_runs')}",
            f"- Backtest, each run (ms): {runs('backtest_runs')}",
            "",
        ],
    )
