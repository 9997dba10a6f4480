"""The comp plan optimizer (SPEC section 15): a plan the team's own history supports, within a cost cap.

Per role, over the backtest months:
- quota = the (1 - share) quantile of the role's ramp-adjusted rep-month units (units / the rep's ramp fraction
  that month; every rep-month of the role with an actuals row, except one with a ramp fraction of 0, whose
  ramp-adjusted units are undefined), stored to 2 places. The quantile is the common linear one (numpy's default,
  Excel's PERCENTILE.INC, Hyndman & Fan type 7): with the n values sorted x[0] <= ... <= x[n-1] and
  h = (n - 1) * p, it is x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)]);
- rate = (target variable / quota) / (deal value, x meeting-to-deal rate for setters), where target variable =
  target OTE / 12 - base / 12 (base 0 in a commission-only organization).

Then, if the candidate's backtest comp % of revenue exceeds the cap, every role's variable pay is scaled by one
common factor s = k / 10000, the largest such k in [0, 10000] whose candidate keeps comp <= cap x revenue; the
candidate stores rate x s to 4 places and base + s x (target OTE - base) to cents, and is backtested on those
stored values. Per-rep plans are scaled alike (a rep's own rate x s, base + s x (own OTE - base)) so that s = 0
leaves base pay alone; their quotas stay. Ramp and accelerators stay the role's.

Why bisection finds the largest k: with the quotas fixed, comp(k) = Σ base + Σ commission, and each commission
is a stored rate times a non-negative amount that does not depend on the rate (units, entered revenue, deal value
and multipliers are all >= 0, and the accelerator bands depend on quotas only). The stored rate, rate x k / 10000
rounded half up to 4 places, never decreases as k grows, and revenue does not depend on the plan. So
comp(k) <= cap x revenue holds for k = 0 .. k* and fails above: a monotone predicate, whose last true k bisection
finds in 14 backtests. When it fails already at k = 0, base pay alone exceeds the cap and nothing is proposed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, localcontext
from typing import Any

from oteapp.gc_pause import gc_paused

from .backtest import Backtest, backtest_month_reports, backtest_reports, select_history
from .calc import annual_base
from .numbers import ENGINE_CONTEXT, MONEY, ONE, RATIO, UNITS, ZERO, as_float, dec
from .report import Report
from .types import COMP_MIXED, KIND_SETTER, MonthActuals, OrgConfig, RepPlan, RoleConfig

MIN_HISTORY_MONTHS = 3  # a quarter: fewer months make the quantile one month's noise
DEFAULT_SHARE = Decimal("0.5")
DEFAULT_CAP = Decimal("0.20")
DEFAULT_MONTHS = 12
SCALE_STEPS = 10000  # the scale factor is a multiple of 0.0001
RATE_PLACES = Decimal("0.0001")
MONTHS_PER_YEAR = Decimal(12)

BINDING_CAP = "cap"
BINDING_NONE = "none"
BINDING_BASE_PAY = "base_pay"  # base pay alone exceeds the cap: no plan proposed


class OptimizerInputError(ValueError):
    """An optimizer input the rules refuse; ``field`` names it (share, cap, months, targets.<role key>, ...)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


class InsufficientHistoryError(OptimizerInputError):
    """Fewer months with actuals than the optimizer needs."""

    def __init__(self, *, needed: int, available: int) -> None:
        super().__init__(
            "months",
            f"the optimizer needs at least {needed} months with actuals; there {'is' if available == 1 else 'are'} "
            f"{available}",
        )
        self.needed = needed
        self.available = available


def quantile(values: Sequence[Decimal], p: Decimal) -> Decimal:
    """The p-quantile of ``values`` (0 <= p <= 1) by linear interpolation between order statistics (see the
    module's docstring). Raises ValueError for no values."""
    if not values:
        raise ValueError("the quantile of no values is undefined")
    ordered = sorted(values)
    with localcontext(ENGINE_CONTEXT):
        h = (len(ordered) - 1) * p
        low = int(h.to_integral_value(ROUND_FLOOR))
        if low + 1 >= len(ordered):
            return ordered[-1]
        return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])


def ramp_adjusted_units(reports: Sequence[Report], role_key: str) -> list[Decimal]:
    """Every rep-month's units / ramp fraction of the role over ``reports`` (a ramp fraction of 0 leaves the
    rep-month out: its ramp-adjusted units are undefined)."""
    with localcontext(ENGINE_CONTEXT):
        return [
            rep.units / rep.ramp_factor
            for report in reports
            for role in report.roles
            if role.key == role_key
            for rep in role.reps
            if rep.ramp_factor != 0
        ]


