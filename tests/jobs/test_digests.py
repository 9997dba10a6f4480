"""The digest: the dashboard's numbers, a readable email in a real browser, unsubscribe without login,
preferences, the owners' preview, reopening a month, and the commands."""

import os
import shutil
from datetime import date
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.test import Client

from accounts.models import Membership
from accounts.tenancy import organization_context
from oteapp.jobs.digests import digest_content_get, digest_message_build, digest_unsubscribe_url
from oteapp.jobs.snapshots import snapshots_backfill
from oteapp.models import AuditEvent, DigestDelivery, DigestState, MonthlySnapshot
from oteapp.selectors import month_report_get
from oteapp.templatetags.ote import money, pct, ratio, signed_money
from tests.jobs.conftest import ROOT, actuals_add

pytestmark = pytest.mark.django_db

OCT = date(2026, 10, 1)
ARTIFACTS = ROOT / "artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
LAPTOP_MAIL = {"width": 720, "height": 900}  # a mail client's reading pane
PHONE = {"width": 390, "height": 844}
# SPEC section 11, as the Team Performance page prints it.
SPEC_FIGURES = (
    "$36,458.10", "$35,500.00", "+$958.10", "$204,120.00", "$158,661.90", "105.4%", "102.7%", "$5.75",
    "$20,412.00", "+$412.00", "$9,922.50", "+$1,922.50", "$6,123.60", "\u2212$1,376.40", "102.1%", "124.0%", "81.6%",
)


def _digest(setup, recipient=None):
    organization = setup.organization
    with organization_context(organization):
        content = digest_content_get(organization=organization, period=OCT)
        message = digest_message_build(content=content, recipient=recipient or setup.recipients[0])
    html = next(alternative.content for alternative in message.alternatives if alternative.mimetype == "text/html")
    return content, message, html


def _dashboard_figures(report) -> list[str]:
    """Every number of the report's summary and role lines, formatted with the dashboard's filters."""
    s = report.summary
    figures = [pct(s.team_avg_attainment), pct(s.team_ote_attainment), money(s.total_ote), money(s.total_actual),
               signed_money(s.ote_gap), money(s.revenue), ratio(s.revenue_per_ote_dollar)]
    for role in report.roles:
        figures += [money(role.team_actual), money(role.team_ote), pct(role.ote_attainment),
                    pct(role.quota_attainment), signed_money(role.team_gap)]
    return figures


def test_the_digest_of_worked_example_a_has_the_dashboards_numbers(spec_org, client):
    organization, owner = spec_org.organization, spec_org.recipients[0]
    snapshots_backfill(organization_ids=[organization.pk])
    content, message, html = _digest(spec_org)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "digest.html").write_text(html)
    (ARTIFACTS / "digest.txt").write_text(message.body)
    (ARTIFACTS / "digest.eml").write_bytes(message.message().as_bytes())

    with organization_context(organization):
        report = month_report_get(organization=organization, month=OCT).report
    assert content.report == report  # the very report the dashboard computes
    client.force_login(owner)
    page = client.get(f"/o/{organization.slug}/performance/?month=2026-10").content.decode()
    for figure in _dashboard_figures(report):
        assert figure in page, f"{figure} is not on the dashboard"
        assert figure in html, f"{figure} is not in the HTML digest"
        assert figure in message.body, f"{figure} is not in the text digest"
    for figure in SPEC_FIGURES:
        assert figure in html and figure in message.body, figure
    # The change against September, and insights with their actions.
    assert "Change since September 2026" in html and "CHANGE SINCE SEPTEMBER 2026" in message.body
    assert "Need 4.05 more team deals/manager/month" in html
    assert f"http://127.0.0.1:8000/o/{organization.slug}/performance/?month=2026-10" in html
    assert message.subject == "Acme Insurance · October 2026: team at 102.7% of OTE"


