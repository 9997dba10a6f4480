"""Issue 17 in a browser: a rep's own plan edited on their row (live calculations), after which the rep's status and
their role's totals change on Team Performance; the quarter and year to date on Team Performance, the leaderboard
and History; a configuration file previewed before it is applied; a spreadsheet's export uploaded as it is. Every
new or changed screen passes axe-core and is photographed (artifacts/screenshots; the committed copies are in
docs/screens/)."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from oteapp.models import MonthlyActual, OrganizationSettings, Rep, SalesRole
from tests.e2e.axe import assert_no_axe_violations
from tests.e2e.conftest import LAPTOP, PHONE, SCREENSHOTS, assert_no_horizontal_overflow, wait_for_htmx_settled
from tests.factories import PASSWORD, UserFactory, actual_create, organization_with_members, rep_create

EMAIL = "ops@plans.example"


def this_month() -> date:
    """The open month (the live server runs today): a plan edited now changes its figures."""
    return timezone.localdate().replace(day=1)


def label(month: date) -> str:
    return f"{month:%Y-%m}"


@pytest.fixture
def organization():
    organization = organization_with_members("Plans Co", owner=UserFactory(email=EMAIL))
    OrganizationSettings.unscoped.filter(organization=organization).update(
        deal_value=Decimal("11340"), monthly_operating_expenses=Decimal("9000")
    )
    month = this_month()
    previous = (month.replace(day=1) - timezone.timedelta(days=1)).replace(day=1)
    people = (("Ana", "closer", {"deals": 6}), ("Ben", "closer", {"deals": 4}), ("Eli", "setter", {"meetings": 42}))
    for name, role, units in people:
        rep = rep_create(organization, name=name, role=role, start_date=date(2025, 1, 1))
        actual_create(organization, rep=rep, month=month, **units)
        actual_create(organization, rep=rep, month=previous, **{key: value - 1 for key, value in units.items()})
    return organization


def log_in(page, organization) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(rf"/o/{organization.slug}/"))


def ben_row(page):
    return page.locator("details.reps").filter(has_text="Closers").locator("tr", has_text="Ben")


def test_editing_a_reps_plan_changes_their_status_and_the_role_totals(new_page, organization, screenshot):
    page = new_page(LAPTOP)
    log_in(page, organization)
    month = label(this_month())
    page.goto(f"/o/{organization.slug}/performance/?month={month}")
    closers = page.locator("article.role-card", has_text="Closers")
    expect(closers).to_contain_text("$10,000.00")  # two closers at the role's 5,000 a month
    expect(closers).to_contain_text("10 of 10 deals")
    expect(ben_row(page)).to_contain_text("At risk")  # 4 deals x 1,134 = 4,536 of 5,000

    page.goto(f"/o/{organization.slug}/configuration/?month={month}#rep-plans")
    expect(page.locator("#rep-plans")).to_contain_text("Reps' own plans")
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Edit Ben's plan").click()
    editor = page.locator("tr.editing")
    expect(editor).to_be_visible()
    wait_for_htmx_settled(page)
    editor.get_by_label("Annual OTE").press_sequentially("36,000", delay=30)
    editor.get_by_label("Monthly quota (deals)").press_sequentially("3", delay=30)
    calcs = editor.locator(".calcs")
    expect(calcs.locator("[data-calc=break-even]")).to_have_text("2.65 deals")  # 3,000 / 1,134, live
    expect(calcs.locator("[data-calc=recommended]")).to_have_text("$40,824.00")
    assert Rep.unscoped.get(organization=organization, name="Ben").annual_ote is None  # nothing saved while typing
    assert_no_axe_violations(page)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    editor.screenshot(path=str(SCREENSHOTS / "rep-plan-editor.png"))

    editor.get_by_role("button", name="Save Ben's plan").click()
    row = page.locator("tr[data-rep=Ben]")
    expect(row).to_contain_text("own plan")
    expect(row).to_contain_text("On target")  # 4,536 of his own 3,000
    expect(row).to_contain_text("plan saved: 2 figures changed.")
    assert_no_axe_violations(page)
    screenshot(page, "configuration-rep-plans")

    page.get_by_role("link", name="Team Performance").click()
    closers = page.locator("article.role-card", has_text="Closers")
    expect(closers).to_contain_text("$8,000.00")  # Ana's 5,000 and Ben's own 3,000
    expect(closers).to_contain_text("10 of 8 deals")  # quotas 5 and Ben's 3
    expect(ben_row(page)).to_contain_text("On target")
    assert_no_axe_violations(page)
    screenshot(page, "performance-after-rep-plan")


def test_quarters_and_years_on_performance_leaderboard_and_history(new_page, organization, screenshot):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/performance/?month={label(this_month())}")
    year = this_month().year
    page.get_by_label("Period").select_option(f"{year}-ytd")
    expect(page).to_have_url(re.compile(rf"period={year}-ytd"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"{year} to date")
    expect(page.locator(".kpis")).to_contain_text("Total OTE (2 months)")
    assert_no_axe_violations(page)
    screenshot(page, "performance-year-to-date")

    page.get_by_role("link", name="Leaderboard").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Leaderboard")
    expect(page.locator("table.leaderboard tbody tr").first).to_contain_text("Ana")
    assert_no_axe_violations(page)
    screenshot(page, "leaderboard")

    quarter = page.locator("select[name=period] optgroup[label=Quarters] option").first.get_attribute("value")
    page.goto(f"/o/{organization.slug}/history/?period={quarter}")
    expect(page.locator("table.period-history").first).to_be_visible()
    assert_no_axe_violations(page)
    screenshot(page, "history-by-quarter")

    phone = new_page(PHONE)
    log_in(phone, organization)
    phone.goto(f"/o/{organization.slug}/leaderboard/?period={year}-ytd")
    assert_no_horizontal_overflow(phone)
    assert_no_axe_violations(phone)
    screenshot(phone, "leaderboard-phone")


def test_a_configuration_file_is_previewed_then_applied(new_page, organization, screenshot, tmp_path):
    SalesRole.unscoped.create(organization=organization, key="junior", name="Junior closers", kind="closer", position=5)
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/configuration/")
    document = {
        "version": "2.0",
        "organization": {"deal_value": 12000, "fiscal_year_start": 4},
        "roles": {"closer": {}, "setter": {}, "manager": {}},
        "reps": [{"name": "Ana", "plan": {"monthly_quota": 6}}],
    }
    path = tmp_path / "configuration.json"
    path.write_text(json.dumps(document))
    page.locator("#config-files input[type=file]").set_input_files(str(path))
    page.locator("#config-files").get_by_role("button", name="Import").click()

    expect(page.get_by_role("heading", name="Preview: what this file will change")).to_be_visible()
    expect(page.locator(".roles-to-delete")).to_contain_text("Junior closers")
    assert_no_axe_violations(page)
    screenshot(page, "configuration-import-preview")
    assert SalesRole.unscoped.filter(organization=organization, key="junior").exists()  # nothing yet

    page.get_by_role("button", name="Apply these changes").click()
    expect(page.locator("#config-files")).to_contain_text("1 role deleted")
    assert not SalesRole.unscoped.filter(organization=organization, key="junior").exists()
    assert Rep.unscoped.get(organization=organization, name="Ana").monthly_quota == Decimal(6)
    assert OrganizationSettings.unscoped.get(organization=organization).fiscal_year_start == 4


def test_a_spreadsheet_export_uploads_as_it_is(new_page, organization, screenshot, tmp_path):
    month = label(this_month())
    path = tmp_path / "from-excel.csv"
    path.write_bytes(
        (
            "\ufeffMonth;Rep;Role;Deals;Meetings;Team deals;Revenue\r\n"
            f"{month};Ana;Closers;7;;;$10,500\r\n"
            f"{month};Gus;Managers;;;;\r\n"
            f"{month};Eli;Setters;;45;;\r\n"
        ).encode()
    )
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/actuals/upload/?month={month}")
    expect(page.get_by_role("link", name=re.compile("Download a template"))).to_be_visible()
    page.locator("input[type=file]").set_input_files(str(path))
    page.get_by_role("button", name="Preview changes").click()
    expect(page.get_by_role("heading", name="Preview: what this file will change")).to_be_visible()
    expect(page.locator("table.changes")).to_contain_text("10500")
    assert_no_axe_violations(page)
    screenshot(page, "actuals-upload-excel-preview")
    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_text(re.compile("CSV applied"))).to_be_visible()
    ana = MonthlyActual.unscoped.get(organization=organization, rep__name="Ana", month=this_month())
    assert (ana.deals, ana.revenue) == (Decimal(7), Decimal(10500))
