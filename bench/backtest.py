"""Plan modeling's cost (SPEC section 15): a 36-month backtest of the large organization against its one-month
report, both computed in-process after `django.setup()` on the benchmark's database.

- `report_compute_s`: the engine's `compute_report` for one month of the large organization, its inputs (the
  configuration, the month's actuals and active reps) already loaded; the median of `repeats` runs.
- `backtest_s`: a backtest of the plan in force over the last 36 months with actuals, loading included (the
  set-based loader, `selectors.backtest_history_get`: five queries whatever the months and reps); the median of
  `repeats` runs.

The target is backtest_s <= 1.5 x 36 x report_compute_s: loading is set-based, so a backtest costs about what
its 36 reports cost.
"""

from __future__ import annotations

import statistics
import time
from datetime import date

BACKTEST_MONTHS = 36


def _median_seconds(run, repeats: int) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def measure_backtest(*, slug: str, month: date, repeats: int = 5) -> dict[str, float]:
    """{"report_compute_s", "backtest_s", "backtest_months", "backtest_ratio"} for the organization `slug` (the
    report of `month`; the backtest of the last BACKTEST_MONTHS months with actuals). The ratio is
    backtest_s / (months x report_compute_s), to compare with 1.5."""
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
        report_s = _median_seconds(
            lambda: engine.compute_report(config=config, month=month, actuals=actuals, active_reps=active), repeats
        )
        months_used = []

        def backtest() -> None:
            loaded = backtest_history_get(organization=organization, months=BACKTEST_MONTHS)
            engine.backtest(loaded.config, loaded.history)
            months_used[:] = [len(loaded.history)]

        backtest_s = _median_seconds(backtest, repeats)
    return {
        "report_compute_s": report_s,
        "backtest_s": backtest_s,
        "backtest_months": months_used[0],
        "backtest_ratio": backtest_s / (months_used[0] * report_s) if months_used[0] and report_s else None,
    }
