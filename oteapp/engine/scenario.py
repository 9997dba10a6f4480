"""What-if scenarios and goal-seek on top of the same engine (the What-If tab).

A scenario never has formulas of its own: it rewrites the configuration and the actuals,
then ``compute_report`` does the rest, so baseline and scenario are always comparable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, localcontext

from .calc import compute_report
from .numbers import ENGINE_CONTEXT, ONE, ZERO, dec, div, dsum
from .report import Report
from .types import KIND_CLOSER, KIND_SETTER, ActiveRep, OrgConfig, RepMonth, RoleConfig

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class RoleOverride:
    # Added reps produce at the role's average units per person; removed reps drop that average.
    headcount: int | None = None
    annual_ote: Decimal | None = None
    monthly_quota: Decimal | None = None
    commission_rate: Decimal | None = None
    productivity: Decimal | None = None  # multiplier on units per person, 1.2 = +20% close rate


@dataclass(frozen=True)
class Scenario:
    deal_value: Decimal | None = None
    meeting_to_deal_rate: Decimal | None = None
    monthly_operating_expenses: Decimal | None = None
    roles: Mapping[str, RoleOverride] = field(default_factory=dict)


@dataclass(frozen=True)
class GoalSeekResult:
    target_monthly_revenue: Decimal
    revenue_per_closer: Decimal | None  # today's credited revenue per closer
    deals_per_closer: Decimal | None
    closers_needed: Decimal | None  # 2 places
    whole: int | None  # closers_needed rounded up to a whole person
    current_closers: int
    additional_closers: Decimal | None  # closers_needed - current_closers, may be negative


def _scaled(value: Decimal | None, factor: Decimal) -> Decimal | None:
    return None if value is None else (dec(value) or ZERO) * factor


def _override_config(config: OrgConfig, scenario: Scenario) -> OrgConfig:
    roles: list[RoleConfig] = []
    for role in config.roles:
        override = scenario.roles.get(role.key)
        if override is not None:
            changes = {
                name: value
                for name in ("annual_ote", "monthly_quota", "commission_rate")
                if (value := getattr(override, name)) is not None
            }
            if changes:
                role = replace(role, **changes)
        roles.append(role)
    changes = {
        name: value
        for name in ("deal_value", "meeting_to_deal_rate", "monthly_operating_expenses")
        if (value := getattr(scenario, name)) is not None
    }
    return replace(config, roles=tuple(roles), **changes)


def _average_row(role: RoleConfig, rows: Sequence[RepMonth], config: OrgConfig, closer_deals: Decimal) -> RepMonth:
    """A template row with the role's average production (before any productivity factor).

    Entered totals (revenue, sourced deals, team deals) are averaged only when some row had
    them, so that otherwise the synthetic reps keep following the scenario's deal value,
    meeting-to-deal rate and closers. With nobody in the role there is no average: a new rep
    is assumed to hit the (scenario) quota.
    """
    template = RepMonth(rep_id="", name="", role_key=role.key)
    count = Decimal(len(rows))
    if not rows:
        if role.kind == KIND_CLOSER:
            return replace(template, deals=role.monthly_quota)
        if role.kind == KIND_SETTER:
            return replace(template, meetings=role.monthly_quota)
        return template  # a manager is credited with the closers' deals
    if role.kind == KIND_CLOSER:
        deals = [dec(row.deals) or ZERO for row in rows]
        revenue = None
        if any(row.revenue is not None for row in rows):
            credited = [
                dec(row.revenue) if row.revenue is not None else deal * config.deal_value
                for row, deal in zip(rows, deals, strict=True)
            ]
            revenue = dsum(value or ZERO for value in credited) / count
        return replace(template, deals=dsum(deals) / count, revenue=revenue)
    if role.kind == KIND_SETTER:
        meetings = [dec(row.meetings) or ZERO for row in rows]
        sourced = None
        if any(row.deals is not None for row in rows):
            resolved = [
                (dec(row.deals) or ZERO) if row.deals is not None else meeting * config.meeting_to_deal_rate
                for row, meeting in zip(rows, meetings, strict=True)
            ]
            sourced = dsum(resolved) / count
        return replace(template, meetings=dsum(meetings) / count, deals=sourced)
    team_deals = None
    if any(row.team_deals is not None for row in rows):
        resolved = [closer_deals if row.team_deals is None else (dec(row.team_deals) or ZERO) for row in rows]
        team_deals = dsum(resolved) / count
    return replace(template, team_deals=team_deals)


def _replaced(row: RepMonth, **changes: object) -> RepMonth:
    """``dataclasses.replace(row, **changes)`` without the frozen ``__init__`` (which sets every field through
    ``object.__setattr__``): RepMonth has no ``__post_init__`` and no field outside ``__init__``, so the instance
    is the same. A scenario makes one per rep of every role it scales."""
    if type(row) is not RepMonth:
        return replace(row, **changes)
    new = object.__new__(RepMonth)
    values = new.__dict__
    values.update(row.__dict__)
    values.update(changes)
    return new


def _scale_row(row: RepMonth, factor: Decimal) -> RepMonth:
    if factor == ONE:
        return row
    # Blank derived fields stay blank: they follow the scaled units (or the closers).
    return _replaced(
        row,
        deals=_scaled(row.deals, factor),
        meetings=_scaled(row.meetings, factor),
        team_deals=_scaled(row.team_deals, factor),
        revenue=_scaled(row.revenue, factor),
    )


def apply_scenario(
    *, config: OrgConfig, actuals: Sequence[RepMonth], scenario: Scenario
) -> tuple[OrgConfig, tuple[RepMonth, ...]]:
    """The scenario's configuration and actuals rows.

    Headcount up: today's reps stay (scaled by productivity) and synthetic reps at the role's
    average are added. Headcount down: the role becomes that many synthetic average reps, which
    is exactly "each removed rep drops the role's average". Unknown role keys raise ValueError.
    """
    with localcontext(ENGINE_CONTEXT):
        known = {role.key for role in config.roles}
        for key, override in scenario.roles.items():
            if key not in known:
                raise ValueError(f"scenario overrides unknown role {key!r}")
            if override.headcount is not None and override.headcount < 0:
                raise ValueError(f"scenario headcount for {key!r} is negative")
        new_config = _override_config(config, scenario)
        kinds = {role.key: role.kind for role in config.roles}
        closer_deals: Decimal | None = None  # today's closers' deals, for a manager's average: summed once, if needed

        rows: list[RepMonth] = list(actuals)
        for role in new_config.roles:
            role_override = scenario.roles.get(role.key)
            if role_override is None:
                continue
            factor = ONE if role_override.productivity is None else role_override.productivity
            if role_override.headcount is None and factor == ONE:
                continue  # the role's configuration only (done above): its rows stay as they are
            role_rows = [row for row in rows if row.role_key == role.key]
            headcount = len(role_rows) if role_override.headcount is None else role_override.headcount
            if headcount == len(role_rows) and factor == ONE:
                continue
            others = [row for row in rows if row.role_key != role.key]
            if headcount >= len(role_rows):
                kept = [_scale_row(row, factor) for row in role_rows]
                added = headcount - len(role_rows)
            else:
                kept, added = [], headcount
            synthetic = []
            if added:  # the role's average is needed only for synthetic reps
                if closer_deals is None:
                    closer_deals = dsum(
                        dec(row.deals) or ZERO for row in actuals if kinds.get(row.role_key) == KIND_CLOSER
                    )
                average = _scale_row(_average_row(role, role_rows, config, closer_deals), factor)
                synthetic = [
                    _replaced(average, rep_id=f"scenario-{role.key}-{index}", name=f"Scenario {role.kind} {index}")
                    for index in range(1, added + 1)
                ]
            rows = others + kept + synthetic
        return new_config, tuple(rows)


def compute_scenario(
    *,
    config: OrgConfig,
    month: date,
    actuals: Sequence[RepMonth],
    scenario: Scenario,
    active_reps: Sequence[ActiveRep] = (),
) -> Report:
    scenario_config, scenario_actuals = apply_scenario(config=config, actuals=actuals, scenario=scenario)
    return compute_report(config=scenario_config, month=month, actuals=scenario_actuals, active_reps=active_reps)


def closers_needed(
    *,
    report: Report,
    config: OrgConfig,
    target_monthly_revenue: Decimal,
    role_key: str | None = None,
) -> GoalSeekResult:
    """How many closers reach the target revenue at today's revenue per closer.

    ``role_key`` picks one closer role; by default all closer-kind roles count together.
    """
    with localcontext(ENGINE_CONTEXT):
        if role_key is None:
            keys = {role.key for role in config.roles if role.kind == KIND_CLOSER}
        else:
            if config.role(role_key).kind != KIND_CLOSER:
                raise ValueError(f"role {role_key!r} is not a closer role: only closers bring revenue")
            keys = {role_key}
        roles = [role for role in report.roles if role.key in keys]
        headcount = sum(role.headcount for role in roles)
        count = Decimal(headcount)
        revenue_per_closer = div(dsum(role.revenue for role in roles), count)
        deals_per_closer = div(dsum(role.actual_units for role in roles), count)
        target = dec(target_monthly_revenue) or ZERO
        exact = div(target, revenue_per_closer)
        if exact is None:
            needed = whole = additional = None
        else:
            needed = exact.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
            whole = int(exact.to_integral_value(rounding=ROUND_CEILING))
            additional = (needed - count).quantize(TWO_PLACES)
        return GoalSeekResult(
            target_monthly_revenue=target,
            revenue_per_closer=revenue_per_closer,
            deals_per_closer=deals_per_closer,
            closers_needed=needed,
            whole=whole,
            current_closers=headcount,
            additional_closers=additional,
        )


__all__ = [
    "GoalSeekResult",
    "RoleOverride",
    "Scenario",
    "apply_scenario",
    "closers_needed",
    "compute_scenario",
]
