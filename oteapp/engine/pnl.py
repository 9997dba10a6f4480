"""The P&L of SPEC section 4 per month and over a span of months, from the engine's reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from .numbers import div, dsum
from .report import Report


@dataclass(frozen=True)
class PnlRoleLine:
    key: str
    name: str
    commission: Decimal
    base: Decimal
    total: Decimal


@dataclass(frozen=True)
class PnlPeriod:
    month: date | None  # None for a total over several months
    has_actuals: bool
    revenue: Decimal
    roles: tuple[PnlRoleLine, ...]
    total_compensation: Decimal
    operating_expenses: Decimal
    ebitda: Decimal
    margin: Decimal | None  # EBITDA / revenue
    comp_pct_of_revenue: Decimal | None


def pnl_period(report: Report) -> PnlPeriod:
    """One month's P&L: revenue, each role's commission and base, opex, EBITDA and margin."""
    summary = report.summary
    roles = tuple(
        PnlRoleLine(
            key=role.key,
            name=role.name,
            commission=dsum(rep.commission for rep in role.reps),
            base=dsum(rep.base for rep in role.reps),
            total=role.team_actual,
        )
        for role in report.roles
    )
    return PnlPeriod(
        month=report.month,
        has_actuals=summary.headcount > 0,
        revenue=summary.revenue,
        roles=roles,
        total_compensation=summary.total_actual,
        operating_expenses=summary.operating_expenses,
        ebitda=summary.ebitda,
        margin=div(summary.ebitda, summary.revenue),
        comp_pct_of_revenue=summary.comp_pct_of_revenue,
    )


def pnl_total(periods: Sequence[PnlPeriod], *, roles: Sequence[PnlRoleLine]) -> PnlPeriod:
    """The sum of several months' P&L; `roles` gives the role lines' order (periods share it)."""
    role_lines = tuple(
        PnlRoleLine(
            key=line.key,
            name=line.name,
            commission=dsum(p.roles[index].commission for p in periods),
            base=dsum(p.roles[index].base for p in periods),
            total=dsum(p.roles[index].total for p in periods),
        )
        for index, line in enumerate(roles)
    )
    revenue = dsum(p.revenue for p in periods)
    compensation = dsum(p.total_compensation for p in periods)
    ebitda = dsum(p.ebitda for p in periods)
    return PnlPeriod(
        month=None,
        has_actuals=bool(periods),
        revenue=revenue,
        roles=role_lines,
        total_compensation=compensation,
        operating_expenses=dsum(p.operating_expenses for p in periods),
        ebitda=ebitda,
        margin=div(ebitda, revenue),
        comp_pct_of_revenue=div(compensation, revenue),
    )


def change(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """Month-over-month change of a figure; None when either month is unknown."""
    return None if current is None or previous is None else current - previous
