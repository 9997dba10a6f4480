"""Backtest: a candidate plan run through the engine over months of real actuals (SPEC section 15).

Each month is ``compute_report`` of the candidate configuration on that month's actuals (its figures: the
insights, which no backtest figure reads, are left out), nothing else: comp is
base + commission (adjustments are not performance), revenue is SPEC section 4's, EBITDA subtracts the
candidate's operating expenses once per month.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from oteapp.gc_pause import gc_paused

from .calc import compute_report
from .numbers import ENGINE_CONTEXT, MONEY, RATIO, as_float, div, dsum
from .report import Report
from .types import COMP_MIXED, COMP_MODELS, KINDS, MonthActuals, OrgConfig, RepPlan

TWO = Decimal(2)


class PlanError(ValueError):
    """A candidate plan the backtest refuses; ``field`` names the offending figure (e.g.
    ``roles.closer.monthly_quota``, ``reps.12.plan.commission_rate``, ``organization.deal_value``)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _check(value: Decimal, field: str, *, positive: bool = False, at_most: Decimal | None = None) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise PlanError(field, "must be a number")
    if positive and value <= 0:
        raise PlanError(field, "must be greater than zero")
    if value < 0:
        raise PlanError(field, "must not be negative")
    if at_most is not None and value > at_most:
        raise PlanError(field, f"must be at most {at_most}")


def _check_plan_figures(plan: RepPlan, prefix: str, mixed: bool) -> None:
    for name in plan.overridden():
        _check(getattr(plan, name), f"{prefix}.{name}", positive=name == "monthly_quota")
    if mixed and plan.annual_ote is not None and plan.annual_base is not None and plan.annual_base > plan.annual_ote:
        raise PlanError(f"{prefix}.annual_base", "must not exceed the annual OTE")


def validate_plan(config: OrgConfig) -> None:
    """Raise PlanError unless ``config`` is a plan the engine can backtest: known comp model and kinds, unique role
    keys, no negative figure, every quota (role or rep) above zero, a meeting-to-deal rate of at most 1, a base
    not above the OTE (mixed model), ramp fractions and accelerator tiers not negative."""
    if config.comp_model not in COMP_MODELS:
        raise PlanError("organization.comp_model", f"must be one of {', '.join(COMP_MODELS)}")
    _check(config.deal_value, "organization.deal_value")
    _check(config.meeting_to_deal_rate, "organization.meeting_to_deal_rate", at_most=Decimal(1))
    _check(config.monthly_operating_expenses, "organization.monthly_operating_expenses")
    mixed = config.comp_model == COMP_MIXED
    seen: set[str] = set()
    for role in config.roles:
        prefix = f"roles.{role.key}"
        if role.key in seen:
            raise PlanError(prefix, "role keys must be unique")
        seen.add(role.key)
        if role.kind not in KINDS:
            raise PlanError(f"{prefix}.kind", f"must be one of {', '.join(KINDS)}")
        _check(role.annual_ote, f"{prefix}.annual_ote")
        _check(role.annual_base, f"{prefix}.annual_base")
        if mixed and role.annual_base > role.annual_ote:
            raise PlanError(f"{prefix}.annual_base", "must not exceed the annual OTE")
        _check(role.monthly_quota, f"{prefix}.monthly_quota", positive=True)
        _check(role.commission_rate, f"{prefix}.commission_rate")
        _check(role.monthly_draw, f"{prefix}.monthly_draw")
        for index, step in enumerate(role.ramp):
            _check(step, f"{prefix}.ramp.{index}")
        for index, tier in enumerate(role.accelerators):
            _check(tier.from_attainment, f"{prefix}.accelerators.{index}.from")
            _check(tier.multiplier, f"{prefix}.accelerators.{index}.multiplier")
    for rep_id, plan in config.rep_plans.items():
        _check_plan_figures(plan, f"reps.{rep_id}.plan", mixed)


def median(values: Sequence[Decimal]) -> Decimal | None:
    """The median of ``values``, already sorted: the middle one, or the mean of the middle two when even."""
    count = len(values)
    if not count:
        return None
    middle = count // 2
    if count % 2:
        return values[middle]
    return (values[middle - 1] + values[middle]) / TWO


