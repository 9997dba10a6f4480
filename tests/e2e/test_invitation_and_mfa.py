"""Issue 14 items 1 and 4 in a real browser: an invitation opened by the wrong signed-in person, who signs out
and continues as the invitee; the Members page with its pending invitations; two-factor set-up and sign-in with
a real TOTP code; the 403 page. Every screen is checked with axe-core."""

import re

import pyotp
from django.core import mail

from accounts.models import MemberRole, Membership
from accounts.tenancy import organization_context
from tests.e2e.axe import assert_no_axe_violations
from tests.factories import PASSWORD, UserFactory, organization_with_members


def sign_in(page, email: str, next_path: str = "") -> None:
    page.goto(f"/accounts/login/{'?next=' + next_path if next_path else ''}")
    page.get_by_label("Email").fill(email)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Sign In").click()


def invitation_link(live_server) -> str:
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[-1].body).group(0)
    return re.sub(r"^https?://[^/]+", live_server.url, link)


def test_the_wrong_person_sees_whom_the_invitation_is_for_signs_out_and_the_invitee_joins(
    new_page, live_server, screenshot
):
    owner = UserFactory(email="maria@agency.example")
    organization = organization_with_members("Maria's Agency", owner=owner)
    UserFactory(email="sam@agency.example")  # the invitee already has an account elsewhere
    UserFactory(email="eve@elsewhere.example")

    page = new_page()
    sign_in(page, owner.email)
    page.wait_for_url(re.compile(r"/o/marias-agency/"))
    page.goto(f"/o/{organization.slug}/members/")
    page.get_by_label("Email").fill("sam@agency.example")
    page.locator("#id_role").select_option("admin")
    page.get_by_role("button", name="Send invitation").click()
    assert page.get_by_text("Invitation sent to sam@agency.example").is_visible()
    assert page.get_by_role("button", name="Resend the invitation to sam@agency.example").is_visible()
    assert page.get_by_role("button", name="Withdraw the invitation to sam@agency.example").is_visible()
    assert_no_axe_violations(page)
    screenshot(page, "members-invitations")
    link = invitation_link(live_server)

    eve = new_page()
    sign_in(eve, "eve@elsewhere.example")
    eve.wait_for_url(re.compile(r"/(organizations/new/|o/)"))
    eve.goto(link)
    assert eve.get_by_role("heading", name="This invitation is for someone else").is_visible()
    assert eve.get_by_text("was sent to sam@agency.example").is_visible()
    assert_no_axe_violations(eve)
    screenshot(eve, "invitation-wrong-user")
    with organization_context(organization):
        assert not Membership.objects.filter(user__email="eve@elsewhere.example").exists()

    eve.get_by_role("button", name="Sign out and continue as sam@agency.example").click()
    eve.get_by_role("link", name="Log in").first.wait_for()
    assert eve.get_by_text("sam@agency.example already has an account").is_visible()
    eve.get_by_role("main").get_by_role("link", name="Log in").click()
    eve.get_by_label("Email").fill("sam@agency.example")
    eve.locator("#id_password").fill(PASSWORD)
    eve.get_by_role("button", name="Sign In").click()
    eve.get_by_role("button", name="Accept and join").click()
    eve.wait_for_url(re.compile(r"/o/marias-agency/"))
    assert eve.get_by_text("Welcome to Maria's Agency").is_visible()
    with organization_context(organization):
        assert Membership.objects.get(user__email="sam@agency.example").role == MemberRole.ADMIN


def test_staff_set_up_two_factor_then_sign_in_with_a_code(page, screenshot):
    UserFactory(email="ops@ote.example", is_staff=True, is_superuser=True)
    sign_in(page, "ops@ote.example", next_path="/admin/")
    # The admin sends them to set up an authenticator app; allauth first asks for the password again.
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    assert page.get_by_text("The admin needs two-factor authentication").is_visible()
    assert_no_axe_violations(page)
    page.locator("#id_password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/totp/activate/"))
    secret = page.locator("#authenticator_secret").input_value()
    assert_no_axe_violations(page)
    screenshot(page, "mfa-setup")
    page.get_by_label("Authenticator code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Activate").click()
    page.wait_for_url(re.compile(r"/accounts/2fa/recovery-codes/"))
    assert_no_axe_violations(page)
    page.get_by_role("link", name="Two-factor authentication").click()
    assert page.get_by_role("heading", name="Two-Factor Authentication").is_visible()
    assert_no_axe_violations(page)
    screenshot(page, "mfa-index")
    page.goto("/admin/")
    assert page.get_by_role("heading", name="Site administration").is_visible()

    page.get_by_role("button", name="Log out").first.click()
    sign_in(page, "ops@ote.example", next_path="/admin/")
    page.wait_for_url(re.compile(r"/accounts/2fa/authenticate/"))
    assert_no_axe_violations(page)
    screenshot(page, "mfa-sign-in")
    page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Sign In").click()
    page.wait_for_url(re.compile(r"/admin/$"))
    assert page.get_by_role("heading", name="Site administration").is_visible()


def test_a_viewer_sees_which_access_level_a_page_needs(page, screenshot):
    owner, viewer = UserFactory(), UserFactory(email="val@agency.example")
    organization = organization_with_members("Maria's Agency", owner=owner, viewer=viewer)
    sign_in(page, viewer.email)
    page.wait_for_url(re.compile(r"/o/marias-agency/"))
    page.goto(f"/o/{organization.slug}/audit/")
    assert page.get_by_text("This needs owner or admin access. Your access level here is viewer.").is_visible()
    assert page.get_by_role("link", name="Members").first.is_visible()
    assert_no_axe_violations(page)
    screenshot(page, "forbidden")
