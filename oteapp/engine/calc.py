"""The formulas of SPEC sections 3 and 4: per rep, per role, and the summary row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, localcontext

from .insights import build_insights
from .numbers import ENGINE_CONTEXT, ONE, ZERO, dec, div, dsum
from .report import (
    STATUS_AT_RISK,
    STATUS_OFF_TARGET,
    STATUS_ON_TARGET,
    Report,
    RepReport,
    RoleReport,
    Summary,
    build,
)
from .types import (
    COMP_MIXED,
    COMP_MODELS,
    KIND_CLOSER,
    KIND_SETTER,
    KINDS,
    AcceleratorTier,
    ActiveRep,
    OrgConfig,
    RepMonth,
    RepPlan,
    RoleConfig,
)

MONTHS_PER_YEAR = Decimal(12)


# --- role economics (configuration only, no actuals) -------------------------------------


def monthly_ote(role: RoleConfig) -> Decimal:
    return role.annual_ote / MONTHS_PER_YEAR


def monthly_base(role: RoleConfig, config: OrgConfig) -> Decimal:
    # Base exists only in the mixed model; a commission-only org ignores a stored base.
    if config.comp_model != COMP_MIXED:
        return ZERO
    return role.annual_base / MONTHS_PER_YEAR


def annual_base(role: RoleConfig, config: OrgConfig) -> Decimal:
    return role.annual_base if config.comp_model == COMP_MIXED else ZERO


def target_variable(role: RoleConfig, config: OrgConfig) -> Decimal:
    return monthly_ote(role) - monthly_base(role, config)


def configured_commission_per_unit(role: RoleConfig, config: OrgConfig) -> Decimal:
    per_deal = role.commission_rate * config.deal_value
    if role.kind == KIND_SETTER:
        # A setter's unit is a meeting, which is worth a deal only meeting_to_deal_rate of the time.
        return per_deal * config.meeting_to_deal_rate
    return per_deal


def recommended_annual_ote(role: RoleConfig, config: OrgConfig) -> Decimal:
    """The OTE the deal economics pay at exactly 100% of quota."""
    return configured_commission_per_unit(role, config) * role.monthly_quota * MONTHS_PER_YEAR + annual_base(
        role, config
    )


def effective_role(role: RoleConfig, plan: RepPlan | None) -> RoleConfig:
    """The role as it applies to one rep: each figure the rep's plan sets replaces the role's (SPEC section 14)."""
    if plan is None:
        return role
    changes = {name: value for name in RepPlan.FIELDS if (value := getattr(plan, name)) is not None}
    return replace(role, **changes) if changes else role


@dataclass(frozen=True)
class PlanEconomics:
    """A plan's figures and live calculations (SPEC sections 3 and 14): the role's, or one rep's own plan.

    Money is monthly unless named annual; ``annual_base`` and ``monthly_base`` are 0 in a commission-only
    organization (where a stored base is ignored). ``overridden`` names the figures the rep's plan sets."""

    role_key: str
    kind: str
    annual_ote: Decimal
    annual_base: Decimal
    monthly_ote: Decimal
    monthly_base: Decimal
    target_variable: Decimal
    monthly_quota: Decimal
    commission_rate: Decimal
    monthly_draw: Decimal
    draw_recoverable: bool
    ramp: tuple[Decimal, ...]
    accelerators: tuple[AcceleratorTier, ...]
    required_commission_per_unit: Decimal | None
    configured_commission_per_unit: Decimal
    break_even_units: Decimal | None
    recommended_annual_ote: Decimal
    overridden: tuple[str, ...] = ()