@dataclass(frozen=True)
class RoleProposal:
    key: str
    monthly_quota: Decimal  # 2 places
    commission_rate: Decimal  # 4 places, scaled
    annual_ote: Decimal  # cents, scaled
    annual_base: Decimal  # the role's, unchanged
    target_annual_ote: Decimal
    rep_months: int  # the rep-months the quota comes from
    changed: bool  # False: no usable history, the role's plan is kept as it is

    def to_dict(self) -> dict[str, Any]:
        return {
            "monthly_quota": as_float(self.monthly_quota, UNITS),
            "commission_rate": as_float(self.commission_rate, RATIO),
            "annual_ote": as_float(self.annual_ote, MONEY),
            "annual_base": as_float(self.annual_base, MONEY),
        }


@dataclass(frozen=True)
class Optimization:
    months: tuple[date, ...]
    share: Decimal
    cap: Decimal
    scale: Decimal | None  # None when nothing is proposed
    binding: str  # cap | none | base_pay
    roles: Mapping[str, RoleProposal]  # empty when nothing is proposed
    candidate: OrgConfig | None  # the proposed plan (the configuration with the roles above)
    current: Backtest  # the plan in force over the same months
    proposed: Backtest | None
    unchanged_roles: tuple[str, ...]  # roles without usable history, kept as they are
    message: str

    def to_dict(self) -> dict[str, Any]:
        return optimization_to_dict(self)


def optimization_to_dict(result: Optimization) -> dict[str, Any]:
    """SPEC section 15's optimize contract, then ``message`` and ``unchanged_roles``. With binding ``base_pay``
    (base pay alone exceeds the cap) scale and the candidate's backtest are null and roles is empty."""
    return {
        "months": [f"{month:%Y-%m}" for month in result.months],
        "share": as_float(result.share, RATIO),
        "cap": as_float(result.cap, RATIO),
        "scale": as_float(result.scale, RATIO),
        "binding": result.binding,
        "roles": {key: proposal.to_dict() for key, proposal in result.roles.items()},
        "backtest": {
            "current": result.current.total.to_dict(),
            "candidate": None if result.proposed is None else result.proposed.total.to_dict(),
        },
        "message": result.message,
        "unchanged_roles": list(result.unchanged_roles),
    }


def optimization_to_json(result: Optimization) -> str:
    return json.dumps(optimization_to_dict(result), indent=2)


def _fraction(value: Decimal | float | str | None, field: str) -> Decimal:
    try:
        number = dec(value)  # type: ignore[arg-type]
    except ArithmeticError:
        number = None
    if number is None or not number.is_finite() or not ZERO < number < ONE:
        raise OptimizerInputError(field, "must be a number strictly between 0 and 1")
    return number


def _targets(config: OrgConfig, targets: Mapping[str, Decimal] | None) -> dict[str, Decimal]:
    known = {role.key: role for role in config.roles}
    result = {key: role.annual_ote for key, role in known.items()}
    for key, value in (targets or {}).items():
        if key not in known:
            raise OptimizerInputError(f"targets.{key}", "no such role")
        try:
            number = dec(value)
        except ArithmeticError:
            number = None
        if number is None or not number.is_finite() or number < 0:
            raise OptimizerInputError(f"targets.{key}", "the target annual OTE must be a number, zero or more")
        if number < annual_base(known[key], config):
            raise OptimizerInputError(f"targets.{key}", "the target annual OTE is below the role's annual base")
        result[key] = number
    return result


@dataclass(frozen=True)
class _Unscaled:
    """A role's proposal before the scale factor: quota, the full-precision rate, base and target (annual)."""

    quota: Decimal
    rate: Decimal
    base: Decimal
    target: Decimal
    rep_months: int


def _unscaled(
    role: RoleConfig, config: OrgConfig, reports: Sequence[Report], p: Decimal, target: Decimal
) -> _Unscaled | None:
    units = ramp_adjusted_units(reports, role.key)
    if not units:
        return None
    quota = quantize_half_up(quantile(units, p), UNITS)
    if quota <= 0:
        raise OptimizerInputError(
            "share",
            f"{role.name}: the rep-month units at this share give a quota of 0, which pays nothing per unit; "
            "choose a smaller share",
        )
    per_unit_value = config.deal_value * (config.meeting_to_deal_rate if role.kind == KIND_SETTER else ONE)
    if per_unit_value == 0:
        field = "organization.meeting_to_deal_rate" if role.kind == KIND_SETTER else "organization.deal_value"
        raise OptimizerInputError(field, f"{role.name}: a unit is worth nothing, so no rate pays the target OTE")
    base = annual_base(role, config)
    with localcontext(ENGINE_CONTEXT):
        variable = target / MONTHS_PER_YEAR - base / MONTHS_PER_YEAR
        rate = variable / quota / per_unit_value
    return _Unscaled(quota=quota, rate=rate, base=base, target=target, rep_months=len(units))


