import re

from django.core import mail
from django.core.management import call_command

from tests.factories import PASSWORD

OWNER_EMAIL = "maria@agency.example"


def _link(pattern: str) -> str:
    for message in reversed(mail.outbox):
        found = re.search(pattern, message.body)
        if found:
            return found.group(0)
    raise AssertionError(f"no email with {pattern}")


def test_sign_up_verify_invite_and_accept(new_page, live_server, screenshot):
    owner = new_page()
    owner.goto("/")
    owner.get_by_role("link", name="Create your organization").click()
    owner.get_by_label("Company name").fill("Maria's Agency")
    owner.get_by_label("Email").fill(OWNER_EMAIL)
    owner.locator("#id_password1").fill(PASSWORD)
    owner.locator("#id_password2").fill(PASSWORD)
    owner.get_by_role("button", name="Sign Up").click()
    owner.wait_for_url(re.compile(r"/accounts/confirm-email/"))

    owner.goto(_link(r"https?://\S+/accounts/confirm-email/\S+/").replace("http://testserver", live_server.url))
    owner.get_by_role("button", name="Confirm").click()
    owner.wait_for_url(re.compile(r"/o/marias-agency/"))
    assert owner.get_by_text("Maria's Agency").first.is_visible()

    owner.get_by_role("link", name="Members").click()
    owner.get_by_label("Email").fill("sam@agency.example")
    owner.get_by_label("Access level").select_option("manager")
    owner.get_by_role("button", name="Send invitation").click()
    assert owner.get_by_text("Invitation sent to sam@agency.example").is_visible()
    screenshot(owner, "members-laptop")

    invitee = new_page()
    invitee.goto(_link(r"https?://\S+/invitations/\S+/").replace("http://127.0.0.1:8000", live_server.url))
    invitee.locator("#id_password1").fill(PASSWORD)
    invitee.locator("#id_password2").fill(PASSWORD)
    invitee.get_by_role("button", name="Create account and join").click()
    invitee.wait_for_url(re.compile(r"/o/marias-agency/"))
    assert invitee.get_by_text("Welcome to Maria's Agency").is_visible()


def test_log_into_the_demo_organization(page):
    call_command("loaddemo")
    page.goto("/accounts/login/")
    page.get_by_label("Email").fill("demo@example.com")
    page.locator("#id_password").fill("demo-pass-2026")
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/o/demo/"))
    assert page.get_by_text("Acme Insurance (demo)").first.is_visible()
