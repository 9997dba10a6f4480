"""Input types of the engine: an organization's configuration and one month's actuals.

Plain frozen dataclasses so the ORM layer, the importers and the tests can build them
without Django; every amount is a ``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass
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
