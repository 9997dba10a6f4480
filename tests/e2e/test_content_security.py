"""Every tab works under the Content-Security-Policy: the browser reports no violation."""

import re

from tests.factories import PASSWORD, UserFactory, organization_with_members

TABS = (
    "", "performance/", "leaderboard/", "actuals/", "pnl/", "what-if/", "configuration/", "history/", "investor/",
    "audit/",
)


def test_no_tab_violates_the_content_security_policy(page):
    owner = UserFactory(email="csp@agency.example")
    organization = organization_with_members("Strict Co", owner=owner)
    violations = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)

    page.goto("/accounts/login/")
    page.locator("#id_login").fill(owner.email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/o/strict-co/"))
    for tab in TABS:
        page.goto(f"/o/{organization.slug}/{tab}")
        page.wait_for_load_state("networkidle")
    # htmx itself runs: a tab click swaps the panel without a page load.
    page.evaluate("window.__stayed = true")
    page.get_by_role("link", name="P&L").click()
    page.wait_for_url(re.compile(r"/pnl/"))
    assert page.evaluate("window.__stayed") is True
    assert violations == []
