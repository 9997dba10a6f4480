"""Input types of the engine: an organization's configuration and one month's actuals.

Plain frozen dataclasses so the ORM layer, the importers and the tests can build them
without Django; every amount is a ``Decimal``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

KIND_CLOSER = "closer"
KIND_SETTER = "setter"
KIND_MANAGER = "manager"
KINDS = (KIND_CLOSER, KIND_SETTER, KIND_MANAGER)

COMP_COMMISSION_ONLY = "commission_only"
COMP_MIXED = "mixed"
COMP_MODELS = (COMP_COMMISSION_ONLY, COMP_MIXED)


@dataclass(frozen=True)
class AcceleratorTier:
    """Marginal multiplier for units above ``from_attainment`` * the rep's ramped quota."""

    from_attainment: Decimal
    multiplier: Decimal


@dataclass(frozen=True)
class RoleConfig:
    key: str
    name: str
    kind: str
    annual_ote: Decimal
    annual_base: Decimal
    monthly_quota: Decimal
    commission_rate: Decimal
    ramp: tuple[Decimal, ...] = ()
    accelerators: tuple[AcceleratorTier, ...] = ()
    # A guaranteed monthly advance (SPEC section 12); recoverable draws are paid back from later earnings.
    monthly_draw: Decimal = Decimal(0)
    draw_recoverable: bool = False


@dataclass(frozen=True)
class RepPlan:
    """A rep's own plan (SPEC section 14): each figure set here replaces the role's for that rep; None keeps
    the role's. Ramp, accelerators and whether a draw is recoverable always stay the role's."""

    annual_ote: Decimal | None = None
    annual_base: Decimal | None = None
    monthly_quota: Decimal | None = None
    commission_rate: Decimal | None = None
    monthly_draw: Decimal | None = None

    FIELDS = ("annual_ote", "annual_base", "monthly_quota", "commission_rate", "monthly_draw")

    def overridden(self) -> tuple[str, ...]:
        """The names of the figures this plan sets, in FIELDS order."""
        return tuple(name for name in self.FIELDS if getattr(self, name) is not None)


@dataclass(frozen=True)
class OrgConfig:
    deal_value: Decimal
    meeting_to_deal_rate: Decimal
    comp_model: str
    monthly_operating_expenses: Decimal
    roles: tuple[RoleConfig, ...]
    on_target_threshold: Decimal = Decimal("1.00")
    at_risk_threshold: Decimal = Decimal("0.85")
    misalignment_tolerance: Decimal = Decimal("0.10")
    currency: str = "USD"
    # Per-rep plan overrides by rep id. Part of the configuration (not of the actuals) so a closed month's
    # snapshot pins them with everything else. Read-only by convention; left out of the hash (a dict is not
    # hashable) but not of equality.
    rep_plans: Mapping[int | str, RepPlan] = field(default_factory=dict, hash=False)

    def role(self, key: str) -> RoleConfig:
        for role in self.roles:
            if role.key == key:
                return role
        raise KeyError(key)


@dataclass(frozen=True)
class RepMonth:
    """One rep's actuals row for the month; a row of zeros still counts the rep in."""

    rep_id: int | str
    name: str
    role_key: str
    start_date: date | None = None
    deals: Decimal | None = None
    meetings: Decimal | None = None
    team_deals: Decimal | None = None
    revenue: Decimal | None = None


@dataclass(frozen=True)
class ActiveRep:
    """An active rep of the month, used only to list the ones without an actuals row."""

    rep_id: int | str
    name: str
    role_key: str


ADJUSTMENT_BONUS = "bonus"
ADJUSTMENT_CLAWBACK = "clawback"
ADJUSTMENT_CORRECTION = "correction"
ADJUSTMENT_KINDS = (ADJUSTMENT_BONUS, ADJUSTMENT_CLAWBACK, ADJUSTMENT_CORRECTION)


@dataclass(frozen=True)
class Adjustment:
    """A change to what a rep is paid for ``month`` (SPEC section 12): a bonus (positive), a clawback (negative,
    naming the earlier month it reverses) or a correction (either sign). It changes earned and payout, never the
    performance report. ``name`` and ``role_key`` place the rep on a statement when the month has no actuals
    row for them (as RepMonth does)."""

    rep_id: int | str
    name: str
    role_key: str
    month: date
    kind: str
    amount: Decimal
    reason: str
    reverses_month: date | None = None


@dataclass(frozen=True)
class MonthActuals:
    """One month of history for a backtest: the actuals rows only (the plan is the one being tested)."""

    month: date
    actuals: tuple[RepMonth, ...]


@dataclass(frozen=True)
class MonthInputs:
    """Everything the engine needs for one month: the configuration it is computed with (a closed month's
    pinned one, today's for an open month), its actuals rows and its adjustments."""

    month: date
    config: OrgConfig
    actuals: tuple[RepMonth, ...]
    adjustments: tuple[Adjustment, ...] = ()
