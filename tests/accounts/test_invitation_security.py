"""Issue 14 item 1: an invitation link is not a key to the organization. Only the person whose verified email is
the invited one may accept it; owners and admins see, resend and withdraw pending invitations; every change of
membership lands in the audit trail."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from accounts.models import Invitation, MemberRole, Membership
from accounts.services import InvitationForAnotherUser, invitation_accept, invitation_from_token
from accounts.tenancy import organization_context
from oteapp.models import AuditEvent
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def invite(owner_client, organization, django_capture_on_commit_callbacks):
    def _invite(email: str, role: str = "manager") -> str:
        with django_capture_on_commit_callbacks(execute=True):
            owner_client.post(f"/o/{organization.slug}/members/invite/", {"email": email, "role": role})
        return re.search(r"/invitations/\S+/", mail.outbox[-1].body).group(0)

    return _invite


def members_of(organization) -> dict[str, str]:
    with organization_context(organization):
        return dict(Membership.objects.values_list("user__email", "role"))


def audit_of(organization) -> list[tuple[str, str, str, str]]:
    with organization_context(organization):
        return list(
            AuditEvent.objects.order_by("id").values_list("action", "subject", "old_value", "new_value")
        )


def test_another_signed_in_user_cannot_take_an_owner_invitation(client, invite, organization, owner):
    link = invite("co-owner@acme.example", role="owner")
    intruder = UserFactory(email="intruder@evil.example")
    client.force_login(intruder)

    page = client.get(link)
    taken = client.post(link)

    assert page.status_code == taken.status_code == 403
    html = page.content.decode()
    assert "co-owner@acme.example" in html and "intruder@evil.example" in html
    assert "Sign out and continue as co-owner@acme.example" in html
    assert "intruder@evil.example" not in members_of(organization)
    assert members_of(organization) == {owner.email: MemberRole.OWNER}
    with organization_context(organization):
        assert Invitation.objects.get().accepted_at is None


def test_the_service_itself_refuses_the_wrong_user(invite, organization):
    link = invite("sam@agency.example")
    invitation = invitation_from_token(token=link.split("/")[2])
    with pytest.raises(InvitationForAnotherUser):
        invitation_accept(invitation=invitation, user=UserFactory(email="someone@else.example"))
    assert "someone@else.example" not in members_of(organization)


def test_an_unverified_address_equal_to_the_invited_one_is_not_enough(client, invite, organization):
    link = invite("sam@agency.example")
    user = UserFactory(email="sam@agency.example")
    EmailAddress.objects.filter(user=user).update(verified=False)
    client.force_login(user)

    response = client.post(link)

    assert response.status_code == 403
    assert "not verified yet" in response.content.decode()
    assert "sam@agency.example" not in members_of(organization)


def test_a_secondary_verified_address_may_accept(client, invite, organization):
    link = invite("sam@agency.example")
    user = UserFactory(email="sam.personal@example.com")
    EmailAddress.objects.create(user=user, email="Sam@Agency.example", verified=True, primary=False)
    client.force_login(user)

    response = client.post(link)

    assert response["Location"] == f"/o/{organization.slug}/"
    assert members_of(organization)["sam.personal@example.com"] == MemberRole.MANAGER


def test_the_wrong_user_signs_out_and_continues_as_the_invitee(client, invite, organization):
    link = invite("new.person@agency.example")
    client.force_login(UserFactory(email="somebody@else.example"))

    signed_out = client.post("/accounts/logout/", {"next": link})
    assert signed_out["Location"] == link
    page = client.get(link)
    assert "Create your account for <strong>new.person@agency.example</strong>" in page.content.decode()
    joined = client.post(link, {"first_name": "Nia", "password1": PASSWORD, "password2": PASSWORD})

    assert joined["Location"] == f"/o/{organization.slug}/"
    assert members_of(organization)["new.person@agency.example"] == MemberRole.MANAGER


def test_owners_see_resend_and_withdraw_pending_invitations(owner_client, invite, organization):
    first_link = invite("pending@agency.example", role="viewer")
    with organization_context(organization):
        invitation = Invitation.objects.get()
    members_page = owner_client.get(f"/o/{organization.slug}/members/").content.decode()
    assert "pending@agency.example" in members_page
    assert f"/members/invitations/{invitation.pk}/resend/" in members_page
    assert f"/members/invitations/{invitation.pk}/revoke/" in members_page

    mail.outbox.clear()
    owner_client.post(f"/o/{organization.slug}/members/invitations/{invitation.pk}/resend/")
    assert [message.to for message in mail.outbox] == [["pending@agency.example"]]
    second_link = re.search(r"/invitations/\S+/", mail.outbox[-1].body).group(0)
    with organization_context(organization):
        assert Invitation.objects.get().sent_at > invitation.sent_at  # the new link's period starts now

    response = owner_client.post(f"/o/{organization.slug}/members/invitations/{invitation.pk}/revoke/", follow=True)
    assert "was withdrawn" in response.content.decode()
    for link in (first_link, second_link):
        refused = Client().get(link)
        assert refused.status_code == 400
        assert "withdrawn" in refused.content.decode()


def test_an_admin_cannot_resend_or_withdraw_an_owner_invitation(client, invite, organization):
    invite("boss@agency.example", role="owner")
    admin = UserFactory()
    with organization_context(organization):
        Membership.objects.create(organization=organization, user=admin, role=MemberRole.ADMIN)
        invitation = Invitation.objects.get()
    client.force_login(admin)

    response = client.post(f"/o/{organization.slug}/members/invitations/{invitation.pk}/revoke/", follow=True)

    assert "Only an owner" in response.content.decode()
    with organization_context(organization):
        assert Invitation.objects.filter(pk=invitation.pk).exists()


def test_every_membership_change_is_audited(owner_client, invite, organization, owner):
    link = invite("sam@agency.example", role="viewer")
    invite("gone@agency.example", role="manager")
    with organization_context(organization):
        withdrawn = Invitation.objects.get(email="gone@agency.example")
    owner_client.post(f"/o/{organization.slug}/members/invitations/{withdrawn.pk}/resend/")
    owner_client.post(f"/o/{organization.slug}/members/invitations/{withdrawn.pk}/revoke/")
    sam = UserFactory(email="sam@agency.example")
    sams_browser = Client()
    sams_browser.force_login(sam)
    sams_browser.post(link)
    with organization_context(organization):
        membership = Membership.objects.get(user=sam)
    owner_client.post(f"/o/{organization.slug}/members/{membership.pk}/role/", {"role": "admin"})
    owner_client.post(f"/o/{organization.slug}/members/{membership.pk}/remove/")

    assert audit_of(organization) == [
        ("invitation_sent", "member sam@agency.example", "", "viewer"),
        ("invitation_sent", "member gone@agency.example", "", "manager"),
        ("invitation_resent", "member gone@agency.example", "", "manager"),
        ("invitation_revoked", "member gone@agency.example", "manager", ""),
        ("invitation_accepted", "member sam@agency.example", "", "viewer"),
        ("member_role_changed", "member sam@agency.example", "viewer", "admin"),
        ("member_removed", "member sam@agency.example", "admin", ""),
    ]
    with organization_context(organization):
        actors = list(AuditEvent.objects.order_by("id").values_list("actor__email", flat=True))
    assert actors == [owner.email] * 4 + ["sam@agency.example"] + [owner.email] * 2

    page = owner_client.get(f"/o/{organization.slug}/audit/?kind=members").content.decode()
    for label in ("Invitation sent", "Invitation resent", "Invitation withdrawn", "Invitation accepted",
                  "Access level changed", "Member removed"):
        assert label in page


def test_a_refused_change_writes_no_audit_row(owner_client, organization, owner):
    with organization_context(organization):
        owner_membership = Membership.objects.get(user=owner)
    owner_client.post(f"/o/{organization.slug}/members/{owner_membership.pk}/role/", {"role": "viewer"})
    assert audit_of(organization) == []



def test_the_invitation_link_uses_the_sites_public_address(invite, settings):
    """Issue 14 item 16: links in emails name the public address (SITE_URL), never the server's own host and port."""
    settings.SITE_URL = "https://ote.example.com/"
    invite("someone@agency.example")
    assert re.search(r"https://ote\.example\.com/invitations/\S+/", mail.outbox[-1].body)
    assert "127.0.0.1" not in mail.outbox[-1].body and "testserver" not in mail.outbox[-1].body
