import re

import pytest
from django.core import mail

from accounts.models import MemberRole, Membership, Organization
from accounts.tenancy import organization_context
from oteapp.models import OrganizationSettings, SalesRole
from tests.factories import PASSWORD, UserFactory, organization_with_members

pytestmark = pytest.mark.django_db


def sign_up(client, *, email="maria@agency.example", company="Maria's Agency"):
    return client.post(
        "/accounts/signup/",
        {"email": email, "password1": PASSWORD, "password2": PASSWORD,
         "organization_name": company, "first_name": "Maria"},
    )


def confirmation_link() -> str:
    return re.search(r"https?://\S+/accounts/confirm-email/\S+/", mail.outbox[-1].body).group(0)


def test_sign_up_creates_the_organization_with_the_user_as_owner(client):
    response = sign_up(client)

    assert response.status_code == 302
    organization = Organization.objects.get(name="Maria's Agency")
    assert organization.slug == "marias-agency"
    with organization_context(organization):
        membership = Membership.objects.get()
        assert membership.user.email == "maria@agency.example"
        assert membership.role == MemberRole.OWNER
        assert OrganizationSettings.objects.count() == 1
        assert list(SalesRole.objects.values_list("key", flat=True)) == ["closer", "setter", "manager"]


def test_email_must_be_verified_then_the_user_lands_in_the_organization(client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client)
    assert "confirm-email" in mail.outbox[-1].body
    client.logout()
    # Not verified yet: logging in sends to the verification page, not to the app.
    response = client.post("/accounts/login/", {"login": "maria@agency.example", "password": PASSWORD})
    assert "/accounts/confirm-email/" in response["Location"]

    link = confirmation_link().replace("http://testserver", "")
    response = client.post(link)
    assert response.status_code == 302
    response = client.get("/", follow=True)
    assert response.redirect_chain[-1][0] == "/o/marias-agency/"
    assert b"Maria&#x27;s Agency" in response.content


def test_company_names_give_unique_slugs(client):
    sign_up(client, email="a@one.example", company="Acme")
    client.logout()
    sign_up(client, email="b@two.example", company="Acme")
    assert sorted(Organization.objects.values_list("slug", flat=True)) == ["acme", "acme-2"]


def test_sign_up_without_a_company_name_is_refused_and_creates_nothing(client):
    response = sign_up(client, company="")
    assert response.status_code == 200
    assert b"This field is required" in response.content
    assert not Organization.objects.exists()


def test_failed_logins_are_throttled(client):
    user = UserFactory(email="target@agency.example")
    organization_with_members("Target", owner=user)
    for _ in range(5):
        client.post("/accounts/login/", {"login": user.email, "password": "wrong-password"})
    response = client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert response.status_code in (200, 429)
    assert "_auth_user_id" not in client.session


def test_a_user_in_two_organizations_can_switch_between_them(client):
    user = UserFactory()
    first = organization_with_members("First Co", owner=user)
    second = organization_with_members("Second Co", viewer=user)
    client.force_login(user)

    page = client.get(f"/o/{first.slug}/")
    assert b'href="/organizations/"' in page.content  # the switcher, which loads its list when opened
    switcher = client.get("/organizations/", headers={"HX-Request": "true"})
    assert f'href="/o/{second.slug}/"'.encode() in switcher.content
    assert f'href="/o/{first.slug}/" aria-current="true"'.encode() in switcher.content
    assert b"<html" not in switcher.content
    assert f'href="/o/{second.slug}/"'.encode() in client.get("/organizations/").content  # without JavaScript
    assert client.get(f"/o/{second.slug}/").status_code == 200
    # The last organization visited is where the home page goes next time.
    assert client.get("/")["Location"] == f"/o/{second.slug}/"


def test_password_reset_sends_a_link(client, django_capture_on_commit_callbacks):
    UserFactory(email="forgot@agency.example")
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/accounts/password/reset/", {"email": "forgot@agency.example"})
    assert "password/reset/key" in mail.outbox[-1].body