def quantize_half_up(value: Decimal, exp: Decimal) -> Decimal:
    with localcontext(ENGINE_CONTEXT):
        return value.quantize(exp, ROUND_HALF_UP)


def _scaled_rate(rate: Decimal, scale: Decimal) -> Decimal:
    return quantize_half_up(rate * scale, RATE_PLACES)


def _scaled_ote(base: Decimal, ote: Decimal, scale: Decimal) -> Decimal:
    return quantize_half_up(base + scale * (ote - base), MONEY)


def _scaled_rep_plans(
    config: OrgConfig, scale: Decimal, rep_roles: Mapping[int | str, str]
) -> dict[int | str, RepPlan]:
    """Each rep's own rate and OTE above base scaled like the roles' (at scale 1 the plans stay exactly).
    ``rep_roles`` gives a rep's role (for the base their plan does not set); a rep absent from the history has
    only their plan's own base."""
    if scale == ONE:
        return dict(config.rep_plans)
    roles = {role.key: role for role in config.roles}
    plans = {}
    for rep_id, plan in config.rep_plans.items():
        changes: dict[str, Decimal] = {}
        if plan.commission_rate is not None:
            changes["commission_rate"] = _scaled_rate(plan.commission_rate, scale)
        if plan.annual_ote is not None:
            role = roles.get(rep_roles.get(rep_id, ""))
            role_base = ZERO if role is None else role.annual_base
            own_base = role_base if plan.annual_base is None else plan.annual_base
            base = own_base if config.comp_model == COMP_MIXED else ZERO
            changes["annual_ote"] = _scaled_ote(base, plan.annual_ote, scale)
        plans[rep_id] = replace(plan, **changes) if changes else plan
    return plans


def _candidate(
    config: OrgConfig, unscaled: Mapping[str, _Unscaled], scale: Decimal, rep_roles: Mapping[int | str, str]
) -> OrgConfig:
    roles = []
    for role in config.roles:
        proposal = unscaled.get(role.key)
        if proposal is not None:
            role = replace(
                role,
                monthly_quota=proposal.quota,
                commission_rate=_scaled_rate(proposal.rate, scale),
                annual_ote=_scaled_ote(proposal.base, proposal.target, scale),
            )
        roles.append(role)
    return replace(config, roles=tuple(roles), rep_plans=_scaled_rep_plans(config, scale, rep_roles))


def _pct(value: Decimal | None) -> str:
    return "n/a" if value is None else f"{quantize_half_up(value * 100, Decimal('0.1'))}%"


def optimize(
    *,
    config: OrgConfig,
    history: Sequence[MonthActuals],
    targets: Mapping[str, Decimal] | None = None,
    share: Decimal | float | str = DEFAULT_SHARE,
    cap: Decimal | float | str = DEFAULT_CAP,
    months: int = DEFAULT_MONTHS,
) -> Optimization:
    """The optimizer of SPEC section 15 on the last ``months`` months of ``history`` with actuals.

    ``targets``: target annual OTE per role key (default: the role's current one); ``share`` of rep-months that
    should reach quota, ``cap`` on comp % of revenue, both strictly between 0 and 1. Raises OptimizerInputError
    (naming the field) for a bad input, InsufficientHistoryError for fewer than MIN_HISTORY_MONTHS months with
    actuals, PlanError when the plan in force cannot be backtested. Base pay alone above the cap is a result
    (binding ``base_pay``, nothing proposed), not an error."""
    with localcontext(ENGINE_CONTEXT), gc_paused():
        return _optimize(config=config, history=history, targets=targets, share=share, cap=cap, months=months)


