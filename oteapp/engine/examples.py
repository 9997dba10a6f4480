"""SPEC section 11's worked example A as engine inputs: for tests, demos and seed data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from .types import COMP_COMMISSION_ONLY, KIND_CLOSER, KIND_MANAGER, KIND_SETTER, OrgConfig, RepMonth, RoleConfig

WORKED_EXAMPLE_MONTH = date(2026, 10, 1)


def worked_example_config() -> OrgConfig:
    return OrgConfig(
        deal_value=Decimal("11340"),
        meeting_to_deal_rate=Decimal("0.25"),
        comp_model=COMP_COMMISSION_ONLY,
        monthly_operating_expenses=Decimal("9000"),
        roles=(
            RoleConfig(
                key="closer",
                name="Closers",
                kind=KIND_CLOSER,
                annual_ote=Decimal("60000"),
                annual_base=Decimal("0"),
                monthly_quota=Decimal("5"),
                commission_rate=Decimal("0.10"),
            ),
            RoleConfig(
                key="setter",
                name="Setters",
                kind=KIND_SETTER,
                annual_ote=Decimal("48000"),
                annual_base=Decimal("0"),
                monthly_quota=Decimal("40"),
                commission_rate=Decimal("0.05"),
            ),
            RoleConfig(
                key="manager",
                name="Managers",
                kind=KIND_MANAGER,
                annual_ote=Decimal("90000"),
                annual_base=Decimal("0"),
                monthly_quota=Decimal("40"),
                commission_rate=Decimal("0.03"),
            ),
        ),
    )


def worked_example_actuals() -> tuple[RepMonth, ...]:
    return (
        RepMonth(rep_id=1, name="Ana", role_key="closer", deals=Decimal("6")),
        RepMonth(rep_id=2, name="Ben", role_key="closer", deals=Decimal("4")),
        RepMonth(rep_id=3, name="Cy", role_key="closer", deals=Decimal("3")),
        RepMonth(rep_id=4, name="Dee", role_key="closer", deals=Decimal("5")),
        RepMonth(rep_id=5, name="Eli", role_key="setter", meetings=Decimal("42"), deals=Decimal("10")),
        RepMonth(rep_id=6, name="Fay", role_key="setter", meetings=Decimal("30")),
        RepMonth(rep_id=7, name="Gus", role_key="manager", team_deals=Decimal("18")),
    )
