"""Periods: quarters and year to date (SPEC section 14), and the period report over their months.

Fiscal years are named by the calendar year in which they END, the convention of most companies that do not
follow the calendar (Salesforce's FY2026 runs February 2025 to January 2026; Microsoft's July 2025 to June 2026),
so sales-ops users read "2026-Q1" as their finance team does. With the default start month, January, the fiscal
year is the calendar year. Quarters are the fiscal year's consecutive three-month blocks: with a February start,
2026-Q1 is February to April 2025.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from .calc import compute_report, plan_economics, status_for, summary_from
from .numbers import ENGINE_CONTEXT, ZERO, div, dsum
from .report import Insight, Report, RepReport, RoleReport, Summary, build
from .types import MonthInputs, OrgConfig

PERIOD_MONTH = "month"
PERIOD_QUARTER = "quarter"
PERIOD_YTD = "ytd"

# ASCII: \d would take any script's digits (Arabic-Indic, fullwidth), and the label is echoed as it was written.
_MONTH_LABEL = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)
_QUARTER_LABEL = re.compile(r"^(\d{4})-[Qq]([1-4])$", re.ASCII)
_YTD_LABEL = re.compile(r"^(\d{4})-(?:ytd|YTD)$", re.ASCII)
# The months a period may hold, as oteapp.months.parse_month reads them: a report also needs the month after the
# last one to exist, and date() stops at 9999.
FIRST_MONTH, LAST_MONTH = date(1900, 1, 1), date(9998, 12, 1)


class PeriodError(ValueError):
    """A period that cannot be read or does not exist; ``field`` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _check_start(fiscal_year_start: int) -> None:
    if not isinstance(fiscal_year_start, int) or not 1 <= fiscal_year_start <= 12:
        raise PeriodError("fiscal_year_start", "the fiscal year start month is a month number from 1 to 12")


def fiscal_year_of(month: date, fiscal_year_start: int = 1) -> int:
    """The fiscal year ``month`` belongs to, named by the calendar year in which that fiscal year ends."""
    _check_start(fiscal_year_start)
    return month.year + 1 if fiscal_year_start > 1 and month.month >= fiscal_year_start else month.year


def fiscal_year_months(fiscal_year: int, fiscal_year_start: int = 1) -> tuple[date, ...]:
    """The twelve months of a fiscal year, first of each month."""
    _check_start(fiscal_year_start)
    first = date(fiscal_year - 1 if fiscal_year_start > 1 else fiscal_year, fiscal_year_start, 1)
    return tuple(_month_add(first, offset) for offset in range(12))


def fiscal_quarter_of(month: date, fiscal_year_start: int = 1) -> tuple[int, int]:
    """(fiscal year, quarter 1-4) of ``month``."""
    year = fiscal_year_of(month, fiscal_year_start)
    offset = (month.month - fiscal_year_start) % 12
    return year, offset // 3 + 1


def quarter_months(fiscal_year: int, quarter: int, fiscal_year_start: int = 1) -> tuple[date, ...]:
    if quarter not in (1, 2, 3, 4):
        raise PeriodError("period", "a quarter is Q1 to Q4")
    return fiscal_year_months(fiscal_year, fiscal_year_start)[(quarter - 1) * 3 : quarter * 3]


def ytd_months(fiscal_year: int, fiscal_year_start: int = 1, *, through: date | None = None) -> tuple[date, ...]:
    """The fiscal year's months up to ``through``'s month (the whole year when ``through`` is None or after it).
    Raises PeriodError when the fiscal year has not begun by ``through``."""
    months = fiscal_year_months(fiscal_year, fiscal_year_start)
    if through is None:
        return months
    last = date(through.year, through.month, 1)
    if last < months[0]:
        raise PeriodError(
            "period", f"fiscal year {fiscal_year} begins in {months[0]:%Y-%m}, after {through.isoformat()}"
        )
    return tuple(month for month in months if month <= last)


