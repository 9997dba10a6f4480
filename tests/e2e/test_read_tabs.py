"""The read-only tabs in a real browser: each at laptop and phone width (screenshots, no horizontal
overflow), and switching between them with htmx, without a full page load."""

import re
from decimal import Decimal

import pytest
from django.utils import timezone

from accounts.models import User
from oteapp.models import MonthlyActual, MonthlySnapshot
from oteapp.months import month_add
from tests.e2e.conftest import LAPTOP, PHONE, assert_no_horizontal_overflow
from tests.factories import PASSWORD, UserFactory, organization_with_members
from tests.oteapp.test_performance_view import OCTOBER, worked_example

EMAIL = "owner@read-tabs.example"
TABS = {"overview": "", "performance": "performance/", "pnl": "pnl/", "history": "history/"}


@pytest.fixture
def organization(transactional_db):
    """SPEC section 11's month, and eleven months before it with varying production, one of them
    with a stored snapshot, so charts and tables have a shape."""
    owner = UserFactory(email=EMAIL)
    organization = organization_with_members("Acme Insurance", owner=owner)
    worked_example(organization)
    rows = []
    for back in range(1, 12):
        month = month_add(OCTOBER, -back)
        october = MonthlyActual.unscoped.filter(organization=organization, month=OCTOBER).order_by("rep__name")
        for position, row in enumerate(october):
            swing = Decimal((back * 7 + position) % 5 - 2)  # -2 … +2, the same on every run
            rows.append(
                MonthlyActual(
                    organization=organization,
                    rep_id=row.rep_id,
                    month=month,
                    deals=None if row.deals is None else max(row.deals + swing, Decimal(0)),
                    meetings=None if row.meetings is None else row.meetings + swing * 3,
                    team_deals=None if row.team_deals is None else row.team_deals + swing,
                )
            )
    MonthlyActual.unscoped.bulk_create(rows)
    stored = {
        "month": "2026-04",
        "summary": {"team_ote_attainment": 0.97},
        "roles": [{"key": "closer", "name": "Closers", "ote_attainment": 0.93, "quota_attainment": 0.85}],
    }
    MonthlySnapshot.unscoped.create(
        organization=organization, month=month_add(OCTOBER, -6), report=stored, config={}, computed_at=timezone.now()
    )
    return organization


def log_in(page) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/o/acme-insurance/"))


@pytest.mark.parametrize(("device", "viewport"), [("laptop", LAPTOP), ("phone", PHONE)])
def test_each_read_tab_fits_the_screen(new_page, screenshot, organization, device, viewport):
    page = new_page(viewport)
    log_in(page)
    for name, path in TABS.items():
        page.goto(f"/o/{organization.slug}/{path}?month=2026-10")
        assert page.locator("#tab").is_visible()
        assert_no_horizontal_overflow(page)
        screenshot(page, f"{name}-{device}")
    page.goto(f"/o/{organization.slug}/investor/?month=2026-10")
    assert page.get_by_text("Acme Insurance: sales team update").is_visible()
    assert_no_horizontal_overflow(page)
    screenshot(page, f"investor-{device}")
    if device == "laptop":
        page.emulate_media(media="print")
        assert not page.locator(".topbar").is_visible() and not page.get_by_text("Print or save as PDF").is_visible()
        screenshot(page, "investor-print")


def test_figures_and_tab_switching_without_a_page_load(page, organization):
    log_in(page)
    page.goto(f"/o/{organization.slug}/performance/?month=2026-10")
    card = page.locator("article", has=page.get_by_role("heading", name="Closers"))
    assert "102.1%" in card.inner_text() and "+$412.00" in card.inner_text()
    page.evaluate("window.__marker = 1")

    for label, path, text in (
        ("Overview", "", "Needs attention"),
        ("P&L", "pnl/", "$158,661.90"),
        ("History", "history/", "OTE attainment per role"),
        ("Team Performance", "performance/", "Strategic insights"),
    ):
        page.locator("nav.tabs").get_by_role("link", name=label, exact=True).click()
        page.wait_for_url(re.compile(rf"/o/{organization.slug}/{re.escape(path)}\?month=2026-10$"))
        page.get_by_text(text).first.wait_for()
        assert page.evaluate("window.__marker") == 1, f"{label}: the page was reloaded"
        assert page.locator("nav.tabs a[aria-current=page]").inner_text() == label

    page.go_back()  # back to History, from htmx's history cache or a history-restore request
    page.wait_for_url(re.compile(r"/history/"))
    page.get_by_text("OTE attainment per role").first.wait_for()


def test_history_chart_is_an_accessible_svg(page, organization):
    log_in(page)
    page.goto(f"/o/{organization.slug}/history/?month=2026-10")
    chart = page.locator("svg.chart-svg")
    assert chart.get_attribute("role") == "img"
    assert "OTE attainment per role" in chart.locator("title").first.text_content()
    assert chart.locator("polyline").count() >= 3  # a line per role, broken where a month lacks the role
    assert page.locator(".chart-legend li").all_inner_texts() == ["Closers", "Setters", "Managers"]
    assert page.get_by_text("live").first.is_visible()
    box = chart.bounding_box()
    assert box is not None and box["width"] > 600


def test_the_organization_switcher_lists_ones_organizations_when_opened(page, organization):
    organization_with_members("Second Agency", viewer=User.objects.get(email=EMAIL))
    log_in(page)

    page.locator("details.switcher summary").click()
    second = page.locator("details.switcher").get_by_role("link", name=re.compile("Second Agency"))
    second.wait_for()  # loaded by htmx on the first opening
    assert page.locator("details.switcher [aria-current=true]").inner_text().startswith("Acme Insurance")
    second.click()
    page.wait_for_url(re.compile(r"/o/second-agency/"))
