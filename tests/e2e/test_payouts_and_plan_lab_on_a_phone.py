"""The Payouts tab, the not-found page and the Plan lab's comparison on a phone (390 px): wide tables scroll inside
their own wrapper and nothing else makes the page wider than the screen; axe stays clean."""

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from accounts.tenancy import organization_context
from oteapp.files.configuration import plan_document
from oteapp.models import PlanDraft
from oteapp.payouts.services import adjustment_add
from oteapp.selectors import organization_config_get
from tests.e2e.axe import assert_no_axe_violations
from tests.e2e.conftest import PHONE, assert_no_horizontal_overflow
from tests.e2e.test_configuration import EMAIL, log_in
from tests.factories import UserFactory, actual_create, organization_with_members, rep_create
from tests.oteapp.test_performance_view import worked_example
from tests.payouts.conftest import AUG, OCT, SEP, example_b_configure
from tests.plans.test_plan_lab_view import MONTHS


@pytest.fixture
def owner():
    return UserFactory(email=EMAIL)


def test_the_payouts_tab_fits_a_phone(new_page, owner, screenshot):
    organization = organization_with_members("Acme Insurance", owner=owner)
    example_b_configure(organization)
    ana = rep_create(organization, name="Ana", role="closer", start_date=date(2026, 1, 1))
    for month, deals in ((AUG, 1), (SEP, 8), (OCT, 2)):
        actual_create(organization, rep=ana, month=month, deals=deals)
    with organization_context(organization):
        adjustment_add(organization=organization, actor=owner, rep=ana, month=SEP, kind="bonus",
                       amount=Decimal("500"), reason="Q3 SPIFF")
    page = new_page(PHONE)
    log_in(page, organization)

    page.goto(f"/o/{organization.slug}/payouts/?month=2026-09")

    expect(page.locator(".payouts-table")).to_contain_text("Ana")
    assert_no_horizontal_overflow(page)
    assert_no_axe_violations(page)
    screenshot(page, "payouts-phone")

    page.goto(f"/o/{organization.slug}/statements/{ana.pk + 1000}/?month=2026-09")  # the not-found page
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.get_by_role("link", name="Back to Acme Insurance")).to_be_visible()
    assert_no_horizontal_overflow(page)
    assert_no_axe_violations(page)


def test_the_plan_lab_comparison_fits_a_phone(new_page, owner, screenshot):
    organization = organization_with_members("Plan Lab Solar", owner=owner)
    worked_example(organization, months=MONTHS)
    with organization_context(organization):
        document = plan_document(organization=organization, config=organization_config_get(organization=organization))
        PlanDraft.objects.create(organization=organization, name="Cap at 15%", configuration=document)
    page = new_page(PHONE)
    log_in(page, organization)

    page.goto(f"/o/{organization.slug}/plans/")

    expect(page.locator(".backtest-table thead")).to_contain_text("Cap at 15%")
    assert_no_horizontal_overflow(page)
    assert_no_axe_violations(page)
    screenshot(page, "plan-lab-compare-phone")