@dataclass(frozen=True)
class Period:
    label: str  # "2026-10", "2026-Q3" or "2026-ytd"
    kind: str  # month | quarter | ytd
    months: tuple[date, ...]  # first of each month, in order
    fiscal_year: int | None = None  # quarters and year to date
    quarter: int | None = None


def parse_period(text: str, *, fiscal_year_start: int = 1, as_of: date | None = None) -> Period:
    """Read a period: ``YYYY-MM`` (a month), ``YYYY-Qn`` (fiscal quarter n of fiscal year YYYY) or ``YYYY-ytd``
    (fiscal year YYYY from its first month through ``as_of``'s month; the whole year without ``as_of``).
    Raises PeriodError naming what is wrong."""
    _check_start(fiscal_year_start)
    value = (text or "").strip()
    try:
        period = _period_read(value, fiscal_year_start=fiscal_year_start, as_of=as_of)
    except PeriodError:
        raise
    except ValueError:  # date() refuses the year (0000)
        period = None
    if not (period and period.months and period.months[0] >= FIRST_MONTH and period.months[-1] <= LAST_MONTH):
        raise PeriodError(
            "period", f"{value!r} is outside the calendar: periods run from {FIRST_MONTH:%Y-%m} to {LAST_MONTH:%Y-%m}"
        )
    return period


def _period_read(value: str, *, fiscal_year_start: int, as_of: date | None) -> Period:
    if match := _MONTH_LABEL.match(value):
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise PeriodError("period", f"{value!r}: there is no month {month:02d}")
        return Period(label=value, kind=PERIOD_MONTH, months=(date(year, month, 1),))
    if match := _QUARTER_LABEL.match(value):
        year, quarter = int(match[1]), int(match[2])
        return Period(
            label=f"{year:04d}-Q{quarter}",
            kind=PERIOD_QUARTER,
            months=quarter_months(year, quarter, fiscal_year_start),
            fiscal_year=year,
            quarter=quarter,
        )
    if match := _YTD_LABEL.match(value):
        year = int(match[1])
        return Period(
            label=f"{year:04d}-ytd",
            kind=PERIOD_YTD,
            months=ytd_months(year, fiscal_year_start, through=as_of),
            fiscal_year=year,
        )
    raise PeriodError("period", f"{value!r} is not a period: use YYYY-MM, YYYY-Q1 to YYYY-Q4 or YYYY-ytd")


def period_containing(month: date, kind: str, *, fiscal_year_start: int = 1) -> Period:
    """The month, fiscal quarter or year to date (through ``month``) that contains ``month``: what a period
    selector offers for "this quarter" or "this year"."""
    if kind == PERIOD_MONTH:
        return parse_period(f"{month:%Y-%m}")
    year, quarter = fiscal_quarter_of(month, fiscal_year_start)
    if kind == PERIOD_QUARTER:
        return parse_period(f"{year:04d}-Q{quarter}", fiscal_year_start=fiscal_year_start)
    if kind == PERIOD_YTD:
        return parse_period(f"{year:04d}-ytd", fiscal_year_start=fiscal_year_start, as_of=month)
    raise PeriodError("kind", f"a period is a {PERIOD_MONTH}, {PERIOD_QUARTER} or {PERIOD_YTD}")


# --- the period report ---------------------------------------------------------------------------


@dataclass(frozen=True)
class PeriodReport:
    """The report over several months (SPEC section 14), with the month report's summary and role types.

    Its reps are each rep's sums over the period within a role (``ramp_factor``: in the rep's last month with a
    row). Insights are empty: they are rules about one month."""

    period: str
    months: tuple[date, ...]  # the months with actuals it covers
    currency: str
    summary: Summary
    roles: tuple[RoleReport, ...]
    insights: tuple[Insight, ...] = ()

    def role(self, key: str) -> RoleReport:
        for role in self.roles:
            if role.key == key:
                return role
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        """The report contract (SPEC section 6) with ``period`` and ``months`` in place of ``month``."""
        return {
            "period": self.period,
            "months": [f"{month.year:04d}-{month.month:02d}" for month in self.months],
            "summary": self.summary.to_dict(),
            "roles": [role.to_dict() for role in self.roles],
            "insights": [insight.to_dict() for insight in self.insights],
        }