def _optimize(
    *,
    config: OrgConfig,
    history: Sequence[MonthActuals],
    targets: Mapping[str, Decimal] | None,
    share: Decimal | float | str,
    cap: Decimal | float | str,
    months: int,
) -> Optimization:
    share_value = _fraction(share, "share")
    cap_value = _fraction(cap, "cap")
    if isinstance(months, bool) or not isinstance(months, int) or months < MIN_HISTORY_MONTHS:
        raise OptimizerInputError("months", f"must be a whole number of at least {MIN_HISTORY_MONTHS}")
    target_of = _targets(config, targets)
    chosen = select_history(history, months)
    if len(chosen) < MIN_HISTORY_MONTHS:
        raise InsufficientHistoryError(needed=MIN_HISTORY_MONTHS, available=len(chosen))
    month_labels = tuple(month.month for month in chosen)

    current_reports = backtest_month_reports(config, chosen)
    current = backtest_reports(current_reports)
    revenue = current.total.revenue
    if revenue <= 0:
        raise OptimizerInputError("months", "the months have no revenue, so comp % of revenue is undefined")
    limit = cap_value * revenue

    p = ONE - share_value
    unscaled: dict[str, _Unscaled] = {}
    for role in config.roles:
        proposal = _unscaled(role, config, current_reports, p, target_of[role.key])
        if proposal is not None:
            unscaled[role.key] = proposal
    unchanged = tuple(role.key for role in config.roles if role.key not in unscaled)

    rep_roles = {rep.rep_id: role.key for report in current_reports for role in report.roles for rep in role.reps}
    evaluated: dict[int, Backtest] = {}

    def run(k: int) -> Backtest:
        if k not in evaluated:
            candidate = _candidate(config, unscaled, Decimal(k) / SCALE_STEPS, rep_roles)
            evaluated[k] = backtest_reports(backtest_month_reports(candidate, chosen))
        return evaluated[k]

    def within_cap(k: int) -> bool:
        return run(k).total.comp <= limit

    if within_cap(SCALE_STEPS):
        k, binding = SCALE_STEPS, BINDING_NONE
    elif not within_cap(0):
        base_pct = run(0).total.comp_pct_of_revenue
        return Optimization(
            months=month_labels, share=share_value, cap=cap_value, scale=None, binding=BINDING_BASE_PAY, roles={},
            candidate=None, current=current, proposed=None, unchanged_roles=unchanged,
            message=(
                f"Base pay alone is {_pct(base_pct)} of revenue, above the {_pct(cap_value)} cap: no commission "
                "plan can keep comp within it, so nothing is proposed."
            ),
        )
    else:
        low, high = 0, SCALE_STEPS  # within_cap(low) holds, within_cap(high) does not
        while high - low > 1:
            middle = (low + high) // 2
            if within_cap(middle):
                low = middle
            else:
                high = middle
        k, binding = low, BINDING_CAP
    scale = Decimal(k) / SCALE_STEPS
    candidate = _candidate(config, unscaled, scale, rep_roles)
    proposed = run(k)
    roles = {}
    for role in candidate.roles:
        source = unscaled.get(role.key)
        roles[role.key] = RoleProposal(
            key=role.key,
            monthly_quota=role.monthly_quota,
            commission_rate=role.commission_rate,
            annual_ote=role.annual_ote,
            annual_base=role.annual_base,
            target_annual_ote=target_of[role.key],
            rep_months=0 if source is None else source.rep_months,
            changed=source is not None,
        )
    pct = _pct(proposed.total.comp_pct_of_revenue)
    if binding == BINDING_CAP:
        message = (
            f"The comp cap binds: every role's variable pay is scaled by {scale:.4f} to keep comp at {pct} of "
            f"revenue, within the {_pct(cap_value)} cap."
        )
    else:
        message = (
            f"No constraint binds: quotas that {_pct(share_value)} of rep-months reach, with rates that pay the "
            f"target OTE at quota, keep comp at {pct} of revenue, within the {_pct(cap_value)} cap."
        )
    return Optimization(
        months=month_labels, share=share_value, cap=cap_value, scale=scale, binding=binding, roles=roles,
        candidate=candidate, current=current, proposed=proposed, unchanged_roles=unchanged, message=message,
    )


__all__ = [
    "BINDING_BASE_PAY",
    "BINDING_CAP",
    "BINDING_NONE",
    "DEFAULT_CAP",
    "DEFAULT_MONTHS",
    "DEFAULT_SHARE",
    "MIN_HISTORY_MONTHS",
    "InsufficientHistoryError",
    "Optimization",
    "OptimizerInputError",
    "RoleProposal",
    "optimization_to_dict",
    "optimization_to_json",
    "optimize",
    "quantile",
    "ramp_adjusted_units",
]
