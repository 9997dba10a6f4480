"""The request path (accounts/middleware.py): Django's sessions and authentication, one query for the membership
with its organization, the row-level-security settings at the start of the request's transaction."""

from datetime import timedelta

import pytest
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import MemberRole, Membership, User
from tests.factories import UserFactory
from tests.oteapp.test_performance_view import worked_example

pytestmark = pytest.mark.django_db


def performance(organization) -> str:
    return f"/o/{organization.slug}/performance/?month=2026-10"


def test_a_signed_in_screen_starts_with_five_statements(owner_client, organization):
    """Session, user, the row-level-security settings, the membership with its organization, the organization's
    setting: then the view. A screen served from the fragment cache runs nothing more but the months list."""
    worked_example(organization)
    owner_client.get(performance(organization))  # fills the cache
    with CaptureQueriesContext(connection) as queries:
        assert owner_client.get(performance(organization), headers={"HX-Request": "true"}).status_code == 200
    # In the test's own transaction the request's is a savepoint, and its settings are reset at its end; in
    # production it is BEGIN and COMMIT, which ends them.
    sql = [
        query["sql"] for query in queries.captured_queries
        if "SAVEPOINT" not in query["sql"] and "set_config('role', 'none'" not in query["sql"]
    ]
    assert "django_session" in sql[0] and "accounts_user" in sql[1]
    assert "set_config('role'" in sql[2]
    assert "accounts_membership" in sql[3] and "accounts_organization" in sql[3] and "FOR" not in sql[3]
    assert "app.organization_id" in sql[4]
    assert len(sql) == 5, sql


def test_non_members_get_404_and_signed_out_visitors_the_login_page(client, owner, organization, other_organization):
    client.force_login(owner)
    assert client.get(performance(organization)).status_code == 200
    assert client.get(performance(other_organization)).status_code == 404
    assert client.get("/o/no-such-company/performance/").status_code == 404
    client.logout()
    response = client.get(performance(organization))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_changed_password_or_a_deactivated_account_ends_the_session(client, owner, organization):
    client.force_login(owner)
    assert client.get(performance(organization)).status_code == 200
    owner.set_password("a whole new passphrase")
    owner.save()
    assert client.get(performance(organization)).status_code == 302

    client.force_login(owner)
    assert client.get(performance(organization)).status_code == 200
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert client.get(performance(organization)).status_code == 302


def test_a_tampered_or_expired_session_signs_the_visitor_out(client, owner, organization):
    client.force_login(owner)
    session = Session.objects.get()
    payload, _, signature = session.session_data.rpartition(":")
    Session.objects.update(session_data=f"{payload}:{signature[::-1]}")
    assert client.get(performance(organization)).status_code == 302

    client.force_login(owner)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get(performance(organization)).status_code == 302


def test_a_removed_member_loses_access_at_the_next_request(client, organization):
    manager = UserFactory(email="manager@acme.example")
    Membership.unscoped.create(organization=organization, user=manager, role=MemberRole.MANAGER)
    client.force_login(manager)
    assert client.get(performance(organization)).status_code == 200
    Membership.unscoped.filter(user=manager).delete()
    assert client.get(performance(organization)).status_code == 404


def test_the_upgrade_keeps_everyone_signed_in(owner):
    """accounts migration 0006 copies the live sessions of accounts_session back to django_session."""
    from importlib import import_module

    from django.db.migrations.executor import MigrationExecutor

    state = MigrationExecutor(connection).loader.project_state(("accounts", "0005_invitation_sent_at"))
    old_apps = state.apps
    with connection.schema_editor() as editor:
        editor.create_model(old_apps.get_model("accounts", "Session"))
    OwnSession = old_apps.get_model("accounts", "Session")
    now = timezone.now()
    OwnSession.objects.create(session_key="live", session_data="x:y", expire_date=now + timedelta(days=1))
    OwnSession.objects.create(session_key="gone", session_data="x:y", expire_date=now - timedelta(days=1))
    Session.objects.create(session_key="known", session_data="a:b", expire_date=now + timedelta(days=1))
    OwnSession.objects.create(session_key="known", session_data="x:y", expire_date=now + timedelta(days=1))

    import_module("accounts.migrations.0006_django_sessions_again").copy_sessions_back(old_apps, None)

    assert dict(Session.objects.values_list("session_key", "session_data")) == {"live": "x:y", "known": "a:b"}
