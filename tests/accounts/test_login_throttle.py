"""The per-address failed-login throttle (allauth's rate limits) counts the client, not a proxy in front of it:
behind a proxy the address comes from allauth's trusted-proxy settings (ALLAUTH_TRUSTED_PROXY_COUNT,
ALLAUTH_TRUSTED_CLIENT_IP_HEADER, from the environment in production); without them, such headers are ignored."""

import pytest
from django.test import Client, override_settings

from tests.factories import PASSWORD, UserFactory, organization_with_members

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"  # the load balancer's address, as the app server sees every request


@pytest.fixture
def member():
    user = UserFactory(email="member@agency.example")
    organization_with_members("Agency", owner=user)
    return user


def fail_five_logins(client: Client, **headers: str) -> None:
    """Five wrong emails (a different one each time, so that only the per-address limit is reached)."""
    for n in range(5):
        client.post("/accounts/login/", {"login": f"nobody{n}@agency.example", "password": "wrong"}, headers=headers)


def signs_in(client: Client, user, **headers: str) -> bool:
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD}, headers=headers)
    return "_auth_user_id" in client.session


def test_without_a_proxy_the_peer_address_counts_and_forwarded_headers_are_ignored(member):
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    # Forged headers do not give the attacker fresh addresses to try from...
    for n in range(5):
        attacker.post("/accounts/login/", {"login": f"x{n}@agency.example", "password": "wrong"},
                      headers={"X-Forwarded-For": f"198.51.100.{n}", "X-Real-IP": f"198.51.100.{n}"})
    assert not signs_in(attacker, member, **{"X-Forwarded-For": "198.51.100.77"})
    # ...and someone at another address is not locked out by them.
    assert signs_in(Client(REMOTE_ADDR="192.0.2.50"), member)


@override_settings(ALLAUTH_TRUSTED_PROXY_COUNT=1)
def test_behind_a_proxy_one_client_failing_does_not_lock_out_everyone(member):
    through_proxy = {"REMOTE_ADDR": PROXY}
    fail_five_logins(Client(**through_proxy), **{"X-Forwarded-For": "203.0.113.9"})
    assert not signs_in(Client(**through_proxy), member, **{"X-Forwarded-For": "203.0.113.9"})
    assert signs_in(Client(**through_proxy), member, **{"X-Forwarded-For": "192.0.2.50"})


@override_settings(ALLAUTH_TRUSTED_CLIENT_IP_HEADER="X-Real-IP")
def test_behind_a_proxy_that_names_the_client_in_its_own_header(member):
    through_proxy = {"REMOTE_ADDR": PROXY}
    fail_five_logins(Client(**through_proxy), **{"X-Real-IP": "203.0.113.9"})
    assert not signs_in(Client(**through_proxy), member, **{"X-Real-IP": "203.0.113.9"})
    assert signs_in(Client(**through_proxy), member, **{"X-Real-IP": "192.0.2.50"})


def test_the_settings_come_from_the_environment():
    import subprocess
    import sys

    from django.conf import settings

    code = (
        "from django.conf import settings; "
        "print(settings.ALLAUTH_TRUSTED_PROXY_COUNT, settings.ALLAUTH_TRUSTED_CLIENT_IP_HEADER)"
    )
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.base", "ALLAUTH_TRUSTED_PROXY_COUNT": "2",
           "ALLAUTH_TRUSTED_CLIENT_IP_HEADER": "X-Real-IP", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", f"import django; django.setup(); {code}"], cwd=settings.BASE_DIR,
                         env=env, capture_output=True, text=True, timeout=60)
    assert out.stdout.split() == ["2", "X-Real-IP"], out.stderr
