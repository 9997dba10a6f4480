"""The session store (accounts/sessions.py): Django's database sessions, read by a hand-written statement."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from accounts.sessions import SessionStore

pytestmark = pytest.mark.django_db


def test_a_saved_session_reads_back_and_an_expired_or_unknown_one_is_empty():
    assert settings.SESSION_ENGINE == "accounts.sessions"
    session = SessionStore()
    session["organization_slug"] = "acme"
    session.save()

    assert SessionStore(session_key=session.session_key).load() == {"organization_slug": "acme"}
    assert SessionStore(session_key="no-such-session-key-0123456789").load() == {}

    SessionStore.get_model_class().objects.filter(session_key=session.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    expired = SessionStore(session_key=session.session_key)
    assert expired.load() == {}
    assert expired.session_key is None  # a new key is made on save, as Django's store does


def test_signing_in_and_out_uses_it(client, owner, organization):
    client.force_login(owner)
    assert client.get(f"/o/{organization.slug}/").status_code == 200
    client.logout()
    assert client.get(f"/o/{organization.slug}/").status_code == 302
