"""Numbers as people type them (issue 14, item 13): "10,000" and "$10,500" are read the same way on the
Configuration tab, the actuals grid and the actuals CSV, and what cannot be read without guessing ("1.234,50")
is refused everywhere with the same message (oteapp/number_format.py's parse_number)."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.tenancy import organization_context
from oteapp.files.actuals_csv import ActualsImportError, actuals_csv_import
from oteapp.models import MonthlyActual, OrganizationSettings, SalesRole
from oteapp.number_format import NumberTextError, parse_number
from tests.factories import rep_create
from tests.oteapp.test_configuration_view import config_post
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)
CSV_HEADER = "month,rep,role,deals,meetings,team_deals,revenue,start_date\n"
READ = [
    ("10,000", Decimal("10000")),
    ("$10,500", Decimal("10500")),
    ("€1,234.50", Decimal("1234.50")),
    ("EUR 1,234.50", Decimal("1234.50")),
    (" 1,234,567.5 ", Decimal("1234567.5")),
    ("12.", Decimal("12")),
    (".5", Decimal("0.5")),
    ("\N{MINUS SIGN}3", Decimal("-3")),
]
AMBIGUOUS = ["1.234,50", "€1.234,50", "10,00", "1,5"]
NOT_NUMBERS = ["abc", "1e5", "NaN", "Infinity", "12 000", "$$5", "0x10"]


@pytest.mark.parametrize(("typed", "number"), READ)
def test_what_people_type_is_read(typed, number):
    assert parse_number(typed) == number


@pytest.mark.parametrize("typed", AMBIGUOUS)
def test_a_decimal_comma_is_refused_with_how_to_write_it(typed):
    with pytest.raises(NumberTextError, match=r"can be read two ways: write it like 1234\.50 or 1,234\.50"):
        parse_number(typed)


@pytest.mark.parametrize("typed", NOT_NUMBERS)
def test_words_and_exponents_are_not_numbers(typed):
    with pytest.raises(NumberTextError, match=r"Enter a number, like 6, 2.5 or 10,000"):
        parse_number(typed)


@pytest.fixture
def ana(organization):
    return rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))


def test_the_actuals_grid_reads_separators_and_currency_signs(owner_client, organization, ana):
    response = owner_client.post(
        f"/o/{organization.slug}/actuals/rows/{ana.pk}/2026-10/",
        {"version": "0", "deals": "1,250", "revenue": "$10,500"},
    )

    assert response.status_code == 302
    row = MonthlyActual.unscoped.get(rep=ana, month=OCTOBER)
    assert (row.deals, row.revenue) == (Decimal("1250"), Decimal("10500"))


def test_the_actuals_csv_reads_separators_and_currency_signs(organization, ana):
    with organization_context(organization):
        actuals_csv_import(organization=organization, data=CSV_HEADER + '2026-10,Ana,closer,"1,250",,,"$10,500.50",\n')

    row = MonthlyActual.unscoped.get(rep=ana, month=OCTOBER)
    assert (row.deals, row.revenue) == (Decimal("1250"), Decimal("10500.50"))


def test_the_configuration_reads_separators_and_currency_signs(owner_client, organization):
    response = owner_client.post(
        f"/o/{organization.slug}/configuration/save/",
        config_post(**{"org-deal_value": "$10,500", "role-closer-annual_ote": "€72,000.50"}),
    )

    assert response.status_code == 302
    assert OrganizationSettings.unscoped.get(organization=organization).deal_value == Decimal("10500")
    assert SalesRole.unscoped.get(organization=organization, key="closer").annual_ote == Decimal("72000.50")


def test_an_ambiguous_number_is_refused_the_same_way_everywhere(owner_client, organization, ana):
    message = "“1.234,50” can be read two ways: write it like 1234.50 or 1,234.50"
    before = tenant_rows_fingerprint()

    grid = owner_client.post(
        f"/o/{organization.slug}/actuals/rows/{ana.pk}/2026-10/", {"version": "0", "deals": "1", "revenue": "1.234,50"}
    )
    configuration = owner_client.post(
        f"/o/{organization.slug}/configuration/save/", config_post(**{"org-deal_value": "1.234,50"})
    )
    with organization_context(organization), pytest.raises(ActualsImportError) as refused:
        actuals_csv_import(organization=organization, data=CSV_HEADER + '2026-10,Ana,closer,1,,,"1.234,50",\n')

    assert grid.status_code == 422 and message in grid.content.decode()
    assert configuration.status_code == 422 and message in configuration.content.decode()
    assert str(refused.value).startswith(f"line 2, column revenue: {message}")
    assert tenant_rows_fingerprint() == before
