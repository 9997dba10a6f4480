"""The Actuals tab in a browser: enter a month in the grid, see a cell error, upload a CSV and apply it
after its preview, all without a full page load; screenshots at laptop and phone width."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import expect

from oteapp.models import MonthlyActual, Rep
from tests.e2e.axe import assert_no_axe_violations
from tests.e2e.conftest import PHONE, assert_no_horizontal_overflow
from tests.factories import PASSWORD, UserFactory, organization_with_members
from tests.factories import rep_create as make_rep

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "lead@solar.example"
CSV = Path(__file__).resolve().parents[1] / "oteapp" / "files" / "worked_example_actuals.csv"
OCTOBER = date(2026, 10, 1)


@pytest.fixture
def team():
    organization = organization_with_members("Bright Solar", owner=UserFactory(email=EMAIL))
    start = date(2025, 1, 1)
    reps = {
        name: make_rep(organization, name=name, role=role, start_date=start)
        for name, role in (("Ana", "closer"), ("Ben", "closer"), ("Eli", "setter"), ("Gus", "manager"))
    }
    return organization, reps


def log_in(page) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/o/bright-solar/"))


def deals_of(rep) -> Decimal | None:
    row = MonthlyActual.unscoped.filter(rep=rep, month=OCTOBER).first()
    return row.deals if row else None


def test_enter_actuals_see_an_error_and_apply_a_csv(new_page, team, screenshot):
    organization, reps = team
    page = new_page()
    log_in(page)
    page.goto(f"/o/{organization.slug}/actuals/?month=2026-10")
    page.evaluate("window.sameDocument = true")  # survives htmx swaps, not a page load

    rows = {name: page.locator(f"#rep-{rep.pk}") for name, rep in reps.items()}
    page.get_by_label("Deals, Ana").fill("6")
    page.get_by_label("Deals, Ana").press("Enter")
    expect(rows["Ana"].get_by_text("✓ Saved")).to_be_visible()
    page.get_by_label("Deals, Ben").fill("4")
    rows["Ben"].get_by_role("button", name="Save").click()
    expect(rows["Ben"].get_by_text("✓ Saved")).to_be_visible()
    page.get_by_label("Meetings, Eli").fill("42")
    page.get_by_label("Sourced deals, Eli").fill("10")
    rows["Eli"].get_by_role("button", name="Save").click()
    expect(rows["Eli"].get_by_text("✓ Saved")).to_be_visible()
    page.get_by_label("Team deals, Gus").fill("18")
    page.get_by_label("Team deals, Gus").press("Enter")
    expect(rows["Gus"].get_by_text("✓ Saved")).to_be_visible()
    # The status line listens to the rows' "actuals-changed" event.
    expect(page.locator("#actuals-status")).to_contain_text("4 reps reported")
    assert [deals_of(reps["Ana"]), deals_of(reps["Ben"])] == [Decimal("6"), Decimal("4")]

    page.get_by_label("Deals, Ben").fill("-3")
    page.get_by_label("Deals, Ben").press("Enter")
    expect(rows["Ben"].locator(".cell-error")).to_have_text("Can't be negative.")
    expect(page.get_by_label("Deals, Ben")).to_have_value("-3")
    expect(page.get_by_label("Deals, Ben")).to_be_focused()
    assert deals_of(reps["Ben"]) == Decimal("4")
    assert page.evaluate("window.sameDocument") is True
    screenshot(page, "actuals-laptop")
    assert_no_horizontal_overflow(page)

    page.locator("#id_csv-file").set_input_files(str(CSV))
    page.get_by_role("button", name="Preview changes").click()
    expect(page.get_by_role("heading", name="Preview: what this file will change")).to_be_visible()
    new_reps = page.locator("table", has=page.get_by_role("columnheader", name="Start date"))
    expect(new_reps).to_contain_text("Cy")
    assert MonthlyActual.unscoped.filter(organization=organization).count() == 4  # nothing written yet
    screenshot(page, "actuals-preview-laptop")
    assert_no_horizontal_overflow(page)

    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_text(re.compile(r"CSV applied: 3 reps created"))).to_be_visible()
    cy = Rep.unscoped.get(organization=organization, name="Cy")
    expect(page.locator(f"#rep-{cy.pk}")).to_be_visible()
    expect(page.get_by_label("Deals, Cy")).to_have_value("3")
    assert page.url.endswith(f"/o/{organization.slug}/actuals/?month=2026-10")
    assert page.evaluate("window.sameDocument") is True
    assert MonthlyActual.unscoped.filter(organization=organization).count() == 7

    page.get_by_role("link", name="Audit trail").click()
    expect(page.get_by_role("heading", name="Audit trail")).to_be_visible()
    expect(page.get_by_role("cell", name="Ana · 2026-10")).to_be_visible()
    screenshot(page, "audit-laptop")
    assert_no_horizontal_overflow(page)


def test_the_grid_fits_a_phone(new_page, team, screenshot):
    organization, reps = team
    MonthlyActual.unscoped.create(organization=organization, rep=reps["Ana"], month=OCTOBER, deals=Decimal("6"))
    page = new_page(PHONE)
    log_in(page)
    page.goto(f"/o/{organization.slug}/actuals/?month=2026-10")
    page.get_by_label("Team deals, Gus").fill("18")
    page.get_by_label("Team deals, Gus").press("Enter")
    expect(page.locator(f"#rep-{reps['Gus'].pk}").get_by_text("✓ Saved")).to_be_visible()
    page.get_by_label("Deals, Ben").fill("-3")
    page.get_by_label("Deals, Ben").press("Enter")
    expect(page.locator(f"#rep-{reps['Ben'].pk} .cell-error")).to_be_visible()
    screenshot(page, "actuals-phone")
    assert_no_horizontal_overflow(page)

    page.goto(f"/o/{organization.slug}/audit/")
    expect(page.get_by_role("cell", name="Gus · 2026-10")).to_be_visible()
    screenshot(page, "audit-phone")
    assert_no_horizontal_overflow(page)


def test_a_cleared_cell_is_blank_and_not_reported_lists_the_rep_as_missing(new_page, team, screenshot):
    """Issue 14, item 11."""
    organization, reps = team
    for name, deals in (("Ana", 5), ("Ben", 4)):
        MonthlyActual.unscoped.create(organization=organization, rep=reps[name], month=OCTOBER, deals=deals)
    page = new_page()
    log_in(page)
    page.goto(f"/o/{organization.slug}/actuals/?month=2026-10")
    rows = {name: page.locator(f"#rep-{rep.pk}") for name, rep in reps.items()}
    status = page.locator("#actuals-status")
    expect(status).to_contain_text("2 reps reported")

    page.get_by_label("Deals, Ana").fill("")
    page.get_by_label("Revenue, Ana").fill("12,500")
    rows["Ana"].get_by_role("button", name="Save").click()
    expect(rows["Ana"].get_by_text("✓ Saved")).to_be_visible()
    expect(page.get_by_label("Deals, Ana")).to_have_value("")
    row = MonthlyActual.unscoped.get(rep=reps["Ana"], month=OCTOBER)
    assert (row.deals, row.revenue) == (None, Decimal("12500"))

    rows["Ben"].get_by_role("button", name="Mark Ben not reported for October 2026").click()
    expect(rows["Ben"].get_by_text("✓ Marked not reported")).to_be_visible()
    expect(status).to_contain_text("1 rep reported")
    expect(status).to_contain_text("missing: Ben, Eli, Gus")
    assert deals_of(reps["Ben"]) is None and not MonthlyActual.unscoped.filter(rep=reps["Ben"]).exists()
    assert_no_axe_violations(page)
    screenshot(page, "actuals-not-reported")
