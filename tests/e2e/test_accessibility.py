"""Every screen passes axe-core with no violations (the developers' brief), as a person reaches it: signed out
(landing, log in, sign up, password reset), then signed in as the owner of an organization with a closed month
and an open one, on every tab, the forms' error and confirmation states, the members, audit, digest and
organization pages and the investor page."""

import re
from datetime import UTC, date, datetime

import pytest

from accounts.models import Invitation
from accounts.tenancy import organization_context
from oteapp.jobs.snapshots import snapshots_compute
from oteapp.models import MonthlyActual, SalesRole
from tests.e2e.axe import assert_no_axe_violations
from tests.e2e.conftest import LAPTOP, PHONE, wait_for_htmx_settled
from tests.e2e.test_configuration import log_in
from tests.factories import UserFactory, organization_with_members
from tests.oteapp.test_configuration_view import worked_example_actuals, worked_example_configure

EMAIL = "a11y@axe.example"
OCTOBER, NOVEMBER = date(2026, 10, 1), date(2026, 11, 1)


@pytest.fixture
def organization(transactional_db):
    """SPEC section 11's October, closed and frozen, and an open November."""
    organization = organization_with_members("Axe Insurance", owner=UserFactory(email=EMAIL, first_name="Ada"))
    worked_example_configure(organization)
    worked_example_actuals(organization)
    october = MonthlyActual.unscoped.filter(organization=organization, month=OCTOBER)
    MonthlyActual.unscoped.bulk_create(
        MonthlyActual(organization=organization, rep_id=row.rep_id, month=NOVEMBER, deals=row.deals,
                      meetings=row.meetings, team_deals=row.team_deals)
        for row in october
    )
    snapshots_compute(months_by_organization={organization.pk: [OCTOBER]}, now=datetime(2026, 11, 2, 12, tzinfo=UTC))
    with organization_context(organization):
        Invitation.objects.create(organization=organization, email="new@axe.example", role="viewer")
    return organization


SIGNED_OUT = ["/", "/accounts/login/", "/accounts/signup/", "/accounts/password/reset/"]
TABS = ["", "performance/", "leaderboard/", "actuals/", "pnl/", "what-if/", "configuration/", "history/"]
OTHERS = [
    "actuals/upload/",
    "audit/",
    "members/",
    "digests/",
    "organization/",
    "investor/?month=2026-10",
    "performance/reps/closer/?month=2026-10",
    "snapshots/2026-10/reopen/",
    "what-if/?month=2026-10&role-closer-headcount=5&target_revenue=300000&role-closer-annual_ote=70000",
    "what-if/apply/?month=2026-11&role-closer-annual_ote=70000",
    "configuration/align/?role=closer&field=commission_rate",
]


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_screen_signed_out_passes_axe(new_page, viewport):
    page = new_page(viewport)
    for path in SIGNED_OUT:
        page.goto(path)
        assert_no_axe_violations(page)


@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["laptop", "phone"])
def test_every_screen_signed_in_passes_axe(new_page, organization, viewport):
    page = new_page(viewport)
    log_in(page, organization, EMAIL)
    base = f"/o/{organization.slug}/"
    for month in ("2026-10", "2026-11"):  # closed (its banner) and open
        for tab in TABS:
            page.goto(f"{base}{tab}?month={month}")
            assert_no_axe_violations(page)
    for path in OTHERS:
        page.goto(base + path)
        assert_no_axe_violations(page)
    for path in ("/organizations/", "/organizations/new/", "/accounts/password/change/"):
        page.goto(path)
        assert_no_axe_violations(page)


def test_error_and_conflict_states_pass_axe(new_page, organization):
    """The states a form can be in: a refused value, a CSV with problems, a conflicting save."""
    page = new_page(LAPTOP)
    log_in(page, organization, EMAIL)
    base = f"/o/{organization.slug}/"

    page.goto(base + "configuration/?month=2026-11")
    page.locator("#id_role-closer-monthly_quota").fill("-5")
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("Nothing was saved").wait_for()
    wait_for_htmx_settled(page)
    assert_no_axe_violations(page)

    page.goto(base + "actuals/?month=2026-11")
    cell = page.locator("input[name=deals]").first
    cell.fill("1.234,5")
    page.get_by_role("button", name="Save").first.click()
    page.get_by_text("can be read two ways").first.wait_for()
    assert_no_axe_violations(page)

    page.goto(base + "actuals/upload/?month=2026-11")
    page.set_input_files("input[type=file]", files=[{
        "name": "bad.csv", "mimeType": "text/csv",
        "buffer": b"month,rep,role,deals,meetings,team_deals,revenue,start_date\n2026-11,Ana,closer,six,,,,\n",
    }])
    page.get_by_role("button", name="Preview changes").first.click()
    page.get_by_text("line 2").first.wait_for()
    assert_no_axe_violations(page)

    page.goto(base + "actuals/upload/?month=2026-11")  # a good file: its preview of the changes
    page.set_input_files("input[type=file]", files=[{
        "name": "good.csv", "mimeType": "text/csv",
        "buffer": b"month,rep,role,deals,meetings,team_deals,revenue,start_date\n2026-11,Ana,closer,7,,,,\n"
                  b"2026-11,Zoe,closer,2,,,,2026-11-01\n",
    }])
    page.get_by_role("button", name="Preview changes").first.click()
    page.get_by_role("button", name=re.compile("Apply")).first.wait_for()
    assert_no_axe_violations(page)

    page.goto(base + "configuration/?month=2026-11")
    SalesRole.unscoped.filter(organization=organization, key="setter").update(name="SDRs")
    page.locator("#id_role-closer-annual_ote").fill("61000")
    page.get_by_role("button", name="Save configuration").click()
    page.get_by_text("while you were editing").wait_for()
    wait_for_htmx_settled(page)
    assert_no_axe_violations(page)
