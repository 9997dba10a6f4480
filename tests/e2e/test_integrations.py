"""Organization → Integrations in a browser: an API key created and shown once (a reload neither shows it again nor
creates a second), revoked; a webhook endpoint added, sent a test event that a real receiver on loopback gets, its
attempts on the page; the API's docs page served from the app under the content security policy. Axe on each
screen, screenshots in artifacts/screenshots (committed copies in docs/screens/)."""

import re

import pytest
from playwright.sync_api import expect

from accounts.tenancy import organization_context
from oteapp.models import ApiKey
from tests.e2e.axe import assert_no_axe_violations
from tests.e2e.conftest import LAPTOP, assert_no_horizontal_overflow
from tests.factories import PASSWORD, UserFactory, organization_with_members
from tests.webhook_receiver import webhook_receiver

EMAIL = "ops@hooks.example"


@pytest.fixture
def organization():
    return organization_with_members("Hooks Co", owner=UserFactory(email=EMAIL))


def log_in(page, organization) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(EMAIL)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(rf"/o/{organization.slug}/"))


def test_an_api_key_is_shown_once_and_can_be_revoked(new_page, organization, screenshot):
    page = new_page(LAPTOP)
    log_in(page, organization)
    # Found from any page of the organization: the header's Integrations link, beside Members.
    page.get_by_role("link", name="Integrations", exact=True).click()
    expect(page.get_by_role("heading", name="Integrations")).to_be_visible()

    page.get_by_label("Name").first.fill("HubSpot sync")
    page.get_by_label("Scope").select_option("write")
    page.get_by_role("button", name="Create key").click()
    key = page.get_by_label("Key", exact=True)
    expect(key).to_have_value(re.compile(r"^ote_[A-Za-z0-9]{8}_"))
    text = key.input_value()
    assert_no_axe_violations(page)
    assert_no_horizontal_overflow(page)
    screenshot(page, "integrations-new-key")

    page.reload()
    expect(page.get_by_label("Key", exact=True)).to_have_count(0)
    assert text not in page.content()
    with organization_context(organization):
        assert ApiKey.objects.count() == 1

    page.get_by_role("button", name="Revoke the key HubSpot sync").click()
    expect(page.get_by_text("was revoked")).to_be_visible()
    expect(page.locator("td .badge", has_text="revoked")).to_be_visible()


def test_a_webhook_endpoint_receives_a_test_event_and_shows_its_attempts(new_page, organization, screenshot, settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    page = new_page(LAPTOP)
    log_in(page, organization)
    with webhook_receiver([200]) as receiver:
        page.goto(f"/o/{organization.slug}/integrations/")
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("month.closed").check()
        page.get_by_label("actuals.changed").check()
        page.get_by_role("button", name="Add endpoint").click()
        expect(page.get_by_role("heading", name="Webhook endpoint")).to_be_visible()
        expect(page.get_by_label("Signing secret")).to_have_value(re.compile(r"^whsec_"))
        page.get_by_role("button", name="Send test event").click()
        receiver.wait_for(1)
        expect(page.get_by_text("HTTP 200")).to_be_visible()
    assert receiver.requests[0].headers["webhook-signature"].startswith("v1,")
    assert_no_axe_violations(page)
    screenshot(page, "integrations-webhook-endpoint")
    page.goto(f"/o/{organization.slug}/integrations/")
    assert_no_axe_violations(page)
    screenshot(page, "integrations")


def test_a_refused_address_is_explained_on_the_form(new_page, organization, settings):
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/integrations/")
    page.get_by_label("URL").fill("https://127.0.0.1/hooks")
    page.get_by_label("month.closed").check()
    page.get_by_role("button", name="Add endpoint").click()
    expect(page.locator("#webhook-url-error")).to_contain_text("private, loopback or reserved")
    assert_no_axe_violations(page)


def test_the_api_docs_page_is_the_apps_own(new_page, screenshot):
    page = new_page(LAPTOP)
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text
            else None)
    outside = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith(("http://localhost", "http://127.0.0.1", "data:")) else None)
    page.goto("/api/v1/docs")
    expect(page.get_by_role("heading", name="OTE Dashboard API")).to_be_visible()
    page.get_by_role("link", name="PUT /api/v1/actuals").click()
    expect(page.get_by_role("heading", name="PUT /api/v1/actuals")).to_be_in_viewport()
    assert violations == [] and outside == []
    assert_no_axe_violations(page)
    screenshot(page, "api-docs")
