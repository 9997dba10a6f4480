"""What-If tab in a browser: a live scenario beside the baseline, goal-seek, and applying it."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from oteapp.models import AuditEvent, SalesRole
from tests.e2e.conftest import LAPTOP, PHONE, assert_no_horizontal_overflow
from tests.e2e.test_configuration import EMAIL, log_in
from tests.factories import UserFactory, organization_with_members
from tests.oteapp.test_configuration_view import worked_example_actuals, worked_example_configure


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


def test_applying_a_scenario_to_the_configuration(new_page, organization):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/what-if/?month=2026-10")
    ote = page.locator("#id_role-closer-annual_ote")
    ote.fill("")
    ote.press_sequentially("50000", delay=20)
    expect(page.locator(".apply-panel")).to_contain_text("$60,000.00 → $50,000.00")

    page.get_by_role("button", name="Apply these changes").click()

    expect(page.locator(".whatif .notice")).to_have_text("Scenario applied to the configuration: 1 value changed.")
    assert SalesRole.unscoped.get(organization=organization, key="closer").annual_ote == Decimal("50000")
    assert AuditEvent.unscoped.filter(organization=organization, action="whatif_apply").count() == 1


def test_the_what_if_on_a_phone(new_page, organization, screenshot):
    page = new_page(PHONE)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/what-if/?month=2026-10&role-closer-headcount=5&target_revenue=300000")
    expect(page.locator('#whatif-results [data-scenario="revenue"]')).to_have_text("$255,150.00")

    assert_no_horizontal_overflow(page)
    screenshot(page, "whatif-phone")