def plan_economics(config: OrgConfig, role_key: str, plan: RepPlan | None = None) -> PlanEconomics:
    """The economics of ``role_key``'s plan, or of a rep's own plan when ``plan`` is given (for the rep's plan
    page and the live calculations while a plan is edited, before it is saved). Raises KeyError for an unknown
    role."""
    with localcontext(ENGINE_CONTEXT):
        role = effective_role(config.role(role_key), plan)
        tv = target_variable(role, config)
        cpu = configured_commission_per_unit(role, config)
        return PlanEconomics(
            role_key=role.key,
            kind=role.kind,
            annual_ote=role.annual_ote,
            annual_base=annual_base(role, config),
            monthly_ote=monthly_ote(role),
            monthly_base=monthly_base(role, config),
            target_variable=tv,
            monthly_quota=role.monthly_quota,
            commission_rate=role.commission_rate,
            monthly_draw=role.monthly_draw,
            draw_recoverable=role.draw_recoverable,
            ramp=role.ramp,
            accelerators=role.accelerators,
            required_commission_per_unit=div(tv, role.monthly_quota),
            configured_commission_per_unit=cpu,
            break_even_units=div(tv, cpu),
            recommended_annual_ote=recommended_annual_ote(role, config),
            overridden=() if plan is None else plan.overridden(),
        )


def rep_plan_economics(config: OrgConfig, *, rep_id: int | str, role_key: str) -> PlanEconomics:
    """A rep's own plan economics: the role's, with the overrides the configuration holds for the rep."""
    return plan_economics(config, role_key, config.rep_plans.get(rep_id))


# --- per rep -------------------------------------------------------------------------------


def tenure_month(start_date: date | None, month: date) -> int | None:
    """1 for the calendar month of the start date; a month before the start counts as 1."""
    if start_date is None:
        return None
    months = (month.year - start_date.year) * 12 + (month.month - start_date.month) + 1
    return max(months, 1)


def ramp_factor(ramp: Sequence[Decimal], start_date: date | None, month: date) -> Decimal:
    tenure = tenure_month(start_date, month)
    if tenure is None or tenure > len(ramp):
        return ONE
    return ramp[tenure - 1]


def accelerated_units(units: Decimal, quota: Decimal, tiers: Sequence[AcceleratorTier]) -> Decimal:
    """Units weighted by the marginal multiplier of the quota band each falls in.

    Like tax brackets: band i spans [from_i * quota, from_(i+1) * quota); a unit straddling a
    boundary is split pro rata. Units below the first tier pay x1. With no (positive) quota
    the bands are undefined, so no acceleration rather than paying everything at the top rate.
    """
    if not tiers or quota <= 0 or units <= 0:
        return units
    return _accelerated(units, quota, _ordered_tiers(tiers))


def _ordered_tiers(tiers: Sequence[AcceleratorTier]) -> list[AcceleratorTier]:
    return sorted(tiers, key=lambda tier: tier.from_attainment)


def _accelerated(units: Decimal, quota: Decimal, ordered: Sequence[AcceleratorTier]) -> Decimal:
    """accelerated_units with the tiers already in order, for a positive quota and units."""
    bounds = [max(tier.from_attainment, ZERO) * quota for tier in ordered]
    weighted = min(units, bounds[0])  # below the first tier: plain pay
    for index, tier in enumerate(ordered):
        low = bounds[index]
        high = bounds[index + 1] if index + 1 < len(ordered) else None
        top = units if high is None else min(units, high)
        if top > low:
            weighted += (top - low) * tier.multiplier
    return weighted


def commission_bands(units: Decimal, quota: Decimal, tiers: Sequence[AcceleratorTier]) -> list[tuple[Decimal, Decimal]]:
    """The accelerator bands ``units`` reach, as (units in the band, multiplier), lowest band first: the same
    split as accelerated_units (whose result is the sum of units * multiplier), for statement lines. Units below
    the first tier pay x1; with no tiers or no positive quota every unit pays x1; no units, no band."""
    if units <= 0:
        return []
    if not tiers or quota <= 0:
        return [(units, ONE)]
    ordered = _ordered_tiers(tiers)
    bounds = [max(tier.from_attainment, ZERO) * quota for tier in ordered]
    bands = []
    below = min(units, bounds[0])
    if below > 0:
        bands.append((below, ONE))
    for index, tier in enumerate(ordered):
        low = bounds[index]
        high = bounds[index + 1] if index + 1 < len(ordered) else None
        top = units if high is None else min(units, high)
        if top > low:
            bands.append((top - low, tier.multiplier))
    return bands