@dataclass(frozen=True)
class BacktestFigures:
    """A backtest's figures for one month, or in total over its months (``month`` None)."""

    month: date | None
    comp: Decimal  # base + commission
    revenue: Decimal
    comp_pct_of_revenue: Decimal | None
    ebitda: Decimal
    rep_months: int  # reps with an actuals row (over the months, for the total)
    rep_months_at_or_above_ote: int  # earnings >= ramped OTE (> 0)
    median_rep_ote_attainment: Decimal | None  # over rep-months with an OTE

    def to_dict(self) -> dict[str, Any]:
        """T of SPEC section 15's optimize contract (and ``month`` for a month's figures)."""
        data: dict[str, Any] = {} if self.month is None else {"month": f"{self.month:%Y-%m}"}
        data.update(
            {
                "comp": as_float(self.comp, MONEY),
                "revenue": as_float(self.revenue, MONEY),
                "comp_pct_of_revenue": as_float(self.comp_pct_of_revenue, RATIO),
                "ebitda": as_float(self.ebitda, MONEY),
                "rep_months_at_or_above_ote": self.rep_months_at_or_above_ote,
                "median_rep_ote_attainment": as_float(self.median_rep_ote_attainment, RATIO),
            }
        )
        return data


@dataclass(frozen=True)
class Backtest:
    months: tuple[BacktestFigures, ...]
    total: BacktestFigures

    def to_dict(self) -> dict[str, Any]:
        return {"months": [month.to_dict() for month in self.months], "total": self.total.to_dict()}


def backtest_to_json(result: Backtest) -> str:
    return json.dumps(result.to_dict(), indent=2)


def _attainments(report: Report) -> tuple[list[Decimal], int, int]:
    """(the month's rep OTE attainments, sorted; rep-months; rep-months at or above OTE)."""
    attainments = []
    at_or_above = count = 0
    for role in report.roles:
        for rep in role.reps:
            count += 1
            if rep.ote_attainment is not None:
                attainments.append(rep.ote_attainment)
                # Earnings against OTE, not the rounded-by-division ratio against 1.
                if rep.earnings >= rep.ote:
                    at_or_above += 1
    attainments.sort()
    return attainments, count, at_or_above


def backtest_reports(reports: Iterable[Report]) -> Backtest:
    """The backtest figures of month reports already computed with the plan being tested (in month order)."""
    with localcontext(ENGINE_CONTEXT):
        months = []
        every: list[Decimal] = []
        for report in reports:
            summary = report.summary
            attainments, count, at_or_above = _attainments(report)
            every += attainments
            months.append(
                BacktestFigures(
                    month=report.month,
                    comp=summary.total_actual,
                    revenue=summary.revenue,
                    comp_pct_of_revenue=summary.comp_pct_of_revenue,
                    ebitda=summary.ebitda,
                    rep_months=count,
                    rep_months_at_or_above_ote=at_or_above,
                    median_rep_ote_attainment=median(attainments),
                )
            )
        comp = dsum(month.comp for month in months)
        revenue = dsum(month.revenue for month in months)
        every.sort()  # sorted runs: timsort merges them in about linear time
        total = BacktestFigures(
            month=None,
            comp=comp,
            revenue=revenue,
            comp_pct_of_revenue=div(comp, revenue),
            ebitda=dsum(month.ebitda for month in months),
            rep_months=sum(month.rep_months for month in months),
            rep_months_at_or_above_ote=sum(month.rep_months_at_or_above_ote for month in months),
            median_rep_ote_attainment=median(every),
        )
        return Backtest(months=tuple(months), total=total)


def backtest_month_reports(config: OrgConfig, history: Sequence[MonthActuals]) -> list[Report]:
    """Each month's report of ``config`` on the history, in month order (validating the plan once), without
    insights."""
    validate_plan(config)
    with gc_paused():
        return [
            compute_report(config=config, month=month.month, actuals=month.actuals, insights=False)
            for month in sorted(history, key=lambda month: month.month)
        ]


def backtest(config: OrgConfig, history: Sequence[MonthActuals]) -> Backtest:
    """Run ``config`` (the plan in force or a candidate) over the months of ``history``: per month and in total,
    comp, revenue, comp % of revenue, EBITDA, rep-months at or above OTE and the median rep OTE attainment.
    Raises PlanError for a plan that cannot be backtested (see validate_plan)."""
    validate_plan(config)
    # One report at a time: a month's report is dropped once its figures are taken.
    with gc_paused():
        return backtest_reports(
            compute_report(config=config, month=month.month, actuals=month.actuals, insights=False)
            for month in sorted(history, key=lambda month: month.month)
        )


def select_history(history: Sequence[MonthActuals], months: int) -> tuple[MonthActuals, ...]:
    """The last ``months`` months of ``history`` that have an actuals row, in month order."""
    with_actuals = sorted((month for month in history if month.actuals), key=lambda month: month.month)
    return tuple(with_actuals[-months:]) if months > 0 else ()


__all__ = [
    "Backtest",
    "BacktestFigures",
    "PlanError",
    "backtest",
    "backtest_month_reports",
    "backtest_reports",
    "backtest_to_json",
    "median",
    "select_history",
    "validate_plan",
]
