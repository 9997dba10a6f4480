"""Output types of the engine and their JSON form (the report contract, SPEC section 6).

Everything here holds full-precision Decimals; rounding happens only in ``to_dict``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from .numbers import MONEY, RATIO, UNITS, as_float
from .types import ActiveRep

STATUS_ON_TARGET = "on_target"
STATUS_AT_RISK = "at_risk"
STATUS_OFF_TARGET = "off_target"

SEVERITY_CRITICAL = "critical"
SEVERITY_WARNING = "warning"
SEVERITY_POSITIVE = "positive"
SEVERITIES = (SEVERITY_CRITICAL, SEVERITY_WARNING, SEVERITY_POSITIVE)

InsightValue = Decimal | str | None

_Frozen = TypeVar("_Frozen")


def build(cls: type[_Frozen], **values: Any) -> _Frozen:
    """``cls(**values)`` for the frozen dataclasses below, given every field, without the generated
    ``__init__``: that sets each field through ``object.__setattr__`` (the price of ``frozen``), which was a
    third of computing a report. The instance is the same (fields, equality, hash, repr); the classes stay
    frozen to everyone else. The engine builds its output with this; anything short of every field goes
    through ``__init__`` and its checks."""
    if len(values) != len(cls.__dataclass_fields__):  # type: ignore[attr-defined]
        return cls(**values)
    instance = object.__new__(cls)
    instance.__dict__.update(values)
    return instance


@dataclass(frozen=True)
class RepReport:
    rep_id: int | str
    name: str
    role_key: str
    units: Decimal
    ramp_factor: Decimal
    quota: Decimal  # ramped
    ote: Decimal  # ramped monthly OTE = base + target variable * ramp
    earnings: Decimal
    base: Decimal
    commission: Decimal
    ote_attainment: Decimal | None
    quota_attainment: Decimal | None
    revenue: Decimal  # credited revenue (closers only; 0 for other kinds)
    status: str | None = None  # by the organization's thresholds on ote_attainment (SPEC section 14)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rep_id": self.rep_id,
            "name": self.name,
            "role_key": self.role_key,
            "units": as_float(self.units, UNITS),
            "ramp_factor": as_float(self.ramp_factor, RATIO),
            "quota": as_float(self.quota, UNITS),
            "ote": as_float(self.ote, MONEY),
            "earnings": as_float(self.earnings, MONEY),
            "base": as_float(self.base, MONEY),
            "commission": as_float(self.commission, MONEY),
            "ote_attainment": as_float(self.ote_attainment, RATIO),
            "quota_attainment": as_float(self.quota_attainment, RATIO),
            "status": self.status,
        }


@dataclass(frozen=True)
class RoleReport:
    key: str
    name: str
    kind: str
    headcount: int
    monthly_ote: Decimal  # configured, unramped
    monthly_base: Decimal
    monthly_quota: Decimal  # configured, unramped
    required_commission_per_unit: Decimal | None
    configured_commission_per_unit: Decimal
    break_even_units: Decimal | None
    recommended_annual_ote: Decimal
    actual_units: Decimal
    actual_units_per_person: Decimal | None
    team_quota: Decimal  # Σ ramped quotas
    quota_attainment: Decimal | None
    ote_attainment: Decimal | None
    team_ote: Decimal
    team_actual: Decimal
    team_gap: Decimal
    gap_per_person: Decimal | None
    status: str | None
    revenue: Decimal  # Σ credited revenue (closer kinds only)
    reps: tuple[RepReport, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        # Key order is part of the contract: the SPEC's listed keys, then "name" and "reps".
        return {
            "key": self.key,
            "kind": self.kind,
            "headcount": self.headcount,
            "monthly_ote": as_float(self.monthly_ote, MONEY),
            "monthly_quota": as_float(self.monthly_quota, UNITS),
            "required_commission_per_unit": as_float(self.required_commission_per_unit, MONEY),
            "configured_commission_per_unit": as_float(self.configured_commission_per_unit, MONEY),
            "break_even_units": as_float(self.break_even_units, UNITS),
            "recommended_annual_ote": as_float(self.recommended_annual_ote, MONEY),
            "actual_units": as_float(self.actual_units, UNITS),
            "actual_units_per_person": as_float(self.actual_units_per_person, UNITS),
            "quota_attainment": as_float(self.quota_attainment, RATIO),
            "ote_attainment": as_float(self.ote_attainment, RATIO),
            "team_ote": as_float(self.team_ote, MONEY),
            "team_actual": as_float(self.team_actual, MONEY),
            "team_gap": as_float(self.team_gap, MONEY),
            "gap_per_person": as_float(self.gap_per_person, MONEY),
            "status": self.status,
            "name": self.name,
            "reps": [rep.to_dict() for rep in self.reps],
        }


@dataclass(frozen=True)
class Summary:
    team_avg_attainment: Decimal | None
    team_ote_attainment: Decimal | None
    total_ote: Decimal
    total_actual: Decimal
    ote_gap: Decimal
    revenue: Decimal
    revenue_per_ote_dollar: Decimal | None
    ote_pct_of_revenue: Decimal | None
    comp_pct_of_revenue: Decimal | None
    ebitda: Decimal
    headcount: int
    operating_expenses: Decimal

    def to_dict(self) -> dict[str, Any]:
        return {
            "team_avg_attainment": as_float(self.team_avg_attainment, RATIO),
            "team_ote_attainment": as_float(self.team_ote_attainment, RATIO),
            "total_ote": as_float(self.total_ote, MONEY),
            "total_actual": as_float(self.total_actual, MONEY),
            "ote_gap": as_float(self.ote_gap, MONEY),
            "revenue": as_float(self.revenue, MONEY),
            "revenue_per_ote_dollar": as_float(self.revenue_per_ote_dollar, RATIO),
            "ote_pct_of_revenue": as_float(self.ote_pct_of_revenue, RATIO),
            "comp_pct_of_revenue": as_float(self.comp_pct_of_revenue, RATIO),
            "ebitda": as_float(self.ebitda, MONEY),
        }


# How each insight value is rounded in the contract; strings (direction) pass through.
INSIGHT_VALUE_PRECISION: dict[str, Decimal] = {
    "pct_below": RATIO,
    "pct_above": RATIO,
    "rate_increase": RATIO,
    "ote_pct_of_revenue": RATIO,
    "more_units_per_person": UNITS,
    "add_headcount": UNITS,
    "add_closers": UNITS,
    "break_even_units": UNITS,
    "quota": UNITS,
}


@dataclass(frozen=True)
class Insight:
    code: str
    role: str | None
    severity: str
    message: str
    values: dict[str, InsightValue] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for key, value in self.values.items():
            if isinstance(value, Decimal):
                values[key] = as_float(value, INSIGHT_VALUE_PRECISION.get(key, RATIO))
            else:
                values[key] = value
        return {
            "code": self.code,
            "role": self.role,
            "severity": self.severity,
            "message": self.message,
            "values": values,
        }


@dataclass(frozen=True)
class Report:
    month: date
    currency: str
    summary: Summary
    roles: tuple[RoleReport, ...]
    insights: tuple[Insight, ...]
    missing_actuals: tuple[ActiveRep, ...] = ()

    def role(self, key: str) -> RoleReport:
        for role in self.roles:
            if role.key == key:
                return role
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        return {
            "month": f"{self.month.year:04d}-{self.month.month:02d}",
            "summary": self.summary.to_dict(),
            "roles": [role.to_dict() for role in self.roles],
            "insights": [insight.to_dict() for insight in self.insights],
            "missing_actuals": [{"rep": rep.name, "role": rep.role_key} for rep in self.missing_actuals],
        }


def report_to_json(report: Report) -> str:
    # No sort_keys: the contract's key order is meaningful and already fixed by to_dict.
    return json.dumps(report.to_dict(), indent=2)