def period_report_to_json(report: PeriodReport) -> str:
    return json.dumps(report.to_dict(), indent=2)


_ROLE_SUMS = ("units", "quota", "ote", "actual", "revenue")


class _RepSums:
    __slots__ = ("base", "commission", "earnings", "name", "ote", "quota", "ramp_factor", "rep_id", "revenue", "units")

    def __init__(self, rep: RepReport) -> None:
        self.rep_id, self.name, self.ramp_factor = rep.rep_id, rep.name, rep.ramp_factor
        self.units, self.quota, self.ote, self.earnings = rep.units, rep.quota, rep.ote, rep.earnings
        self.base, self.commission, self.revenue = rep.base, rep.commission, rep.revenue

    def add(self, rep: RepReport) -> None:
        self.name, self.ramp_factor = rep.name, rep.ramp_factor
        self.units += rep.units
        self.quota += rep.quota
        self.ote += rep.ote
        self.earnings += rep.earnings
        self.base += rep.base
        self.commission += rep.commission
        self.revenue += rep.revenue

    def report(self, role_key: str, config: OrgConfig) -> RepReport:
        ote_attainment = div(self.earnings, self.ote)
        return build(
            RepReport,
            rep_id=self.rep_id,
            name=self.name,
            role_key=role_key,
            units=self.units,
            ramp_factor=self.ramp_factor,
            quota=self.quota,
            ote=self.ote,
            earnings=self.earnings,
            base=self.base,
            commission=self.commission,
            ote_attainment=ote_attainment,
            quota_attainment=div(self.units, self.quota),
            revenue=self.revenue,
            status=status_for(ote_attainment, config),
        )


def _role_order(configs: Sequence[OrgConfig]) -> list[tuple[str, OrgConfig]]:
    """Each role key with the latest configuration that has it: the last month's roles in their order, then roles
    of earlier months only (newest first)."""
    order: dict[str, OrgConfig] = {}
    for config in reversed(configs):
        for role in config.roles:
            order.setdefault(role.key, config)
    return list(order.items())


def period_report(*, period: str, reports: Sequence[tuple[OrgConfig, Report]]) -> PeriodReport:
    """Combine month reports, each computed with its own configuration (a closed month's pinned one), into the
    period report of SPEC section 14. Only months with actuals count (a month without a single actuals row adds
    no operating expenses); totals are sums, ratios are ratios of sums, per-person figures divide by the distinct
    reps counted, the team average attainment is the mean over reps of Σ earnings / Σ ramped OTE, configured
    figures and thresholds are those of the last month counted (for a role absent from it: of the last month
    that has it). Raises ValueError for no months or a repeated month."""
    if not reports:
        raise ValueError("a period report needs at least one month")
    ordered = sorted(reports, key=lambda pair: pair[1].month)
    if len({pair[1].month for pair in ordered}) != len(ordered):
        raise ValueError("each month may be given once")
    included = [pair for pair in ordered if pair[1].summary.headcount > 0]
    counted = included or ordered[-1:]
    last_config = counted[-1][0]
    with localcontext(ENGINE_CONTEXT):
        role_sums: dict[str, dict] = {}
        rep_sums: dict[str, dict[int | str, _RepSums]] = {}
        team: dict[int | str, list[Decimal]] = {}  # rep id -> [Σ earnings, Σ ramped OTE], over all roles
        for _, report in included:
            for role in report.roles:
                sums = role_sums.setdefault(role.key, dict.fromkeys(_ROLE_SUMS, ZERO))
                sums["units"] += role.actual_units
                sums["quota"] += role.team_quota
                sums["ote"] += role.team_ote
                sums["actual"] += role.team_actual
                sums["revenue"] += role.revenue
                reps = rep_sums.setdefault(role.key, {})
                for rep in role.reps:
                    if rep.rep_id in reps:
                        reps[rep.rep_id].add(rep)
                    else:
                        reps[rep.rep_id] = _RepSums(rep)
                    pair = team.setdefault(rep.rep_id, [ZERO, ZERO])
                    pair[0] += rep.earnings
                    pair[1] += rep.ote
        roles = []
        for key, config in _role_order([pair[0] for pair in counted]):
            reps = rep_sums.get(key, {})
            if config is not last_config and not reps:
                continue  # a role of an earlier month only, with nobody in the period
            roles.append(_period_role(key, config, last_config, role_sums.get(key), reps))
        summary = _period_summary([report for _, report in included], team)
        return PeriodReport(
            period=period,
            months=tuple(report.month for _, report in included),
            currency=last_config.currency,
            summary=summary,
            roles=tuple(roles),
        )


