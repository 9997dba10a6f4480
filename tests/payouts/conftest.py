"""Worked example B of SPEC section 12 in the database: the organization and closer role of example A with
accelerators and a recoverable draw of 2,000 a month; Ana, closer since 2026-01, with 1, 8 and 2 deals in
2026-08..10, a "Q3 SPIFF" bonus of 500 in 2026-09 and a clawback of 1,134 of 2026-09 in 2026-10."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.tenancy import organization_context
from oteapp.models import OrganizationSettings, SalesRole
from oteapp.payouts.services import adjustment_add
from tests.factories import actual_create, rep_create

AUG, SEP, OCT = date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)

# month: (commission, adjustments, earned, draw recovery, payout, balance after)
EXAMPLE_B = {
    "2026-08": (1134.00, 0.00, 1134.00, 0.00, 2000.00, 866.00),
    "2026-09": (11056.50, 500.00, 11556.50, 866.00, 10690.50, 0.00),
    "2026-10": (2268.00, -1134.00, 1134.00, 0.00, 2000.00, 866.00),
}


def example_b_configure(organization) -> None:
    with organization_context(organization):
        OrganizationSettings.objects.filter(organization=organization).update(
            deal_value=Decimal("11340"), meeting_to_deal_rate=Decimal("0.25"), timezone="America/New_York",
            monthly_operating_expenses=Decimal("9000"),
        )
        SalesRole.objects.filter(organization=organization, key="closer").update(
            annual_ote=Decimal("60000"), monthly_quota=Decimal("5"), commission_rate=Decimal("0.10"),
            accelerators=[
                {"from": "0", "multiplier": "1.0"}, {"from": "1.0", "multiplier": "1.5"},
                {"from": "1.5", "multiplier": "2.0"},
            ],
            monthly_draw=Decimal("2000"), draw_recoverable=True,
        )


@pytest.fixture
def example_b(organization, owner):
    """The organization with example B's role, Ana's actuals and her two adjustments; returns Ana."""
    example_b_configure(organization)
    ana = rep_create(organization, name="Ana", role="closer", start_date=date(2026, 1, 1))
    ana.email = "ana@acme.example"
    ana.save(update_fields=["email"])
    for month, deals in ((AUG, 1), (SEP, 8), (OCT, 2)):
        actual_create(organization, rep=ana, month=month, deals=deals)
    with organization_context(organization):
        adjustment_add(organization=organization, actor=owner, rep=ana, month=SEP, kind="bonus",
                       amount=Decimal("500"), reason="Q3 SPIFF")
        adjustment_add(organization=organization, actor=owner, rep=ana, month=OCT, kind="clawback",
                       amount=Decimal("-1134"), reason="policy lapsed", reverses_month=SEP)
    return ana
