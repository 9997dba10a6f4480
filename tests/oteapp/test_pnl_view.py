"""P&L: the month's statement and the trailing twelve months, from the engine's report."""

import re
from datetime import date
from decimal import Decimal

import pytest

from accounts.tenancy import organization_context
from oteapp.models import OrganizationSettings, SalesRole
from oteapp.selectors import pnl_get
from tests.oteapp.test_performance_view import OCTOBER, section, tab, worked_example

pytestmark = pytest.mark.django_db

SEPTEMBER = date(2026, 9, 1)


def test_the_month_statement_of_the_worked_example(owner_client, organization):
    worked_example(organization)
    html = tab(owner_client.get(f"/o/{organization.slug}/pnl/?month=2026-10"))
    statement = section(html, '<table class="statement">', "</table>")
    rows = {
        "Revenue": "$204,120.00",
        "Closers commission": "$20,412.00",
        "Setters commission": "$9,922.50",
        "Managers commission": "$6,123.60",
        "Sales compensation": "$36,458.10",
        "Operating expenses": "$9,000.00",
        "EBITDA</th>": "$158,661.90",
        "EBITDA margin": "77.7%",
    }
    for label, figure in rows.items():
        assert figure in section(statement, label, "</tr>"), label
    assert "base" not in statement  # commission-only: no base lines
    kpis = section(html, 'class="kpis"', '<div class="table-wrap" tabindex="0">')
    assert "17.9% of revenue" in kpis


def test_trailing_twelve_months_table_and_totals(owner_client, organization):
    worked_example(organization, months=(SEPTEMBER, OCTOBER))
    html = tab(owner_client.get(f"/o/{organization.slug}/pnl/?month=2026-10"))
    ttm = section(html, '<table class="ttm">', "</table>")
    body = section(ttm, "<tbody>", "</tbody>")
    assert body.count("<tr") == 12
    assert body.count("No actuals") == 10  # Nov 2025 … Aug 2026
    assert re.search(r'<tr class="current" aria-current="date">\s*<th scope="row" class="nowrap">Oct 2026<', body)
    total = section(ttm, "<tfoot>", "</tfoot>")
    for figure in ("$408,240.00", "$40,824.00", "$19,845.00", "$12,247.20", "$72,916.20", "$18,000.00",
                   "$317,323.80", "77.7%"):
        assert figure in total, figure
    assert "2 of 12 months have actuals" in html


def test_mixed_comp_model_shows_base_by_role(owner_client, organization):
    worked_example(organization)
    OrganizationSettings.unscoped.filter(organization=organization).update(comp_model="mixed")
    SalesRole.unscoped.filter(organization=organization, key="closer").update(annual_base=Decimal("24000"))
    html = tab(owner_client.get(f"/o/{organization.slug}/pnl/?month=2026-10"))
    statement = section(html, '<table class="statement">', "</table>")
    assert "$8,000.00" in section(statement, "Closers base", "</tr>")  # 4 closers x $2,000
    assert "Closers base" in section(html, '<table class="ttm">', "</thead>")


def test_pnl_selector_totals_only_months_with_actuals(organization):
    worked_example(organization, months=(SEPTEMBER, OCTOBER))
    with organization_context(organization):
        pnl = pnl_get(organization=organization, month=OCTOBER)
    assert (pnl.trailing[0].month, pnl.trailing[-1].month) == (date(2025, 11, 1), OCTOBER)
    assert pnl.months_with_actuals == 2
    assert pnl.month.ebitda == Decimal("158661.90")
    assert pnl.total.operating_expenses == Decimal("18000")
    assert pnl.total.ebitda == Decimal("317323.80")
    assert round(pnl.total.margin, 4) == Decimal("0.7773")
    assert [line.total for line in pnl.month.roles] == [Decimal("20412.00"), Decimal("9922.50"), Decimal("6123.60")]


def test_empty_month_and_partial(owner_client, organization):
    worked_example(organization)
    empty = owner_client.get(f"/o/{organization.slug}/pnl/?month=2026-12", headers={"HX-Request": "true"})
    html = tab(empty)
    assert "<html" not in html and "No actuals for December 2026 yet" in html
    assert "Trailing twelve months" in html and "1 of 12 months have actuals" in html
    assert "HX-Request" in empty["Vary"]
    assert empty.context["active_tab"] == "pnl"
