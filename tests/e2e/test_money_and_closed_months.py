"""In a browser: a euro organization's screens in euros (issue 14, item 10), and a closed month saying so on every
tab with a way to reopen it (item 18)."""

import re
from datetime import UTC, date, datetime

import pytest
from playwright.sync_api import expect

from oteapp.jobs.snapshots import snapshots_compute
from oteapp.models import OrganizationSettings
from tests.e2e.axe import assert_no_axe_violations
from tests.e2e.conftest import LAPTOP, assert_no_horizontal_overflow
from tests.e2e.test_configuration import EMAIL, log_in
from tests.factories import UserFactory, organization_with_members
from tests.oteapp.test_configuration_view import worked_example_actuals, worked_example_configure

OCTOBER = date(2026, 10, 1)


@pytest.fixture
def organization(transactional_db):
    organization = organization_with_members("Euro Solar", owner=UserFactory(email=EMAIL))
    worked_example_configure(organization)
    worked_example_actuals(organization)
    return organization


def test_a_euro_organization_reads_euros(new_page, organization, screenshot):
    OrganizationSettings.unscoped.filter(organization=organization).update(currency="EUR")
    page = new_page(LAPTOP)
    log_in(page, organization)

    page.goto(f"/o/{organization.slug}/performance/?month=2026-10")
    tab = page.locator("#tab")
    for figure in ("€36,458.10", "+€412.00", "Revenue per €1 OTE", "€5.75"):
        expect(tab).to_contain_text(figure)
    assert "$" not in tab.inner_text()
    assert_no_axe_violations(page)
    screenshot(page, "performance-eur")

    page.locator("nav.tabs").get_by_role("link", name="Overview").click()
    expect(page.locator("svg.chart-svg text", has_text=re.compile("^€"))).not_to_have_count(0)
    assert "$" not in page.locator("#tab").inner_text()


def test_a_closed_month_says_so_on_every_tab_and_can_be_reopened(new_page, organization, screenshot):
    snapshots_compute(months_by_organization={organization.pk: [OCTOBER]}, now=datetime(2026, 11, 2, 12, tzinfo=UTC))
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/?month=2026-10")

    for label in ("Overview", "Team Performance", "Actuals", "P&L", "What-If", "Configuration", "History"):
        page.locator("nav.tabs").get_by_role("link", name=label, exact=True).click()
        expect(page.locator("nav.tabs a[aria-current=page]")).to_have_text(label)
        banner = page.locator(".closed-month")
        expect(banner).to_contain_text("Closed — figures frozen on 2 November 2026")
        expect(banner.get_by_role("link", name="Reopen October 2026")).to_be_visible()
        if label == "Overview":
            assert_no_horizontal_overflow(page)
            screenshot(page, "overview-closed-month")

    page.locator(".closed-month").get_by_role("link", name="Reopen October 2026").click()
    expect(page.get_by_role("heading", name="Reopen October 2026?")).to_be_visible()
