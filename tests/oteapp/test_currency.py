"""Money in the organization's currency (issue 14, item 10): a euro organization sees euros on every page, in the
digest email (HTML and text), in the report CSV's headers, on the investor page and in the command line's text
report, all formatted by one function (oteapp/number_format.format_money, Babel)."""

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command

from accounts.tenancy import organization_context
from oteapp.jobs.digests import digest_content_get, digest_message_build
from oteapp.models import OrganizationSettings
from oteapp.number_format import format_money, format_money_compact
from tests.jobs.conftest import worked_example_org
from tests.oteapp.test_configuration_view import config_post

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)
PAGES = [
    "", "performance/", "leaderboard/", "actuals/", "pnl/", "configuration/", "history/", "investor/",
    "what-if/?role-closer-headcount=5&target_revenue=300000&deal_value=12000&",
    "performance/reps/closer/",
]


@pytest.fixture
def euro():
    setup = worked_example_org("Euro Solar", months={OCTOBER: Decimal(1)})
    OrganizationSettings.unscoped.filter(organization=setup.organization).update(currency="EUR")
    return setup


@pytest.mark.parametrize(
    ("value", "currency", "places", "signed", "text"),
    [
        (Decimal("12345.6"), "USD", None, False, "$12,345.60"),
        (Decimal("12345.6"), "EUR", None, False, "€12,345.60"),
        (Decimal("-1376.4"), "EUR", None, False, "\N{MINUS SIGN}€1,376.40"),
        (Decimal("412"), "GBP", None, True, "+£412.00"),
        (Decimal("12345.6"), "JPY", None, False, "¥12,346"),  # the yen has no minor unit
        (Decimal("204120"), "EUR", 0, False, "€204,120"),
        (None, "EUR", None, False, "—"),
    ],
)
def test_money_is_formatted_by_the_currency(value, currency, places, signed, text):
    assert format_money(value, currency=currency, places=places, signed=signed) == text


def test_chart_axes_are_in_the_currency():
    axis = [format_money_compact(value, currency="EUR") for value in (0, 850, 45000, 1_200_000)]
    assert axis == ["€0", "€850", "€45K", "€1.2M"]


@pytest.mark.parametrize("page", PAGES)
def test_a_euro_organization_sees_euros_on_every_page(client, euro, page):
    client.force_login(euro.recipients[0])
    separator = "&" if "?" in page else "?"

    body = client.get(f"/o/{euro.organization.slug}/{page}{separator}month=2026-10").content.decode()

    assert "€" in body or page in ("actuals/", "history/"), page  # those two show no money
    assert "$" not in body, (page, body[max(0, body.index("$") - 200) : body.index("$") + 50] if "$" in body else "")


def test_the_performance_page_shows_the_worked_example_in_euros(client, euro):
    client.force_login(euro.recipients[0])

    body = client.get(f"/o/{euro.organization.slug}/performance/?month=2026-10").content.decode()

    for figure in ("€36,458.10", "+€412.00", "\N{MINUS SIGN}€1,376.40", "Revenue per €1 OTE", "€5.75"):
        assert figure in body


def test_the_digest_email_is_in_euros(euro):
    with organization_context(euro.organization):
        content = digest_content_get(organization=euro.organization, period=OCTOBER)
        message = digest_message_build(content=content, recipient=euro.recipients[0])
    html = next(alternative.content for alternative in message.alternatives if alternative.mimetype == "text/html")

    for body in (message.body, html):
        assert "€36,458.10" in body and "+€958.10" in body and "per €1" in body
        assert "$" not in body


def test_the_report_csv_names_the_currency_in_its_money_headers(client, euro):
    client.force_login(euro.recipients[0])

    csv_text = client.get(f"/o/{euro.organization.slug}/report.csv?month=2026-10").content.decode()

    header = next(csv.reader(io.StringIO(csv_text)))
    assert "team_gap (EUR)" in header and "monthly_ote (EUR)" in header and "ote_attainment" in header
    assert "revenue (EUR)" in csv_text and "ebitda (EUR)" in csv_text


def test_the_command_line_text_report_is_in_euros(euro):
    out = io.StringIO()

    call_command("report", euro.organization.slug, "--month", "2026-10", "--format", "text", stdout=out)

    text = out.getvalue()
    assert "Total actual earnings:   €36,458.10" in text and "Revenue per €1 OTE:      €5.75" in text
    assert "$" not in text


def test_the_currency_must_be_one_babel_knows(client, euro):
    client.force_login(euro.recipients[0])

    response = client.post(f"/o/{euro.organization.slug}/configuration/save/", config_post(**{"org-currency": "XYZ"}))

    assert response.status_code == 422 and "ISO 4217" in response.content.decode()
