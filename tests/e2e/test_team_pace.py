"""Pace of the open month on Team Performance in a browser (SPEC section 13's example on 10 December): the pace
panel and each rep's projection, at laptop and phone width, with axe (screenshots in artifacts/screenshots; the
committed copies are in docs/screens/)."""

from datetime import date

import pytest
from playwright.sync_api import expect

from oteapp.models import SalesRole
from tests.e2e.axe import assert_no_axe_violations
from tests.e2e.conftest import LAPTOP, PHONE, assert_no_horizontal_overflow
from tests.e2e.test_configuration import log_in
from tests.factories import UserFactory, actual_create, organization_with_members, rep_create
from tests.oteapp.test_performance_pace import TIERS
from tests.oteapp.test_performance_view import worked_example

EMAIL = "owner@pace.example"
DECEMBER = date(2026, 12, 1)


@pytest.fixture
def organization(transactional_db, monkeypatch):
    monkeypatch.setattr("oteapp.views.periods.organization_today", lambda **_: date(2026, 12, 10))
    organization = organization_with_members("Pace Solar", owner=UserFactory(email=EMAIL))
    worked_example(organization, months=(DECEMBER,))
    SalesRole.unscoped.filter(organization=organization, key="closer").update(accelerators=TIERS)
    ana = rep_create(organization, name="Ana Pace", role="closer", start_date=date(2026, 1, 12))
    actual_create(organization, rep=ana, month=DECEMBER, deals=2)
    return organization


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_the_open_month_shows_its_pace(new_page, organization, screenshot, viewport):
    page = new_page(viewport)
    log_in(page, organization, email=EMAIL)
    page.goto(f"/o/{organization.slug}/performance/?month=2026-12")
    pace = page.locator("section.pace")
    expect(pace).to_contain_text("December 10, 32% of the month gone")
    expect(pace.locator("tr", has_text="Closers")).to_contain_text("more")
    expect(page.locator("details.reps tr", has_text="Ana Pace")).to_contain_text("$7,711.20")
    assert_no_axe_violations(page)
    assert_no_horizontal_overflow(page)
    screenshot(page, f"performance-pace-{'phone' if viewport is PHONE else 'laptop'}")