@pytest.mark.e2e
def test_the_digest_reads_well_in_a_real_browser(spec_org):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("REQUIRE_BROWSER"):
            pytest.fail("Chromium is required here (REQUIRE_BROWSER is set)")
        pytest.skip("Chromium not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    # Four more months before September, so the history chart has a shape.
    factors = ("0.6", "0.75", "1.1", "0.95")
    actuals_add(spec_org.organization, months={date(2026, 5 + i, 1): Decimal(f) for i, f in enumerate(factors)})
    snapshots_backfill(organization_ids=[spec_org.organization.pk])
    _, _, html = _digest(spec_org)
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / "digest.html"
    path.write_text(html)
    shots = ARTIFACTS / "screenshots"
    shots.mkdir(exist_ok=True)
    # No ORM below: Playwright's sync API runs an event loop in this thread.
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--headless", "--no-sandbox"])
        requests: list[str] = []
        try:
            for name, viewport in (("digest", LAPTOP_MAIL), ("digest-phone", PHONE)):
                page = browser.new_page(viewport=viewport)
                page.on("request", lambda request: requests.append(request.url))
                page.goto(Path(path).as_uri())
                assert page.get_by_text("Acme Insurance · October 2026").is_visible()
                assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 1
                page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                page.close()
        finally:
            browser.close()
    assert [url for url in requests if not url.startswith("file:")] == [], "no remote images, fonts or scripts"


def test_unsubscribe_works_without_login_in_one_click(spec_org):
    organization, manager = spec_org.organization, spec_org.recipients[2]
    url = digest_unsubscribe_url(organization_id=organization.pk, user_id=manager.pk)
    path = url.removeprefix("http://127.0.0.1:8000")
    anonymous = Client(enforce_csrf_checks=True)

    page = anonymous.get(path)
    assert page.status_code == 200 and manager.email in page.content.decode()
    assert Membership.unscoped.get(organization=organization, user=manager).receives_digests, "GET changes nothing"

    # RFC 8058: the mail provider POSTs this body, without cookies or a CSRF token.
    response = anonymous.post(path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    assert response.status_code == 200 and "You are unsubscribed" in response.content.decode()
    assert not Membership.unscoped.get(organization=organization, user=manager).receives_digests

    tampered = path.replace("/digests/unsubscribe/", "/digests/unsubscribe/x")
    assert anonymous.post(tampered).status_code == 400


def test_members_choose_whether_they_get_digests(spec_org, client):
    organization, manager, viewer = spec_org.organization, spec_org.recipients[2], spec_org.others[0]
    client.force_login(manager)
    url = f"/o/{organization.slug}/digests/"
    assert "Email me the monthly digest" in client.get(url).content.decode()
    assert client.post(url, {}).status_code == 302
    assert not Membership.unscoped.get(organization=organization, user=manager).receives_digests
    client.post(url, {"receives_digests": "on"})
    assert Membership.unscoped.get(organization=organization, user=manager).receives_digests
    assert "Send me a preview" not in client.get(url).content.decode()

    client.force_login(viewer)
    assert "Digests go to owners, admins and managers" in client.get(url).content.decode()
    assert client.post(url, {"receives_digests": "on"}).status_code == 403


def test_members_page_links_to_digest_settings(spec_org, client):
    client.force_login(spec_org.recipients[2])
    page = client.get(f"/o/{spec_org.organization.slug}/members/").content.decode()
    assert f'href="/o/{spec_org.organization.slug}/digests/"' in page


def test_owners_send_themselves_a_preview_which_is_not_the_delivery(
    spec_org, client, django_capture_on_commit_callbacks
):
    organization, owner, manager = spec_org.organization, spec_org.recipients[0], spec_org.recipients[2]
    client.force_login(owner)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/o/{organization.slug}/digests/preview/", {"month": "2026-10"})
    assert response.status_code == 302
    assert [(m.to, m.subject) for m in mail.outbox] == [
        ([owner.email], "[Preview] Acme Insurance · October 2026: team at 102.7% of OTE")
    ]
    assert "Preview." in mail.outbox[0].alternatives[0].content
    assert not DigestDelivery.unscoped.exists()

    client.force_login(manager)
    assert client.post(f"/o/{organization.slug}/digests/preview/", {"month": "2026-10"}).status_code == 403


def test_admins_reopen_a_frozen_month_from_the_app(spec_org, client):
    organization, admin, viewer = spec_org.organization, spec_org.recipients[1], spec_org.others[0]
    snapshots_backfill(organization_ids=[organization.pk])
    url = f"/o/{organization.slug}/snapshots/2026-10/reopen/"
    client.force_login(viewer)
    assert client.get(url).status_code == 403
    client.force_login(admin)
    assert "Reopen October 2026?" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert AuditEvent.unscoped.filter(organization=organization, action="snapshot_reopen", actor=admin).exists()


def test_send_digests_command_dry_run_then_exactly_once(spec_org):
    organization = spec_org.organization
    out = StringIO()
    call_command("send_digests", "--period", "2026-10", "--org", organization.slug, "--dry-run", stdout=out)
    assert sorted(line.split("\t")[1] for line in out.getvalue().splitlines()) == sorted(spec_org.recipient_emails)
    assert not DigestDelivery.unscoped.exists() and not MonthlySnapshot.unscoped.exists() and not mail.outbox

    call_command("send_digests", "--period", "2026-10", stdout=StringIO())
    assert sorted(m.to[0] for m in mail.outbox) == sorted(spec_org.recipient_emails)
    out = StringIO()
    call_command("send_digests", "--period", "2026-10", "--org", organization.slug, stdout=out)
    assert "0 sent" in out.getvalue() and len(mail.outbox) == 3
    assert DigestDelivery.unscoped.filter(state=DigestState.SENT).count() == 3
    assert MonthlySnapshot.unscoped.get(organization=organization, month=OCT).frozen_at is not None

    with pytest.raises(CommandError, match="no actuals"):
        call_command("send_digests", "--period", "2026-08", "--org", organization.slug)
    with pytest.raises(CommandError, match="not a month"):
        call_command("send_digests", "--period", "October")


def test_snapshot_and_backfill_commands(spec_org):
    slug = spec_org.organization.slug
    out = StringIO()
    call_command("backfill_snapshots", stdout=out)
    assert out.getvalue().strip() == "Backfill: 2 created, 0 updated, 0 unchanged"
    out = StringIO()
    call_command("backfill_snapshots", "--org", slug, stdout=out)
    assert out.getvalue().strip() == "Backfill: 0 created, 0 updated, 2 unchanged"
    out = StringIO()
    call_command("snapshot", "--month", "2026-10", stdout=out)
    assert out.getvalue().strip() == "Snapshots: 0 created, 0 updated, 1 unchanged"
    call_command("snapshot", "--open", stdout=StringIO())
    out = StringIO()
    call_command("snapshot", "--month", "2026-10", "--org", slug, "--reopen", "--actor", spec_org.recipients[0].email,
                 stdout=out)
    assert "Reopened 2026-10" in out.getvalue()
    with pytest.raises(CommandError, match="needs --org"):
        call_command("snapshot", "--month", "2026-10", "--reopen")
    assert Decimal(str(MonthlySnapshot.unscoped.get(month=OCT).report["summary"]["total_actual"])) == Decimal(
        "36458.1"
    )


def test_digest_settings_page_query_budget(spec_org, client, django_assert_max_num_queries):
    client.force_login(spec_org.recipients[0])
    url = f"/o/{spec_org.organization.slug}/digests/"
    client.get(url)  # warm the session
    with django_assert_max_num_queries(14):
        assert client.get(url).status_code == 200
