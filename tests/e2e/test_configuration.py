"""Configuration tab in a browser: live calculations while typing, a refused negative quota,
export and re-import of the configuration file, at laptop and phone width."""

import json
import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from oteapp.models import AuditEvent, OrganizationSettings, SalesRole
from tests.e2e.axe import assert_no_axe_violations
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
    # Unsaved values: "Use this" waits for a save.
    expect(page.locator("#recommended .recommended-table tr[data-role=closer]")).to_contain_text("Save first")
    expect(page.locator("#recommended").get_by_role("link", name="Use this")).to_have_count(0)
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


def test_use_this_asks_first_then_applies_the_recommended_ote(new_page, organization, screenshot):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/configuration/")

    page.get_by_role("link", name="Use $68,040.00 as the Closers OTE").click()

    expect(page.get_by_role("heading", name="Change the Closers annual OTE?")).to_be_visible()
    expect(page.locator("td[data-now]")).to_have_text("$60,000.00")
    expect(page.locator("td[data-after]")).to_have_text("$68,040.00")
    assert closer(organization).annual_ote == Decimal("60000")  # nothing yet
    assert_no_axe_violations(page)
    screenshot(page, "configuration-use-this-confirm")
    page.get_by_role("button", name="Set the annual OTE to $68,040.00").click()

    expect(page.locator("#recommended .notice")).to_have_text(
        "Closers: annual OTE set from $60,000.00 to $68,040.00."
    )
    expect(page.locator("#id_role-closer-annual_ote")).to_have_value("68040")
    assert closer(organization).annual_ote == Decimal("68040")


def test_use_this_can_align_the_rate_instead_and_cancel_changes_nothing(new_page, organization, screenshot):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/configuration/")
    rates = page.locator(".align-table tr[data-role=setter]")
    expect(rates.locator("[data-align=commission_rate]")).to_have_text("3.53%")
    screenshot(page, "configuration-align-table")

    rates.get_by_role("link", name="Use this rate for Setters").click()
    expect(page.locator("td[data-after]")).to_have_text("0.0353 (3.53%)")
    page.get_by_role("link", name="Cancel").click()
    expect(page.get_by_role("heading", name="Configuration")).to_be_visible()
    assert SalesRole.unscoped.get(organization=organization, key="setter").commission_rate == Decimal("0.05")

    rates.get_by_role("link", name="Use this rate for Setters").click()
    page.get_by_role("button", name="Set the commission rate to 0.0353 (3.53%)").click()
    expect(page.locator("#recommended .notice")).to_contain_text("Setters: commission rate set from 0.05 (5.00%)")
    expect(page.locator("#id_role-setter-commission_rate")).to_have_value("0.0353")


def test_a_save_over_someone_elses_shows_their_values_and_saves_nothing(new_page, organization, screenshot):
    page = new_page(LAPTOP)
    log_in(page, organization)
    page.goto(f"/o/{organization.slug}/configuration/")
    SalesRole.unscoped.filter(organization=organization, key="closer").update(annual_ote=Decimal("65000"))

    page.locator("#id_role-closer-monthly_quota").fill("6")
    page.get_by_role("button", name="Save configuration").click()

    expect(page.get_by_role("alert").first).to_contain_text("while you were editing, so nothing was saved")
    expect(page.locator("#id_role-closer-annual_ote ~ .field-saved")).to_have_text("now saved: 65000")
    expect(page.locator("#id_role-closer-monthly_quota")).to_have_value("6")
    assert closer(organization).monthly_quota == Decimal("5")
    assert_no_axe_violations(page)
    screenshot(page, "configuration-conflict")

    page.get_by_role("button", name="Save configuration").click()  # knowingly, over the saved values
    expect(page.locator(".save-bar .notice")).to_contain_text("Configuration saved")
    assert (closer(organization).monthly_quota, closer(organization).annual_ote) == (6, 60000)


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
    # Every change is shown first (issue 17 item 5); nothing is written until it is applied.
    expect(page.get_by_role("heading", name="Preview: what this file will change")).to_be_visible()
    assert closer(organization).annual_ote == Decimal("1")
    page.get_by_role("button", name="Apply these changes").click()

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
