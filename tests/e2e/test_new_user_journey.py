"""A new user, start to finish, in a real browser: sign up, configure the three roles of SPEC
section 11, enter its actuals in the grid, and read exactly its figures on Team Performance,
moving between tabs with htmx (no full page load)."""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from tests.e2e.conftest import PHONE, assert_no_horizontal_overflow, wait_for_htmx_settled
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)

ROLES = {  # key: (annual OTE, monthly quota, commission rate)
    "closer": ("60000", "5", "0.10"),
    "setter": ("48000", "40", "0.05"),
    "manager": ("90000", "40", "0.03"),
}
REPS = (  # name, role label, {grid field label: value}
    ("Ana", "Closers", {"Deals": "6"}),
    ("Ben", "Closers", {"Deals": "4"}),
    ("Cy", "Closers", {"Deals": "3"}),
    ("Dee", "Closers", {"Deals": "5"}),
    ("Eli", "Setters", {"Meetings": "42", "Sourced deals": "10"}),
    ("Fay", "Setters", {"Meetings": "30"}),
    ("Gus", "Managers", {"Team deals": "18"}),
)


def sign_up(page, live_server) -> None:
    page.goto("/")
    page.get_by_role("link", name="Create your organization").click()
    page.get_by_label("Company name").fill("Worked Example Agency")
    page.get_by_label("Email").fill("founder@worked.example")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Sign Up").click()
    page.wait_for_url(re.compile(r"/accounts/confirm-email/"))
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)
    page.goto(link.replace("http://testserver", live_server.url))
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/o/worked-example-agency/"))


def configure(page) -> None:
    page.get_by_role("link", name="Configuration").click()
    page.wait_for_url(re.compile(r"/configuration/"))
    page.locator("#id_org-deal_value").fill("11340")
    page.locator("#id_org-meeting_to_deal_rate").fill("0.25")
    page.locator("#id_org-monthly_operating_expenses").fill("9000")
    for key, (ote, quota, rate) in ROLES.items():
        page.locator(f"#id_role-{key}-annual_ote").fill(ote)
        page.locator(f"#id_role-{key}-monthly_quota").fill(quota)
        page.locator(f"#id_role-{key}-commission_rate").fill(rate)
    expect(page.locator("#calc-closer [data-calc=configured]")).to_have_text("$1,134.00")
    page.get_by_role("button", name="Save configuration").click()
    expect(page.locator(".save-bar .notice")).to_contain_text("Configuration saved")


def enter_actuals(page, slug: str) -> None:
    page.goto(f"/o/{slug}/actuals/?month=2026-10")
    for name, role, fields in REPS:
        page.locator("#id_new-name").fill(name)
        page.locator("#id_new-role").select_option(label=role)
        page.locator("#id_new-start_date").fill("2026-01-01")
        page.get_by_role("button", name="Add rep").click()
        expect(page.get_by_label(f"{next(iter(fields))}, {name}")).to_be_visible()
    page.evaluate("window.sameDocument = true")
    for name, _, fields in REPS:
        wait_for_htmx_settled(page)
        for label, value in fields.items():
            page.get_by_label(f"{label}, {name}").fill(value)
        first_cell = page.get_by_label(f"{next(iter(fields))}, {name}")
        first_cell.press("Enter")
        expect(page.locator("tr", has=first_cell).get_by_text("✓ Saved")).to_be_visible()
    expect(page.locator("#actuals-status")).to_contain_text("7 reps reported")


def test_a_new_user_reproduces_the_worked_example(new_page, live_server, screenshot):
    page = new_page()
    sign_up(page, live_server)
    configure(page)
    enter_actuals(page, "worked-example-agency")

    page.get_by_role("link", name="Team Performance").click()
    page.wait_for_url(re.compile(r"/performance/\?month=2026-10"))
    assert page.evaluate("window.sameDocument") is True  # swapped by htmx, not reloaded
    tab = page.locator("#tab")
    for figure in (
        "105.4%", "102.7%", "$35,500.00", "$36,458.10", "+$958.10", "$5.75", "$204,120.00",  # summary
        "$1,000.00", "$1,134.00", "4.41 deals", "$100.00", "$141.75", "28.22 meetings",  # break-even
        "$187.50", "$340.20", "22.05 team deals", "$68,040.00", "$163,296.00",
        "102.1%", "124.0%", "81.6%", "90.0%", "45.0%",  # attainment
        "$20,412.00", "$9,922.50", "$6,123.60", "+$412.00", "+$1,922.50", "\N{MINUS SIGN}$1,376.40",
        "Managers: 18% below OTE", "Need 4.05 more team deals/manager/month", "or add 0.9 more closers",
        "Setters: Exceeding OTE by 24%",
        "Paying full OTE would cost 17.4% of this month's revenue; comp actually earned is 17.9%: OTE is healthy",
    ):
        expect(tab).to_contain_text(figure)
    expect(tab).to_contain_text("On target")
    expect(tab).to_contain_text("Off target")
    screenshot(page, "journey-performance-laptop")
    assert_no_horizontal_overflow(page)

    for name in ("Overview", "P&L", "What-If", "History", "Actuals", "Configuration"):
        page.get_by_role("link", name=name, exact=True).click()
        expect(page.get_by_role("link", name=name, exact=True)).to_have_attribute("aria-current", "page")
    page.go_back()
    expect(page.get_by_role("link", name="Actuals", exact=True)).to_have_attribute("aria-current", "page")
    assert page.evaluate("window.sameDocument") is True

    phone = new_page(PHONE)
    phone.context.add_cookies(page.context.cookies())
    phone.goto("/o/worked-example-agency/performance/?month=2026-10")
    expect(phone.locator("#tab")).to_contain_text("$36,458.10")
    assert_no_horizontal_overflow(phone)