def _commission(amount: Decimal, units: Decimal, weighted: Decimal, *, per_unit: bool) -> Decimal:
    """Commission paid on ``weighted`` (accelerated) units.

    With ``per_unit`` the amount is the pay per unit, so pay * weighted units keeps full
    precision. Otherwise it is the unaccelerated total of an entered figure (revenue, sourced
    deals), spread evenly over the units; with no units the pay per unit is undefined, so the
    total is paid flat, without accelerators.
    """
    if per_unit:
        return amount * weighted
    if units == 0 or weighted == units:
        return amount
    return amount * weighted / units


class _RolePlan:
    """What every rep of one role shares, computed once per report instead of once per rep.

    Each figure is the very expression the per-rep formulas evaluate (same operands, same order, same
    context), so the results are identical to computing it again for every rep."""

    __slots__ = (
        "_ordered", "base", "config", "cpu", "kind", "per_deal", "quota", "ramp", "rate", "role", "tiers", "tv",
    )

    def __init__(self, role: RoleConfig, config: OrgConfig) -> None:
        self.role = role
        self.config = config
        self.kind = role.kind
        self.ramp = role.ramp
        self.quota = role.monthly_quota
        self.rate = role.commission_rate
        self.tiers = role.accelerators
        self._ordered: list[AcceleratorTier] | None = None  # sorted on first use, as accelerated_units does
        self.base = monthly_base(role, config)
        self.tv = target_variable(role, config)
        self.per_deal = role.commission_rate * config.deal_value
        # configured_commission_per_unit: per deal, or for a setter per meeting (per_deal * meeting_to_deal_rate)
        self.cpu = self.per_deal * config.meeting_to_deal_rate if role.kind == KIND_SETTER else self.per_deal

    def weighted(self, units: Decimal, quota: Decimal) -> Decimal:
        """accelerated_units(units, quota, role.accelerators)."""
        tiers = self.tiers
        if not tiers or quota <= 0 or units <= 0:
            return units
        ordered = self._ordered
        if ordered is None:
            ordered = self._ordered = _ordered_tiers(tiers)
        return _accelerated(units, quota, ordered)

    def rep(self, row: RepMonth, month: date, closer_deals_total: Decimal) -> RepReport:
        plans = self.config.rep_plans
        if plans:
            plan = plans.get(row.rep_id)
            if plan is not None:
                role = effective_role(self.role, plan)
                if role is not self.role:
                    # The rep's own figures; the role's row (report()) keeps the role's configured ones.
                    return _RolePlan(role, self.config)._rep(row, month, closer_deals_total)
        return self._rep(row, month, closer_deals_total)

    def _rep(self, row: RepMonth, month: date, closer_deals_total: Decimal) -> RepReport:
        config = self.config
        ramp = ramp_factor(self.ramp, row.start_date, month) if self.ramp else ONE
        quota = self.quota * ramp
        base = self.base
        ote = base + self.tv * ramp
        revenue = ZERO
        kind = self.kind

        if kind == KIND_CLOSER:
            units = dec(row.deals) or ZERO
            weighted = self.weighted(units, quota)
            if row.revenue is None:
                revenue = units * config.deal_value
                commission = self.per_deal * weighted
            else:
                revenue = dec(row.revenue) or ZERO
                commission = _commission(self.rate * revenue, units, weighted, per_unit=False)
        elif kind == KIND_SETTER:
            units = dec(row.meetings) or ZERO
            weighted = self.weighted(units, quota)
            if row.deals is None:
                commission = self.cpu * weighted
            else:
                sourced = dec(row.deals) or ZERO
                commission = _commission(self.per_deal * sourced, units, weighted, per_unit=False)
        else:
            # Blank team deals: the manager is credited with every closer's deals that month.
            units = closer_deals_total if row.team_deals is None else (dec(row.team_deals) or ZERO)
            weighted = self.weighted(units, quota)
            commission = self.per_deal * weighted

        earnings = base + commission
        ote_attainment = div(earnings, ote)
        return build(
            RepReport,
            rep_id=row.rep_id,
            name=row.name,
            role_key=row.role_key,
            units=units,
            ramp_factor=ramp,
            quota=quota,
            ote=ote,
            earnings=earnings,
            base=base,
            commission=commission,
            ote_attainment=ote_attainment,
            quota_attainment=div(units, quota),
            revenue=revenue,
            status=status_for(ote_attainment, config),
        )

    def report(self, reps: Sequence[RepReport]) -> RoleReport:
        role, config = self.role, self.config
        headcount = len(reps)
        cpu = self.cpu
        tv = self.tv
        # One pass, each total added up in the reps' order (as dsum over each field would).
        actual_units = team_quota = team_ote = team_actual = revenue = ZERO
        for rep in reps:
            actual_units += rep.units
            team_quota += rep.quota
            team_ote += rep.ote
            team_actual += rep.earnings
            revenue += rep.revenue
        team_gap = team_actual - team_ote
        count = Decimal(headcount)
        ote_attainment = div(team_actual, team_ote)
        return build(
            RoleReport,
            key=role.key,
            name=role.name,
            kind=role.kind,
            headcount=headcount,
            monthly_ote=monthly_ote(role),
            monthly_base=self.base,
            monthly_quota=role.monthly_quota,
            required_commission_per_unit=div(tv, role.monthly_quota),
            configured_commission_per_unit=cpu,
            break_even_units=div(tv, cpu),
            # recommended_annual_ote(role, config), with the commission per unit computed above
            recommended_annual_ote=cpu * role.monthly_quota * MONTHS_PER_YEAR + annual_base(role, config),
            actual_units=actual_units,
            actual_units_per_person=div(actual_units, count),
            team_quota=team_quota,
            quota_attainment=div(actual_units, team_quota),
            ote_attainment=ote_attainment,
            team_ote=team_ote,
            team_actual=team_actual,
            team_gap=team_gap,
            gap_per_person=div(team_gap, count),
            status=status_for(ote_attainment, config) if headcount else None,
            revenue=revenue,
            reps=tuple(reps),
        )


