"""Pace of the open month (SPEC section 13) and "what if I close N more" for a rep.

Pace never has formulas of its own: the month's actuals are scaled to a whole month and ``compute_report``
does the rest, so accelerators, ramp and per-rep plans apply to the projection exactly as to the actuals.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from typing import Any

from .calc import compute_report
from .numbers import ENGINE_CONTEXT, MONEY, RATIO, UNITS, ZERO, as_float, dec
from .report import Report, RepReport
from .scenario import _replaced
from .types import KIND_CLOSER, KIND_SETTER, OrgConfig, RepMonth


def days_in_month(month: date) -> int:
    return calendar.monthrange(month.year, month.month)[1]


def pace_elapsed(month: date, as_of: date) -> Decimal | None:
    """The share of ``month`` elapsed on ``as_of`` (calendar days, today included: the 10th of a 31-day month is
    10/31), or None when ``as_of`` is not in that month: a past month shows actuals, never pace, and a month
    that has not begun has nothing to project."""
    if (as_of.year, as_of.month) != (month.year, month.month):
        return None
    with localcontext(ENGINE_CONTEXT):
        return Decimal(as_of.day) / Decimal(days_in_month(month))


def _units_to_quota(quota: Decimal, units: Decimal) -> Decimal:
    """ "N more units to reach quota": quota - units so far when positive, else 0 (reached)."""
    return max(quota - units, ZERO)


@dataclass(frozen=True)
class RepPace:
    """One rep's projection for the month: the engine's figures on the projected units."""

    rep_id: int | str
    as_of: date
    units: Decimal  # so far
    projected_units: Decimal
    projected_earnings: Decimal
    projected_ote_attainment: Decimal | None
    projected_quota_attainment: Decimal | None
    projected_status: str | None
    units_to_quota: Decimal  # ramped quota - units so far, 0 once reached

    def to_dict(self) -> dict[str, Any]:
        """The ``pace`` object of the statements contract (SPEC section 12)."""
        return {
            "as_of": self.as_of.isoformat(),
            "projected_units": as_float(self.projected_units, UNITS),
            "projected_earnings": as_float(self.projected_earnings, MONEY),
            "projected_ote_attainment": as_float(self.projected_ote_attainment, RATIO),
            "units_to_quota": as_float(self.units_to_quota, UNITS),
        }


@dataclass(frozen=True)
class RolePace:
    """A role's projection: the sums over its reps' projections (earnings, units) and the ratios of those sums."""

    key: str
    units: Decimal
    projected_units: Decimal
    projected_earnings: Decimal
    projected_ote_attainment: Decimal | None
    projected_quota_attainment: Decimal | None
    projected_status: str | None
    units_to_quota: Decimal  # Σ ramped quotas - Σ units so far, 0 once reached

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "projected_units": as_float(self.projected_units, UNITS),
            "projected_earnings": as_float(self.projected_earnings, MONEY),
            "projected_ote_attainment": as_float(self.projected_ote_attainment, RATIO),
            "projected_quota_attainment": as_float(self.projected_quota_attainment, RATIO),
            "units_to_quota": as_float(self.units_to_quota, UNITS),
            "projected_status": self.projected_status,
        }


@dataclass(frozen=True)
class TeamPace:
    """The team's projection (units of different roles do not add up, so money and ratios only)."""

    projected_earnings: Decimal
    projected_ote_attainment: Decimal | None
    projected_team_avg_attainment: Decimal | None
    projected_revenue: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "projected_earnings": as_float(self.projected_earnings, MONEY),
            "projected_ote_attainment": as_float(self.projected_ote_attainment, RATIO),
            "projected_team_avg_attainment": as_float(self.projected_team_avg_attainment, RATIO),
            "projected_revenue": as_float(self.projected_revenue, MONEY),
        }


@dataclass(frozen=True)
class MonthPace:
    month: date
    as_of: date
    elapsed: Decimal  # day of month / days in month
    projected: Report  # the whole report on the projected actuals
    reps: Mapping[int | str, RepPace]  # by rep id, in the report's order
    roles: Mapping[str, RolePace]  # by role key, in the configuration's order
    team: TeamPace

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": f"{self.month.year:04d}-{self.month.month:02d}",
            "as_of": self.as_of.isoformat(),
            "elapsed": as_float(self.elapsed, RATIO),
            "team": self.team.to_dict(),
            "roles": [role.to_dict() for role in self.roles.values()],
            "reps": [{"rep_id": rep_id, **pace.to_dict()} for rep_id, pace in self.reps.items()],
        }


def _projected(value: Decimal | None, days: Decimal, day: Decimal) -> Decimal | None:
    # value x days / day, not value / elapsed: one rounding, none when the result is exact (2 x 31 / 10 = 6.2).
    return None if value is None else (dec(value) or ZERO) * days / day


def _projected_row(row: RepMonth, days: Decimal, day: Decimal) -> RepMonth:
    """The row scaled to the whole month; blank derived figures stay blank (they follow the scaled units)."""
    if days == day:
        return row
    return _replaced(
        row,
        deals=_projected(row.deals, days, day),
        meetings=_projected(row.meetings, days, day),
        team_deals=_projected(row.team_deals, days, day),
        revenue=_projected(row.revenue, days, day),
    )