def _period_role(
    key: str, config: OrgConfig, thresholds: OrgConfig, sums: dict | None, reps: dict[int | str, _RepSums]
) -> RoleReport:
    plan = plan_economics(config, key)
    sums = sums or dict.fromkeys(_ROLE_SUMS, ZERO)
    headcount = len(reps)
    count = Decimal(headcount)
    gap = sums["actual"] - sums["ote"]
    ote_attainment = div(sums["actual"], sums["ote"])
    rep_reports = sorted(
        (rep.report(key, thresholds) for rep in reps.values()), key=lambda rep: (rep.name, str(rep.rep_id))
    )
    role = config.role(key)
    return build(
        RoleReport,
        key=key,
        name=role.name,
        kind=role.kind,
        headcount=headcount,
        monthly_ote=plan.monthly_ote,
        monthly_base=plan.monthly_base,
        monthly_quota=plan.monthly_quota,
        required_commission_per_unit=plan.required_commission_per_unit,
        configured_commission_per_unit=plan.configured_commission_per_unit,
        break_even_units=plan.break_even_units,
        recommended_annual_ote=plan.recommended_annual_ote,
        actual_units=sums["units"],
        actual_units_per_person=div(sums["units"], count),
        team_quota=sums["quota"],
        quota_attainment=div(sums["units"], sums["quota"]),
        ote_attainment=ote_attainment,
        team_ote=sums["ote"],
        team_actual=sums["actual"],
        team_gap=gap,
        gap_per_person=div(gap, count),
        status=status_for(ote_attainment, thresholds) if headcount else None,
        revenue=sums["revenue"],
        reps=tuple(rep_reports),
    )


def _period_summary(reports: Sequence[Report], team: dict[int | str, list[Decimal]]) -> Summary:
    return summary_from(
        attainments=[attainment for earned, ote in team.values() if (attainment := div(earned, ote)) is not None],
        total_ote=dsum(report.summary.total_ote for report in reports),
        total_actual=dsum(report.summary.total_actual for report in reports),
        revenue=dsum(report.summary.revenue for report in reports),
        ebitda=dsum(report.summary.ebitda for report in reports),
        headcount=len(team),
        operating_expenses=dsum(report.summary.operating_expenses for report in reports),
    )


def compute_period_report(*, period: str, months: Sequence[MonthInputs]) -> PeriodReport:
    """``period_report`` on month inputs: each month's report computed with its own configuration."""
    return period_report(
        period=period,
        reports=[
            (inputs.config, compute_report(config=inputs.config, month=inputs.month, actuals=inputs.actuals))
            for inputs in months
        ],
    )


__all__ = [
    "PERIOD_MONTH",
    "PERIOD_QUARTER",
    "PERIOD_YTD",
    "Period",
    "PeriodError",
    "PeriodReport",
    "compute_period_report",
    "fiscal_quarter_of",
    "fiscal_year_months",
    "fiscal_year_of",
    "parse_period",
    "period_containing",
    "period_report",
    "period_report_to_json",
    "quarter_months",
    "ytd_months",
]