def rep_report(
    row: RepMonth,
    role: RoleConfig,
    config: OrgConfig,
    month: date,
    closer_deals_total: Decimal,
) -> RepReport:
    return _RolePlan(role, config).rep(row, month, closer_deals_total)


# --- per role and summary ------------------------------------------------------------------


def status_for(attainment: Decimal | None, config: OrgConfig) -> str | None:
    if attainment is None:
        return None
    if attainment >= config.on_target_threshold:
        return STATUS_ON_TARGET
    if attainment >= config.at_risk_threshold:
        return STATUS_AT_RISK
    return STATUS_OFF_TARGET


def role_report(role: RoleConfig, config: OrgConfig, reps: Sequence[RepReport]) -> RoleReport:
    return _RolePlan(role, config).report(reps)


def summary_from(
    *,
    attainments: Sequence[Decimal],
    total_ote: Decimal,
    total_actual: Decimal,
    revenue: Decimal,
    ebitda: Decimal,
    headcount: int,
    operating_expenses: Decimal,
) -> Summary:
    """The summary of SPEC section 4 from its totals: a month's (summary_for) or a period's (periods.py).
    ``attainments`` are the reps' OTE attainments that exist (a rep with a zero OTE has none)."""
    return build(
        Summary,
        team_avg_attainment=div(dsum(attainments), Decimal(len(attainments))),
        team_ote_attainment=div(total_actual, total_ote),
        total_ote=total_ote,
        total_actual=total_actual,
        ote_gap=total_actual - total_ote,
        revenue=revenue,
        revenue_per_ote_dollar=div(revenue, total_ote),
        ote_pct_of_revenue=div(total_ote, revenue),
        comp_pct_of_revenue=div(total_actual, revenue),
        ebitda=ebitda,
        headcount=headcount,
        operating_expenses=operating_expenses,
    )