def compute_pace(
    *,
    config: OrgConfig,
    month: date,
    actuals: Sequence[RepMonth],
    as_of: date,
    report: Report | None = None,
) -> MonthPace | None:
    """The month's pace on ``as_of`` (a date in the organization's timezone, given by the caller), or None when
    ``as_of`` is not in ``month``. Every figure of every row (deals, meetings, team deals, entered revenue) is
    scaled by days in month / day, so projected units = units so far / elapsed and pay per unit is unchanged;
    ``report`` (the month's report on the same inputs) saves computing it again."""
    elapsed = pace_elapsed(month, as_of)
    if elapsed is None:
        return None
    with localcontext(ENGINE_CONTEXT):
        if report is None:
            report = compute_report(config=config, month=month, actuals=actuals)
        days, day = Decimal(days_in_month(month)), Decimal(as_of.day)
        projected = compute_report(
            config=config, month=month, actuals=[_projected_row(row, days, day) for row in actuals]
        )
        reps: dict[int | str, RepPace] = {}
        roles: dict[str, RolePace] = {}
        for role, projected_role in zip(report.roles, projected.roles, strict=True):
            for rep, projected_rep in zip(role.reps, projected_role.reps, strict=True):
                reps[rep.rep_id] = RepPace(
                    rep_id=rep.rep_id,
                    as_of=as_of,
                    units=rep.units,
                    projected_units=projected_rep.units,
                    projected_earnings=projected_rep.earnings,
                    projected_ote_attainment=projected_rep.ote_attainment,
                    projected_quota_attainment=projected_rep.quota_attainment,
                    projected_status=projected_rep.status,
                    units_to_quota=_units_to_quota(rep.quota, rep.units),
                )
            roles[role.key] = RolePace(
                key=role.key,
                units=role.actual_units,
                projected_units=projected_role.actual_units,
                projected_earnings=projected_role.team_actual,
                projected_ote_attainment=projected_role.ote_attainment,
                projected_quota_attainment=projected_role.quota_attainment,
                projected_status=projected_role.status,
                units_to_quota=_units_to_quota(role.team_quota, role.actual_units),
            )
        summary = projected.summary
        team = TeamPace(
            projected_earnings=summary.total_actual,
            projected_ote_attainment=summary.team_ote_attainment,
            projected_team_avg_attainment=summary.team_avg_attainment,
            projected_revenue=summary.revenue,
        )
        return MonthPace(
            month=month, as_of=as_of, elapsed=elapsed, projected=projected, reps=reps, roles=roles, team=team
        )


@dataclass(frozen=True)
class WhatIfMore:
    """A rep's month as it is and with ``more_units`` more units."""

    more_units: Decimal
    current: RepReport
    with_more: RepReport

    @property
    def extra_earnings(self) -> Decimal:
        return self.with_more.earnings - self.current.earnings


def _with_more(row: RepMonth, kind: str, more: Decimal, config: OrgConfig, closer_deals: Decimal) -> RepMonth:
    """The row with ``more`` units added. An entered figure grows with them at the organization's averages (a deal
    credits the deal value; a meeting sources meeting_to_deal_rate deals), so the extra units pay what the
    configuration says a unit pays."""
    if kind == KIND_CLOSER:
        revenue = None if row.revenue is None else (dec(row.revenue) or ZERO) + more * config.deal_value
        return _replaced(row, deals=(dec(row.deals) or ZERO) + more, revenue=revenue)
    if kind == KIND_SETTER:
        deals = None if row.deals is None else (dec(row.deals) or ZERO) + more * config.meeting_to_deal_rate
        return _replaced(row, meetings=(dec(row.meetings) or ZERO) + more, deals=deals)
    team_deals = closer_deals if row.team_deals is None else (dec(row.team_deals) or ZERO)
    return _replaced(row, team_deals=team_deals + more)


def what_if_more_units(
    *, config: OrgConfig, month: date, actuals: Sequence[RepMonth], rep_id: int | str, more_units: Decimal
) -> WhatIfMore:
    """The rep's earnings and attainment this month if they close ``more_units`` more units (deals, meetings or
    team deals by the role's kind), everything else unchanged. ``actuals`` must hold the rep's row (add a row of
    zeros for a rep without one yet); raises ValueError when it does not, or when ``more_units`` is negative."""
    more = dec(more_units)
    if more is None or more < 0:
        raise ValueError("more_units must be zero or more")
    rows = list(actuals)
    index = next((i for i, row in enumerate(rows) if row.rep_id == rep_id), None)
    if index is None:
        raise ValueError(f"rep {rep_id!r} has no actuals row for the month")
    with localcontext(ENGINE_CONTEXT):
        current = compute_report(config=config, month=month, actuals=rows)
        kinds = {role.key: role.kind for role in config.roles}
        closer_deals = sum((dec(row.deals) or ZERO for row in rows if kinds.get(row.role_key) == KIND_CLOSER), ZERO)
        row = rows[index]
        rows[index] = _with_more(row, kinds[row.role_key], more, config, closer_deals)
        changed = compute_report(config=config, month=month, actuals=rows)
    return WhatIfMore(more_units=more, current=_rep_of(current, rep_id), with_more=_rep_of(changed, rep_id))


def _rep_of(report: Report, rep_id: int | str) -> RepReport:
    return next(rep for role in report.roles for rep in role.reps if rep.rep_id == rep_id)


__all__ = [
    "MonthPace",
    "RepPace",
    "RolePace",
    "TeamPace",
    "WhatIfMore",
    "compute_pace",
    "days_in_month",
    "pace_elapsed",
    "what_if_more_units",
]
