"""Issue 14 item 4: the admin is signed into through allauth's throttled login only, and staff need a second
factor (TOTP) before any admin page opens; every user may set one up. Real TOTP codes (pyotp)."""

import re

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def sign_in(client: Client, email: str) -> None:
    response = client.post("/accounts/login/", {"login": email, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def activate_totp(client: Client) -> pyotp.TOTP:
    """Set up an authenticator app as a person would: confirm the password (allauth asks again before a security
    change), read the secret shown beside the QR code, type the app's current code."""
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    client.post(asked["Location"], {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/").content.decode()
    field = re.search(r'<input[^>]*id="authenticator_secret"[^>]*>', page).group(0)
    totp = pyotp.TOTP(re.search(r'value="([A-Z2-7]+)"', field).group(1))
    response = client.post("/accounts/2fa/totp/activate/", {"code": totp.now()})
    assert response.status_code == 302, response.content.decode()[:800]
    return totp


def test_the_admin_login_form_is_allauths_throttled_login(client):
    staff = UserFactory(is_staff=True, is_superuser=True)

    page = client.get("/admin/login/?next=/admin/")
    posted = client.post("/admin/login/", {"username": staff.email, "password": PASSWORD})

    assert page.status_code == 302 and page["Location"] == "/accounts/login/?next=%2Fadmin%2F"
    assert posted.status_code == 302 and posted["Location"].startswith("/accounts/login/")
    assert "_auth_user_id" not in client.session  # the admin's own form never signs anyone in


def test_failed_admin_sign_ins_are_throttled_like_any_other(client):
    staff = UserFactory(is_staff=True)
    for _ in range(5):
        client.post("/accounts/login/?next=/admin/", {"login": staff.email, "password": "wrong"})
    refused = client.post("/accounts/login/?next=/admin/", {"login": staff.email, "password": PASSWORD})
    assert refused.status_code == 200 and "Too many failed login attempts" in refused.content.decode()
    assert "_auth_user_id" not in client.session


def test_staff_without_a_second_factor_are_sent_to_set_one_up(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    sign_in(client, staff.email)

    response = client.get("/admin/accounts/organization/")

    assert response.status_code == 302
    assert response["Location"] == "/accounts/2fa/totp/activate/"
    assert "The admin needs two-factor authentication" in client.get(response["Location"], follow=True).content.decode()


def test_staff_with_totp_sign_in_with_a_code_and_use_the_admin(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    sign_in(client, staff.email)
    totp = activate_totp(client)
    assert Authenticator.objects.filter(user=staff, type=Authenticator.Type.TOTP).exists()
    assert client.get("/admin/").status_code == 200
    client.logout()

    first_step = client.post("/accounts/login/?next=/admin/", {"login": staff.email, "password": PASSWORD})
    assert first_step["Location"] == "/accounts/2fa/authenticate/"
    assert client.get("/admin/")["Location"].startswith("/admin/login/")  # the password alone opens nothing
    wrong = client.post("/accounts/2fa/authenticate/", {"code": "000000" if totp.now() != "000000" else "111111"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode()
    second_step = client.post("/accounts/2fa/authenticate/", {"code": totp.now()})
    assert second_step["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_every_user_is_offered_two_factor_authentication(client, owner, organization):
    sign_in(client, owner.email)

    overview = client.get(f"/o/{organization.slug}/").content.decode()
    setup = client.get("/accounts/2fa/").content.decode()

    assert 'href="/accounts/2fa/">Two-factor authentication</a>' in overview
    assert '<main id="main">' in setup and "Authenticator App" in setup
    activate_totp(client)
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.RECOVERY_CODES).exists()


def test_a_member_who_is_not_staff_gets_the_403_page_from_the_admin(client, owner):
    sign_in(client, owner.email)
    response = client.get("/admin/login/")
    assert response.status_code == 403
    assert '<main id="main">' in response.content.decode()