def summary_for(config: OrgConfig, roles: Sequence[RoleReport]) -> Summary:
    reps = [rep for role in roles for rep in role.reps]
    total_actual = dsum(role.team_actual for role in roles)
    revenue = dsum(role.revenue for role in roles)
    opex = config.monthly_operating_expenses
    return summary_from(
        attainments=[rep.ote_attainment for rep in reps if rep.ote_attainment is not None],
        total_ote=dsum(role.team_ote for role in roles),
        total_actual=total_actual,
        revenue=revenue,
        ebitda=revenue - total_actual - opex,
        headcount=len(reps),
        operating_expenses=opex,
    )


def _validate(config: OrgConfig) -> None:
    if config.comp_model not in COMP_MODELS:
        raise ValueError(f"unknown comp model {config.comp_model!r}")
    keys = [role.key for role in config.roles]
    if len(set(keys)) != len(keys):
        raise ValueError("role keys must be unique")
    for role in config.roles:
        if role.kind not in KINDS:
            raise ValueError(f"role {role.key!r}: unknown kind {role.kind!r}")


def _row_sort_key(row: RepMonth) -> tuple[str, str, str, str]:
    # A total order on rows so sums (and the reps lists) never depend on input order.
    return (row.name, type(row.rep_id).__name__, str(row.rep_id), repr(row))


def _sorted_rows(actuals: Sequence[RepMonth]) -> list[RepMonth]:
    """sorted(actuals, key=_row_sort_key), without the repr of every row: when the first three parts of the
    key are unique (always, unless a rep is listed twice), they alone decide the same order."""
    keys = [(row.name, type(row.rep_id).__name__, str(row.rep_id)) for row in actuals]
    if len(set(keys)) != len(keys):
        return sorted(actuals, key=_row_sort_key)
    return [row for _, row in sorted(zip(keys, actuals, strict=True), key=_first)]


def _first(pair: tuple) -> object:
    return pair[0]


def compute_report(
    *,
    config: OrgConfig,
    month: date,
    actuals: Sequence[RepMonth],
    active_reps: Sequence[ActiveRep] = (),
    insights: bool = True,
) -> Report:
    """The month's report for the reps that have an actuals row (SPEC sections 3-6).

    ``insights=False`` leaves the report's insights empty, for callers that read only its figures (a
    backtest runs a report per month and plan). Raises ValueError only for an inconsistent input (unknown
    kind, comp model or role key, duplicate role keys); undefined ratios are None.
    """
    with localcontext(ENGINE_CONTEXT):
        _validate(config)
        roles_by_key = {role.key: role for role in config.roles}
        for row in actuals:
            if row.role_key not in roles_by_key:
                raise ValueError(f"actuals row for {row.name!r}: unknown role {row.role_key!r}")
        rows = _sorted_rows(actuals)
        closer_deals_total = dsum(
            dec(row.deals) or ZERO for row in rows if roles_by_key[row.role_key].kind == KIND_CLOSER
        )
        rows_of: dict[str, list[RepMonth]] = {key: [] for key in roles_by_key}
        for row in rows:  # each role's rows, in the sorted order
            rows_of[row.role_key].append(row)
        role_reports = []
        for role in config.roles:
            plan = _RolePlan(role, config)
            role_reports.append(plan.report([plan.rep(row, month, closer_deals_total) for row in rows_of[role.key]]))
        summary = summary_for(config, role_reports)
        found = build_insights(config=config, roles=role_reports, summary=summary) if insights else ()

        reported_ids = {row.rep_id for row in actuals}
        role_order = {key: index for index, key in enumerate(roles_by_key)}
        missing = sorted(
            {rep for rep in active_reps if rep.rep_id not in reported_ids},
            key=lambda rep: (role_order.get(rep.role_key, len(role_order)), rep.name, str(rep.rep_id)),
        )
        return build(
            Report,
            month=month,
            currency=config.currency,
            summary=summary,
            roles=tuple(role_reports),
            insights=found,
            missing_actuals=tuple(missing),
        )
