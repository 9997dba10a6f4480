"""Issue 16 in a real browser: a manager invites a rep from the rep's statement; the rep accepts the real
invitation, creates their account and sees only their own pay: My statement (worked example B's September), My
history and My plan, at laptop and phone width, each checked with axe-core; another rep's statement is 404 and
a team tab is refused. The payouts tab and the approval confirmation as a manager and an owner see them.
Screenshots in artifacts/screenshots (committed copies in docs/screens/)."""

import re
from datetime import date
from decimal import Decimal

from django.core import mail

from accounts.models import MemberRole, Membership
from accounts.tenancy import organization_context
from oteapp.models import OrganizationSettings, Rep
from oteapp.payouts.services import adjustment_add
from tests.e2e.axe import assert_no_axe_violations
from tests.e2e.conftest import LAPTOP, PHONE, assert_no_horizontal_overflow
from tests.e2e.test_invitation_and_mfa import invitation_link, sign_in
from tests.factories import UserFactory, actual_create, organization_with_members, rep_create
from tests.payouts.conftest import example_b_configure


def _example_b_organization():
    owner = UserFactory(email="owner@solar.example")
    organization = organization_with_members("Sunny Solar", owner=owner)
    example_b_configure(organization)
    ana = rep_create(organization, name="Ana", role="closer", start_date=date(2026, 1, 1))
    bo = rep_create(organization, name="Zed", role="closer", start_date=date(2026, 1, 1))
    with organization_context(organization):
        Rep.objects.filter(pk=ana.pk).update(email="ana@solar.example")
    for month, deals in ((date(2026, 8, 1), 1), (date(2026, 9, 1), 8), (date(2026, 10, 1), 2)):
        actual_create(organization, rep=ana, month=month, deals=deals)
        actual_create(organization, rep=bo, month=month, deals=5)
    with organization_context(organization):
        adjustment_add(organization=organization, actor=owner, rep=ana, month=date(2026, 9, 1), kind="bonus",
                       amount=Decimal(500), reason="Q3 SPIFF")
        adjustment_add(organization=organization, actor=owner, rep=ana, month=date(2026, 10, 1), kind="clawback",
                       amount=Decimal(-1134), reason="policy lapsed", reverses_month=date(2026, 9, 1))
    return organization, owner, ana, bo


