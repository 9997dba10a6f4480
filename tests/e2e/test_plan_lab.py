"""The Plan lab in a browser: the plan in force backtested, the optimizer's proposal with the sentence on what binds,
saved as a draft, compared beside the plan in force, and applied after a confirmation listing every change; axe on
each screen, screenshots in docs/screens."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from oteapp.models import AuditEvent, SalesRole
from tests.e2e.axe import assert_no_axe_violations
from tests.e2e.conftest import LAPTOP, wait_for_htmx_settled
from tests.e2e.test_configuration import EMAIL, log_in
from tests.factories import UserFactory, organization_with_members
from tests.oteapp.test_performance_view import worked_example

MONTHS = (date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1))


@pytest.fixture
def organization():
    organization = organization_with_members("Plan Lab Solar", owner=UserFactory(email=EMAIL))
    worked_example(organization, months=MONTHS)
    return organization


def test_backtest_optimize_save_compare_and_apply(new_page, organization, screenshot):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/plans/")
    expect(page.get_by_role("heading", name="Plan lab", exact=True)).to_be_visible()
    expect(page.locator(".backtest-table caption")).to_contain_text("Backtest over 4 months with actuals")
    assert_no_axe_violations(page)
    screenshot(page, "plan-lab-backtest")

    page.locator("#id_cap").fill("0.15")
    page.get_by_role("button", name="Propose a plan").click()
    wait_for_htmx_settled(page)
    expect(page.locator(".optimizer-result .binding")).to_contain_text("The comp cap binds")
    assert_no_axe_violations(page)
    screenshot(page, "plan-lab-optimizer")

    page.locator("#id_name").first.fill("Cap at 15%")
    page.get_by_role("button", name="Save as draft").first.click()
    expect(page.locator(".messages")).to_contain_text("Draft “Cap at 15%” saved")
    expect(page.locator(".backtest-table thead")).to_contain_text("Cap at 15%")
    assert_no_axe_violations(page)
    screenshot(page, "plan-lab-compare")

    page.locator(".draft-rename summary").click()
    page.get_by_label("New name").fill("Cap at 15%, reviewed")
    page.get_by_role("button", name="Rename", exact=True).click()
    expect(page.locator(".messages")).to_contain_text("Draft “Cap at 15%” renamed “Cap at 15%, reviewed”.")
    assert_no_axe_violations(page)

    page.get_by_role("link", name="Review and apply").click()
    expect(page.get_by_role("heading", name="Apply the draft “Cap at 15%, reviewed”?")).to_be_visible()
    expect(page.locator(".change-table")).to_contain_text("role closer · monthly quota")
    assert_no_axe_violations(page)
    screenshot(page, "plan-lab-apply-confirm")

    before = SalesRole.unscoped.get(organization=organization, key="closer").commission_rate
    page.get_by_role("button", name="Apply this plan").click()
    expect(page.locator(".messages")).to_contain_text("Draft “Cap at 15%, reviewed” applied")
    after = SalesRole.unscoped.get(organization=organization, key="closer").commission_rate
    assert after != before and after < Decimal("0.10")
    assert AuditEvent.unscoped.filter(organization=organization, action="plan_draft_apply").exists()


def test_bad_optimizer_input_is_a_field_error(new_page, organization):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/plans/")
    page.locator("#id_share").fill("1.5")
    page.get_by_role("button", name="Propose a plan").click()
    wait_for_htmx_settled(page)
    expect(page.locator("#optimizer .has-error")).to_contain_text("strictly between 0 and 1")
    assert_no_axe_violations(page)


def test_the_advisor_ranks_recommendations(new_page, organization, screenshot):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/plans/")
    page.get_by_role("link", name="Advisor", exact=True).click()
    expect(page.get_by_role("heading", name="Advisor", exact=True)).to_be_visible()
    expect(page.locator(".recommendation").first).to_be_visible()
    expect(page.locator('.recommendation[data-source="optimizer"]')).to_contain_text("Open the optimizer")
    assert_no_axe_violations(page)
    screenshot(page, "advisor")
