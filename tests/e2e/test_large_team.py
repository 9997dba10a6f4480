"""A large team's per-rep table arrives when its section is opened, without a page load."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, UserFactory, actual_create, organization_with_members, rep_create

pytestmark = pytest.mark.django_db(transaction=True)


def test_opening_a_large_teams_section_loads_its_reps(page):
    owner = UserFactory(email="big@team.example")
    organization = organization_with_members("Big Team", owner=owner)
    for index in range(20):
        rep = rep_create(organization, name=f"Closer {index:02d}", role="closer", start_date=date(2025, 1, 1))
        actual_create(organization, rep=rep, month=date(2026, 10, 1), deals=index % 7)
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(owner.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/o/big-team/"))
    page.goto(f"/o/{organization.slug}/performance/?month=2026-10")
    page.evaluate("window.sameDocument = true")
    expect(page.get_by_role("rowheader", name="Closer 13")).to_have_count(0)

    page.locator("details.reps summary", has_text="Closers").click()

    expect(page.get_by_role("rowheader", name="Closer 13")).to_be_visible()
    assert page.evaluate("window.sameDocument") is True