def test_a_rep_accepts_a_real_invitation_and_sees_only_their_own_pay(new_page, live_server, screenshot):
    organization, owner, ana, bo = _example_b_organization()
    slug = organization.slug

    manager_page = new_page()
    sign_in(manager_page, owner.email)
    manager_page.wait_for_url(re.compile(rf"/o/{slug}/"))
    manager_page.goto(f"/o/{slug}/payouts/?month=2026-09")
    assert manager_page.get_by_role("heading", name=re.compile("Payouts")).is_visible()
    assert manager_page.get_by_text("$10,690.50").first.is_visible()
    assert_no_axe_violations(manager_page)
    screenshot(manager_page, "payouts-tab")
    manager_page.get_by_role("link", name="Approve").click()
    assert manager_page.get_by_text("will be paid").is_visible()
    assert_no_axe_violations(manager_page)
    screenshot(manager_page, "payouts-approve-confirm")
    manager_page.goto(f"/o/{slug}/statements/{ana.pk}/?month=2026-09")
    assert_no_axe_violations(manager_page)
    manager_page.get_by_role("button", name="Invite Ana to see their statements").click()
    assert manager_page.get_by_text("Ana is invited at ana@solar.example").is_visible()
    link = invitation_link(live_server)
    assert mail.outbox[-1].to == ["ana@solar.example"]

    rep_page = new_page()
    rep_page.goto(link)
    rep_page.locator("#id_password1").fill("a-long-rep-password-2026")
    rep_page.locator("#id_password2").fill("a-long-rep-password-2026")
    rep_page.get_by_role("button", name="Create account and join").click()
    rep_page.wait_for_url(re.compile(rf"/o/{slug}/me/statement/"))
    with organization_context(organization):
        membership = Membership.objects.get(user__email="ana@solar.example")
        assert membership.role == MemberRole.REP
        assert Rep.objects.get(pk=ana.pk).membership_id == membership.pk

    nav = rep_page.get_by_role("navigation", name="Sections")
    assert [text.strip() for text in nav.get_by_role("link").all_inner_texts()] == [
        "My statement", "My history", "My plan",
    ]
    rep_page.goto(f"/o/{slug}/me/statement/?month=2026-09")
    body = rep_page.locator("main").inner_text()
    assert "$10,690.50" in body and "Q3 SPIFF" in body and "Zed" not in body
    for name, path in (("statement", "me/statement/?month=2026-09"), ("history", "me/history/"),
                       ("plan", "me/plan/")):
        for width, viewport in (("desktop", LAPTOP), ("phone", PHONE)):
            rep_page.set_viewport_size(viewport)
            rep_page.goto(f"/o/{slug}/{path}")
            assert_no_axe_violations(rep_page)
            if width == "phone":
                assert_no_horizontal_overflow(rep_page)
            screenshot(rep_page, f"rep-{name}-{width}")
    rep_page.set_viewport_size(LAPTOP)
    assert "$2,000.00 (recoverable from later earnings)" in rep_page.goto(f"/o/{slug}/me/plan/").text()

    # My history by period: the year to date by default, a quarter picked in the selector (an htmx swap).
    rep_page.goto(f"/o/{slug}/me/history/?month=2026-10")
    assert rep_page.get_by_role("heading", name=re.compile("2026 to date")).is_visible()
    rep_page.get_by_label("Period").select_option("2026-Q3")
    rep_page.wait_for_url(re.compile(r"period=2026-Q3"))
    figures = rep_page.get_by_role("table", name=re.compile("Your figures for Q3 2026"))
    assert "Closers" in figures.inner_text() and "9" in figures.inner_text()  # 1 deal in August, 8 in September
    assert_no_axe_violations(rep_page)

    # The rep-safe leaderboard joins the rep's navigation once the organization allows it.
    OrganizationSettings.unscoped.filter(organization=organization).update(leaderboard_visible_to_reps=True)
    rep_page.goto(f"/o/{slug}/me/statement/")
    nav.get_by_role("link", name="Leaderboard").click()
    rep_page.wait_for_url(re.compile(rf"/o/{slug}/me/leaderboard/"))
    # Opened from December's statement: no actuals yet, and the way to the latest month that has them.
    assert "No actuals for December 2026 yet" in rep_page.locator("main").inner_text()
    assert rep_page.get_by_role("link", name="Enter actuals").count() == 0
    rep_page.get_by_role("link", name="October 2026").click()
    rep_page.wait_for_url(re.compile(r"period=2026-10"))
    board = rep_page.locator("table.leaderboard").inner_text()
    assert "Ana (you)" in board and "Zed" in board and "$" not in board
    for width, viewport in (("desktop", LAPTOP), ("phone", PHONE)):
        rep_page.set_viewport_size(viewport)
        rep_page.reload()
        assert_no_axe_violations(rep_page)
        if width == "phone":
            assert_no_horizontal_overflow(rep_page)
        screenshot(rep_page, f"rep-leaderboard-{width}")
    rep_page.set_viewport_size(LAPTOP)

    assert rep_page.goto(f"/o/{slug}/statements/{bo.pk}/?month=2026-09").status == 404
    refused = rep_page.goto(f"/o/{slug}/performance/")
    assert refused.status == 403 and "Your access level here is rep." in rep_page.locator("main").inner_text()
    assert rep_page.goto(f"/o/{slug}/payouts/").status == 403
    assert rep_page.goto(f"/o/{slug}/members/").status == 403
