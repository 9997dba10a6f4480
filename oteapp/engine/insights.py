"""Strategic insights (SPEC section 5): deterministic rules, each with a code and values.

Screens, emails and tests all read ``values``; the message is derived from the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import Decimal

from oteapp.rounding import round_half_up

from .numbers import HUNDRED, ONE, ZERO, div, dsum
from .report import (
    SEVERITIES,
    SEVERITY_CRITICAL,
    SEVERITY_POSITIVE,
    SEVERITY_WARNING,
    STATUS_OFF_TARGET,
    Insight,
    InsightValue,
    RoleReport,
    Summary,
    build,
)
from .types import KIND_CLOSER, KIND_MANAGER, KIND_SETTER, OrgConfig

CODE_BELOW_OTE = "below_ote"
CODE_ABOVE_OTE = "above_ote"
CODE_QUOTA_MISALIGNED = "quota_misaligned"
CODE_OTE_EFFICIENCY = "ote_efficiency"
CODES = (CODE_BELOW_OTE, CODE_ABOVE_OTE, CODE_QUOTA_MISALIGNED, CODE_OTE_EFFICIENCY)

DIRECTION_ABOVE_QUOTA = "above_quota"
DIRECTION_BELOW_QUOTA = "below_quota"

# SPEC fixes these as numbers, not org settings.
ABOVE_OTE_THRESHOLD = Decimal("1.10")
OTE_PCT_HEALTHY = Decimal("0.20")
OTE_PCT_WARNING = Decimal("0.30")

UNIT_NOUNS = {KIND_CLOSER: "deals", KIND_SETTER: "meetings", KIND_MANAGER: "team deals"}
# What "productivity" means for the rate_increase action of each kind.
RATE_NOUNS = {KIND_CLOSER: "close rate", KIND_SETTER: "booking rate"}


# 10 ** -places, made once (scaleb is exact in any context).
_PLACES = {places: Decimal(1).scaleb(-places) for places in range(5)}


def _fixed(value: Decimal, places: int) -> str:
    exp = _PLACES.get(places) or Decimal(1).scaleb(-places)
    rounded = round_half_up(value, exp)
    return f"{rounded.copy_abs() if rounded == 0 else rounded:,}"


def _pct(ratio: Decimal, places: int = 0) -> str:
    return _fixed(ratio * HUNDRED, places)


def _below_ote(role: RoleReport, config: OrgConfig, closer_units_per_person: Decimal | None) -> Insight:
    pct_below = ONE - role.ote_attainment if role.ote_attainment is not None else None
    gap_per_person = role.gap_per_person if role.gap_per_person is not None else ZERO
    more_units = div(-gap_per_person, role.configured_commission_per_unit)
    values: dict[str, InsightValue] = {
        "pct_below": pct_below,
        "more_units_per_person": more_units,
    }
    noun = UNIT_NOUNS[role.kind]
    parts = [f"{role.name}: {_pct(pct_below or ZERO)}% below OTE"]
    if more_units is not None:
        parts.append(f"Need {_fixed(more_units, 2)} more {noun}/{role.kind}/month")
    if role.kind == KIND_MANAGER:
        # Managers cannot lift their own units: the lever is more closers feeding the team.
        add_closers = div(more_units, closer_units_per_person)
        values["add_closers"] = add_closers
        if add_closers is not None:
            parts.append(f"or add {_fixed(add_closers, 1)} more closers")
    else:
        units_pp = role.actual_units_per_person
        positive = units_pp is not None and units_pp > 0
        rate_increase = div(more_units, units_pp) if positive else None
        add_headcount = rate_increase * Decimal(role.headcount) if rate_increase is not None else None
        values["rate_increase"] = rate_increase
        values["add_headcount"] = add_headcount
        if rate_increase is not None and add_headcount is not None:
            parts.append(f"or raise {RATE_NOUNS[role.kind]} by {_pct(rate_increase)}%")
            parts.append(f"or add {_fixed(add_headcount, 1)} more {role.name.lower()}")
    off_target = role.status == STATUS_OFF_TARGET
    return build(
        Insight,
        code=CODE_BELOW_OTE,
        role=role.key,
        severity=SEVERITY_CRITICAL if off_target else SEVERITY_WARNING,
        message=" · ".join(parts),
        values=values,
    )


def _above_ote(role: RoleReport) -> Insight:
    if role.ote_attainment is None:
        raise ValueError("above_ote needs a defined OTE attainment")
    pct_above = role.ote_attainment - ONE
    message = " · ".join(
        [
            f"{role.name}: Exceeding OTE by {_pct(pct_above)}%",
            "Consider raising OTE or quota to retain and scale",
            "or grow the team to capture demand",
        ]
    )
    return build(
        Insight,
        code=CODE_ABOVE_OTE,
        role=role.key,
        severity=SEVERITY_POSITIVE,
        message=message,
        values={"pct_above": pct_above},
    )


def _quota_misaligned(role: RoleReport, config: OrgConfig) -> Insight | None:
    break_even = role.break_even_units
    quota = role.monthly_quota
    if break_even is None:
        return None
    deviation = div(abs(break_even - quota), quota)
    if deviation is None or deviation <= config.misalignment_tolerance:
        return None
    noun = UNIT_NOUNS[role.kind]
    if break_even > quota:
        direction = DIRECTION_ABOVE_QUOTA
        parts = [
            f"{role.name}: OTE requires {_fixed(break_even, 1)} {noun} but quota is {_fixed(quota, 1)}",
            "OTE may be set too high",
            "or commission rate too low",
        ]
    else:
        direction = DIRECTION_BELOW_QUOTA
        parts = [
            f"{role.name}: OTE is reached at {_fixed(break_even, 1)} {noun} but quota is {_fixed(quota, 1)}",
            "OTE may be set too low",
            "or commission rate too high",
        ]
    return build(
        Insight,
        code=CODE_QUOTA_MISALIGNED,
        role=role.key,
        severity=SEVERITY_WARNING,
        message=" · ".join(parts),
        values={"break_even_units": break_even, "quota": quota, "direction": direction},
    )


def _ote_efficiency(summary: Summary) -> Insight | None:
    """The brief's rule judges full OTE against revenue; the text also gives what comp actually cost, and says
    which figure is which, so a month paid well below OTE does not read as overpaid."""
    pct = summary.ote_pct_of_revenue
    if pct is None or summary.revenue <= 0:
        return None
    if pct < OTE_PCT_HEALTHY:
        severity, verdict = SEVERITY_POSITIVE, "OTE is healthy (under 20%)"
    elif pct <= OTE_PCT_WARNING:
        severity, verdict = SEVERITY_WARNING, "OTE is high (20-30%) · review OTE levels against revenue"
    else:
        severity, verdict = (
            SEVERITY_CRITICAL,
            "OTE is too high (over 30%) · at full OTE the comp plan would not be sustainable",
        )
    comp = summary.comp_pct_of_revenue if summary.comp_pct_of_revenue is not None else ZERO
    return build(
        Insight,
        code=CODE_OTE_EFFICIENCY,
        role=None,
        severity=severity,
        message=(
            f"Paying full OTE would cost {_pct(pct, 1)}% of this month's revenue; "
            f"comp actually earned is {_pct(comp, 1)}%: {verdict}"
        ),
        values={"ote_pct_of_revenue": pct, "comp_pct_of_revenue": summary.comp_pct_of_revenue},
    )


def build_insights(*, config: OrgConfig, roles: Sequence[RoleReport], summary: Summary) -> tuple[Insight, ...]:
    closer_roles = [role for role in roles if role.kind == KIND_CLOSER]
    closer_units_per_person = div(
        dsum(role.actual_units for role in closer_roles),
        Decimal(sum(role.headcount for role in closer_roles)),
    )
    insights: list[Insight] = []
    for role in roles:
        attainment = role.ote_attainment
        if role.headcount and attainment is not None and attainment < config.on_target_threshold and role.team_gap < 0:
            insights.append(_below_ote(role, config, closer_units_per_person))
        if role.headcount and attainment is not None and attainment > ABOVE_OTE_THRESHOLD:
            insights.append(_above_ote(role))
        misaligned = _quota_misaligned(role, config)
        if misaligned is not None:
            insights.append(misaligned)
    efficiency = _ote_efficiency(summary)
    if efficiency is not None:
        insights.append(efficiency)
    return tuple(sorted(insights, key=_sort_key(roles)))


def _sort_key(roles: Sequence[RoleReport]) -> Callable[[Insight], tuple[int, bool, Decimal, int, int]]:
    """Critical, warning, positive; within one, worst role attainment first.

    Insights without an attainment (org-wide ones, roles with nobody) come last in their
    severity; ties keep config order, then the code order.
    """
    attainment = {role.key: role.ote_attainment for role in roles}
    position = {role.key: index for index, role in enumerate(roles)}

    def key(insight: Insight) -> tuple[int, bool, Decimal, int, int]:
        value = attainment.get(insight.role) if insight.role is not None else None
        return (
            SEVERITIES.index(insight.severity),
            value is None,
            value if value is not None else ZERO,
            position.get(insight.role, len(position)) if insight.role is not None else len(position),
            CODES.index(insight.code),
        )

    return key
