import re
from datetime import timedelta

import pytest
from django.core import mail, signing

from accounts.models import Invitation, MemberRole, Membership
from accounts.tenancy import organization_context
from tests.factories import PASSWORD, UserFactory, organization_with_members

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


def test_a_new_user_accepts_an_invitation_and_sees_the_organization(client, invite, organization):
    link = invite("sam@agency.example")
    client.logout()

    response = client.post(link, {"first_name": "Sam", "password1": PASSWORD, "password2": PASSWORD})

    assert response["Location"] == f"/o/{organization.slug}/"
    assert members_of(organization)["sam@agency.example"] == MemberRole.MANAGER
    assert client.get(f"/o/{organization.slug}/").status_code == 200


def test_an_existing_user_logs_in_then_accepts(client, invite, organization):
    existing = UserFactory(email="lee@agency.example")
    organization_with_members("Lee's own shop", owner=existing)
    link = invite("lee@agency.example", role="viewer")
    client.logout()

    assert b"Log in" in client.get(link).content
    client.force_login(existing)
    response = client.post(link)

    assert response["Location"] == f"/o/{organization.slug}/"
    assert members_of(organization)["lee@agency.example"] == MemberRole.VIEWER


def test_an_invitation_works_once(client, invite, organization):
    link = invite("once@agency.example")
    client.logout()
    client.post(link, {"password1": PASSWORD, "password2": PASSWORD})
    client.logout()
    response = client.get(link)
    assert response.status_code == 400
    assert b"already been used" in response.content


def test_a_tampered_invitation_is_refused(client, invite, organization):
    link = invite("eve@agency.example")
    client.logout()
    response = client.post(link[:-3] + "xx/", {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 400
    assert "eve@agency.example" not in members_of(organization)


def test_an_expired_invitation_is_refused(client, invite, organization, monkeypatch):
    link = invite("week@agency.example")
    client.logout()
    real_time = signing.time.time
    monkeypatch.setattr(signing.time, "time", lambda: real_time() + timedelta(days=8).total_seconds())
    response = client.post(link, {"password1": PASSWORD, "password2": PASSWORD})
    assert response.status_code == 400
    assert b"expired" in response.content
    assert "week@agency.example" not in members_of(organization)


def test_the_last_owner_cannot_be_removed_or_demoted(owner_client, organization, owner):
    admin = UserFactory()
    with organization_context(organization):
        Membership.objects.create(organization=organization, user=admin, role=MemberRole.ADMIN)
        owner_membership = Membership.objects.get(user=owner)

    owner_client.post(f"/o/{organization.slug}/members/{owner_membership.pk}/role/", {"role": "admin"})
    owner_client.force_login(admin)
    owner_client.post(f"/o/{organization.slug}/members/{owner_membership.pk}/remove/")

    assert members_of(organization)[owner.email] == MemberRole.OWNER


def test_owner_changes_roles_and_removes_members(owner_client, organization):
    sam = UserFactory()
    with organization_context(organization):
        membership = Membership.objects.create(organization=organization, user=sam, role=MemberRole.VIEWER)
    owner_client.post(f"/o/{organization.slug}/members/{membership.pk}/role/", {"role": "manager"})
    assert members_of(organization)[sam.email] == MemberRole.MANAGER
    owner_client.post(f"/o/{organization.slug}/members/{membership.pk}/remove/")
    assert sam.email not in members_of(organization)


@pytest.mark.parametrize("role", ["viewer", "manager"])
def test_viewers_and_managers_cannot_manage_members(client, organization, role):
    user = UserFactory()
    victim = UserFactory()
    with organization_context(organization):
        Membership.objects.create(organization=organization, user=user, role=role)
        target = Membership.objects.create(organization=organization, user=victim, role=MemberRole.VIEWER)
    client.force_login(user)
    before = members_of(organization)

    invite = {"email": "x@y.example", "role": "owner"}
    assert client.post(f"/o/{organization.slug}/members/invite/", invite).status_code == 403
    assert client.post(f"/o/{organization.slug}/members/{target.pk}/role/", {"role": "owner"}).status_code == 403
    assert client.post(f"/o/{organization.slug}/members/{target.pk}/remove/").status_code == 403
    assert members_of(organization) == before
    with organization_context(organization):
        assert not Invitation.objects.exists()


def test_a_member_id_of_another_organization_is_404(owner_client, organization, other_organization):
    with organization_context(other_organization):
        foreign = Membership.objects.get()
    response = owner_client.post(f"/o/{organization.slug}/members/{foreign.pk}/remove/")
    assert response.status_code == 404
    with organization_context(other_organization):
        assert Membership.objects.filter(pk=foreign.pk).exists()


def test_an_invitation_the_mail_server_refuses_is_not_kept(owner_client, organization, settings):
    # A real SMTP backend aimed at a closed port on this machine: the connection is refused.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2

    response = owner_client.post(
        f"/o/{organization.slug}/members/invite/", {"email": "lost@agency.example", "role": "manager"}, follow=True
    )

    assert "could not be sent" in response.content.decode()
    with organization_context(organization):
        assert not Invitation.objects.exists()
