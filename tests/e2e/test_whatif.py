"""What-If tab in a browser: a live scenario beside the baseline, goal-seek, and applying it."""

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import expect

from oteapp.jobs.snapshots import snapshots_compute
from oteapp.models import AuditEvent, OrganizationSettings, SalesRole
from tests.e2e.conftest import LAPTOP, PHONE, assert_no_horizontal_overflow, wait_for_htmx_settled
from tests.e2e.test_configuration import EMAIL, log_in
from tests.factories import UserFactory, organization_with_members
from tests.oteapp.test_configuration_view import worked_example_actuals, worked_example_configure

OCTOBER = date(2026, 10, 1)


@pytest.fixture
def organization():
    organization = organization_with_members("Scenario Co", owner=UserFactory(email=EMAIL))
    worked_example_configure(organization)
    worked_example_actuals(organization)
    return organization


def test_changing_the_closers_headcount_changes_the_scenario(new_page, organization, screenshot):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/what-if/?month=2026-10")
    revenue = page.locator('#whatif-results [data-scenario="revenue"]')
    expect(revenue).to_have_text("$204,120.00")
    page.evaluate("window.noReload = true")

    headcount = page.locator("#id_role-closer-headcount")
    headcount.fill("")
    headcount.press_sequentially("5", delay=40)

    expect(revenue).to_have_text("$255,150.00")
    expect(page.locator('#whatif-results table[data-role="closer"] [data-scenario="headcount"]')).to_have_text("5")
    expect(page).to_have_url(re.compile(r"role-closer-headcount=5"))
    assert page.evaluate("window.noReload") is True

    page.locator("#id_target_revenue").press_sequentially("204120", delay=20)
    expect(page.locator("[data-closers-needed]")).to_have_text("4 closers")
    screenshot(page, "whatif-laptop")
    assert_no_horizontal_overflow(page)


def test_applying_a_scenario_to_the_configuration(new_page, organization, screenshot):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/what-if/?month=2026-10")
    ote = page.locator("#id_role-closer-annual_ote")
    ote.fill("")
    ote.press_sequentially("50000", delay=20)
    expect(page.locator(".apply-panel")).to_contain_text("$60,000.00 → $50,000.00")

    page.get_by_role("link", name="Review and apply…").click()
    expect(page.get_by_role("heading", name="Apply the scenario to the configuration?")).to_be_visible()
    expect(page.locator("td[data-after]")).to_have_text(["$50,000.00"])
    screenshot(page, "whatif-apply-confirm")
    page.get_by_role("button", name="Apply 1 change").click()

    expect(page.locator(".whatif .notice")).to_have_text("Scenario applied to the configuration: 1 value changed.")
    assert SalesRole.unscoped.get(organization=organization, key="closer").annual_ote == Decimal("50000")
    assert AuditEvent.unscoped.filter(organization=organization, action="whatif_apply").count() == 1
    expect(page).to_have_url(re.compile(r"/what-if/\?month=2026-10$"))


def test_applying_on_a_closed_month_changes_only_the_value_typed(new_page, organization, screenshot):
    """Issue 14, item 9: October is closed with its configuration; today's moved on since."""
    snapshots_compute(months_by_organization={organization.pk: [OCTOBER]}, now=datetime(2026, 11, 2, 12, tzinfo=UTC))
    SalesRole.unscoped.filter(organization=organization, key="closer").update(monthly_quota=Decimal("6"))
    OrganizationSettings.unscoped.filter(organization=organization).update(deal_value=Decimal("12500"))
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/what-if/?month=2026-10")
    expect(page.locator(".closed-month")).to_contain_text("Closed — figures frozen on 2 November 2026")
    expect(page.locator("#id_role-closer-monthly_quota")).to_have_value("5")  # October's, frozen

    ote = page.locator("#id_role-closer-annual_ote")
    ote.fill("")
    ote.press_sequentially("70000", delay=20)

    expect(page.locator(".apply-panel li")).to_have_text(["Closers · Annual OTE: $60,000.00 → $70,000.00"])
    screenshot(page, "whatif-closed-month")
    page.get_by_role("link", name="Review and apply…").click()
    page.get_by_role("button", name="Apply 1 change").click()
    expect(page.locator(".whatif .notice")).to_have_text("Scenario applied to the configuration: 1 value changed.")
    closer = SalesRole.unscoped.get(organization=organization, key="closer")
    assert (closer.annual_ote, closer.monthly_quota) == (Decimal("70000"), Decimal("6"))
    assert OrganizationSettings.unscoped.get(organization=organization).deal_value == Decimal("12500")


def test_changing_the_month_keeps_one_of_each_parameter(new_page, organization):
    """Issue 14, item 12."""
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/what-if/?month=2026-10&role-closer-headcount=5")
    for month in ("2026-09", "2026-08", "2026-10"):
        page.locator(".month-selector input[name=month]").fill(month)
        page.locator(".month-selector input[name=month]").dispatch_event("change")
        expect(page).to_have_url(re.compile(rf"month={month}"))
        wait_for_htmx_settled(page)
        query = parse_qs(urlsplit(page.url).query)
        assert query == {"month": [month], "role-closer-headcount": ["5"]}, page.url
    # Team Performance chooses a period (issue 17): one `period` in place of the month.
    page.goto(f"/o/{organization.slug}/performance/?month=2026-10")
    for period in ("2026-Q4", "2026-ytd", "2026-10"):
        page.get_by_label("Period").select_option(period)
        expect(page).to_have_url(re.compile(rf"/performance/\?period={period}$"))
        wait_for_htmx_settled(page)


def test_the_what_if_on_a_phone(new_page, organization, screenshot):
    page = new_page(PHONE)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/what-if/?month=2026-10&role-closer-headcount=5&target_revenue=300000")
    expect(page.locator('#whatif-results [data-scenario="revenue"]')).to_have_text("$255,150.00")

    assert_no_horizontal_overflow(page)
    screenshot(page, "whatif-phone")
