"""Configuration tab in a browser: live calculations while typing, a refused negative quota,
export and re-import of the configuration file, at laptop and phone width."""

import json
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from oteapp.models import AuditEvent, OrganizationSettings, SalesRole
from tests.e2e.conftest import LAPTOP, PHONE, assert_no_horizontal_overflow
from tests.factories import PASSWORD, UserFactory, organization_with_members
from tests.oteapp.test_configuration_view import worked_example_actuals, worked_example_configure

EMAIL = "ops@config.example"


@pytest.fixture
def organization():
    organization = organization_with_members("Config Co", owner=UserFactory(email=EMAIL))
    worked_example_configure(organization)
    worked_example_actuals(organization)
    return organization


def log_in(page, organization, email: str = EMAIL) -> None:
    page.goto("/accounts/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(rf"/o/{organization.slug}/"))


def closer(organization) -> SalesRole:
    return SalesRole.unscoped.get(organization=organization, key="closer")


def test_typing_an_ote_updates_the_live_calculations(new_page, organization, screenshot):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/configuration/?month=2026-10")
    required = page.locator("#calc-closer [data-calc=required]")
    expect(required).to_have_text("$1,000.00")
    expect(page.locator("#calc-closer [data-calc=configured]")).to_have_text("$1,134.00")
    expect(page.locator("#calc-closer [data-calc=break-even]")).to_have_text("4.41 deals")
    screenshot(page, "configuration-laptop")
    assert_no_horizontal_overflow(page)
    page.evaluate("window.noReload = true")

    ote = page.locator("#id_role-closer-annual_ote")
    ote.fill("")
    ote.press_sequentially("84000", delay=40)

    expect(required).to_have_text("$1,400.00")
    expect(page.locator("#calc-closer [data-calc=misalignment]")).to_contain_text(
        "OTE requires 6.2 deals but quota is 5.0"
    )
    expect(page.get_by_role("button", name=re.compile("^Use .* as the Closers OTE"))).to_be_disabled()
    assert page.evaluate("window.noReload") is True  # updated in place, not by a page load
    assert closer(organization).annual_ote == Decimal("60000")  # nothing saved while typing


def test_a_negative_quota_is_refused_clearly_and_nothing_is_saved(new_page, organization):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/configuration/")
    page.locator("#id_org-deal_value").fill("12000")
    page.locator("#id_role-closer-monthly_quota").fill("-5")

    page.get_by_role("button", name="Save configuration").click()

    expect(page.get_by_role("alert").first).to_contain_text("Nothing was saved")
    expect(page.locator("#id_role-closer-monthly_quota_error")).to_have_text("Must not be negative.")
    expect(page.locator("#id_role-closer-monthly_quota")).to_have_value("-5")
    expect(page.locator("#id_role-closer-monthly_quota")).to_have_attribute("aria-invalid", "true")
    assert closer(organization).monthly_quota == Decimal("5")
    assert OrganizationSettings.unscoped.get(organization=organization).deal_value == Decimal("11340")
    assert not AuditEvent.unscoped.filter(organization=organization).exists()

    page.locator("#id_role-closer-monthly_quota").fill("6")
    page.get_by_role("button", name="Save configuration").click()
    expect(page.locator(".save-bar .notice")).to_have_text("Configuration saved: 2 values changed.")
    assert closer(organization).monthly_quota == Decimal("6")


def test_use_this_applies_the_recommended_ote(new_page, organization):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/configuration/")

    page.get_by_role("button", name="Use $68,040.00 as the Closers OTE").click()

    expect(page.locator("#recommended .notice")).to_have_text("Closers: annual OTE set to $68,040.00.")
    expect(page.locator("#id_role-closer-annual_ote")).to_have_value("68040")
    assert closer(organization).annual_ote == Decimal("68040")


def test_export_and_reimport_the_configuration(new_page, organization, tmp_path):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/configuration/")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export configuration").click()
    download = download_info.value
    assert download.suggested_filename == "config-co-configuration.json"
    exported = tmp_path / download.suggested_filename
    download.save_as(exported)
    document = json.loads(exported.read_text())
    assert document["version"] == "2.0" and document["roles"]["closer"]["annual_ote"] == 60000

    SalesRole.unscoped.filter(organization=organization, key="closer").update(annual_ote=Decimal("1"))
    page.reload()
    expect(page.locator("#id_role-closer-annual_ote")).to_have_value("1")
    page.locator("#id_file").set_input_files(str(exported))
    page.get_by_role("button", name="Import", exact=True).click()

    expect(page.locator("#config-files .notice")).to_contain_text("Configuration imported")
    expect(page.locator("#id_role-closer-annual_ote")).to_have_value("60000")
    assert closer(organization).annual_ote == Decimal("60000")

    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"version": "2.0", "roles": {"closer": {"monthly_quota": -5}}}))
    page.locator("#id_file").set_input_files(str(broken))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator(".import-errors")).to_contain_text("roles.closer.monthly_quota")
    assert closer(organization).monthly_quota == Decimal("5")


def test_the_configuration_on_a_phone(new_page, organization, screenshot):
    page = new_page(PHONE)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/configuration/?month=2026-10")
    expect(page.locator("#calc-closer [data-calc=required]")).to_have_text("$1,000.00")

    assert_no_horizontal_overflow(page)
    screenshot(page, "configuration-phone")


def test_a_viewer_sees_the_configuration_read_only(new_page, organization):
    viewer = UserFactory(email="viewer@config.example")
    from accounts.models import Membership

    Membership.unscoped.create(organization=organization, user=viewer, role="viewer")
    page = new_page(LAPTOP)
    log_in(page, organization, email=viewer.email)
    page.goto(f"/o/{organization.slug}/configuration/")

    expect(page.locator("#id_role-closer-annual_ote")).to_be_disabled()
    expect(page.locator("#id_org-deal_value")).to_be_disabled()
    expect(page.get_by_role("button", name="Save configuration")).to_have_count(0)
    expect(page.get_by_role("button", name=re.compile("Use this|^Use "))).to_have_count(0)
    expect(page.locator("#calc-closer [data-calc=required]")).to_have_text("$1,000.00")
