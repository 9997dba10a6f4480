"""A request's first statement: its session, user and membership in one call (RequestContextMiddleware,
accounts migration 0004). What a user cares about: a screen served from the cache costs one round trip, and
reading everything up front changes nothing about who may see what."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from accounts.models import MemberRole, Membership, Session, User
from accounts.selectors import request_context_get
from accounts.sessions import SessionStore
from tests.factories import UserFactory, organization_with_members
from tests.oteapp.test_performance_view import worked_example

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def performance(organization) -> str:
    return f"/o/{organization.slug}/performance/?month=2026-10"


@pytest.mark.django_db(transaction=True)
def test_a_cached_screen_sends_postgresql_one_statement_and_no_transaction(client, tmp_path):
    """Outside the tests' own transaction, as in production: what goes over the wire (libpq's trace of the
    connection) is the lookup alone, as a prepared statement; no BEGIN, no row-level-security settings, no COMMIT."""
    owner = UserFactory(email="owner@acme.example")
    organization = organization_with_members("Acme Insurance", owner=owner)
    worked_example(organization)
    client.force_login(owner)
    for headers in ({}, HTMX):
        first = client.get(performance(organization), headers=headers)  # computes and caches the fragment
        trace = tmp_path / "libpq.trace"
        with trace.open("w") as out:
            connection.connection.pgconn.trace(out.fileno())
            again = client.get(performance(organization), headers=headers)
            connection.connection.pgconn.untrace()
        messages = [line.split("\t") for line in trace.read_text().splitlines()]
        # A statement starts with Query (simple protocol) or Bind (extended: the lookup is prepared).
        sent = [message for message in messages if message[1] == "F" and message[3] in ("Query", "Parse", "Bind")]
        columns = next(message[4] for message in messages if message[1] == "B" and message[3] == "RowDescription")
        assert again.status_code == 200 and without_tokens(again) == without_tokens(first)
        assert len(sent) == 1 and sent[0][3] == "Bind", sent
        assert '"session_data"' in columns and '"data_version"' in columns


def without_tokens(response) -> str:
    """The page without its CSRF tokens (masked afresh for every response)."""
    return re.sub(r"[A-Za-z0-9]{64}", "", response.content.decode())


def test_the_lookup_finds_the_members_membership_only(owner, organization, other_organization):
    session = _session_of(owner)
    found = request_context_get(session_key=session.session_key, slug=organization.slug)
    assert found.user == owner and found.session_data[SESSION_KEY] == str(owner.pk)
    assert (found.membership.organization, found.membership.role) == (organization, MemberRole.OWNER)
    organization.refresh_from_db()
    assert found.membership.organization.data_version == organization.data_version

    assert request_context_get(session_key=session.session_key, slug=other_organization.slug).membership is None
    assert request_context_get(session_key=session.session_key, slug="no-such-company").membership is None
    assert request_context_get(session_key="no-such-session-key-0123456789", slug=organization.slug) is None


def test_the_lookup_works_as_the_runtime_role_and_leaves_its_setting_as_it_was(owner, organization):
    """Row-level security shows a membership to its own user only: the function names the user itself."""
    session = _session_of(owner)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('role', %s, true), set_config('app.user_id', '', true)",
                       [settings.DATABASE_RLS_ROLE])
        found = request_context_get(session_key=session.session_key, slug=organization.slug)
        cursor.execute("SELECT current_setting('app.user_id', true)")
        setting_after = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('role', 'none', true)")
    assert found.membership is not None and found.membership.organization == organization
    assert setting_after == ""


def test_a_session_row_pointing_at_another_user_is_not_believed(owner, organization):
    """The signed data decides who is signed in; the user column is only a copy used to join."""
    intruder = UserFactory(email="intruder@example.com")
    session = _session_of(intruder)
    Session.objects.filter(session_key=session.session_key).update(user=owner)
    found = request_context_get(session_key=session.session_key, slug=organization.slug)
    assert found.user is None and found.membership is None


def test_the_lookup_reads_dates_exactly_as_the_orm_does(owner, organization):
    """Its timestamps travel as microseconds since the epoch; they arrive as the same aware datetimes."""
    session = _session_of(owner)
    User.objects.filter(pk=owner.pk).update(last_login=timezone.now().replace(microsecond=123456))
    found = request_context_get(session_key=session.session_key, slug=organization.slug)
    user = User.objects.get(pk=owner.pk)
    membership = Membership.unscoped.select_related("organization").get(user=owner, organization=organization)
    assert (found.user.last_login, found.user.date_joined) == (user.last_login, user.date_joined)
    assert found.user.last_login.microsecond == 123456 and found.user.last_login.tzinfo is not None
    assert found.membership.created_at == membership.created_at
    assert found.membership.organization.created_at == membership.organization.created_at


def test_the_lookup_gives_whole_loaded_rows_that_cost_no_further_query(owner, organization, django_assert_num_queries):
    """The membership and its organization are built as loaded rows: a field added to either model and not
    to the lookup would be deferred, and reading it would cost every request a query."""
    session = _session_of(owner)
    found = request_context_get(session_key=session.session_key, slug=organization.slug)
    membership, found_organization = found.membership, found.membership.organization
    assert membership.get_deferred_fields() == set() and found_organization.get_deferred_fields() == set()
    assert not membership._state.adding and not found_organization._state.adding
    with django_assert_num_queries(0):
        assert (membership.user, membership.organization) == (found.user, found_organization)
        assert found_organization.slug == organization.slug and found_organization.name == organization.name


def test_a_tampered_session_or_another_secret_key_signs_the_visitor_out(client, owner, organization):
    """The signature is checked once per signed text and key: a changed text or key is checked afresh."""
    client.force_login(owner)
    assert client.get(performance(organization)).status_code == 200
    session = Session.objects.get(user=owner)
    signed = session.session_data
    payload, _, signature = signed.rpartition(":")
    Session.objects.filter(pk=session.pk).update(session_data=f"{payload}:{signature[::-1]}")
    assert client.get(performance(organization)).status_code == 302

    Session.objects.filter(pk=session.pk).update(session_data=signed)
    assert client.get(performance(organization)).status_code == 200
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40):
        assert client.get(performance(organization)).status_code == 302
    with override_settings(SECRET_KEY="another-secret-key-" + "x" * 40, SECRET_KEY_FALLBACKS=[settings.SECRET_KEY]):
        assert client.get(performance(organization)).status_code == 200


def test_each_decoding_of_a_session_is_its_own_dict(owner):
    data = _session_of(owner).session_data
    first, second = SessionStore().decode(data), SessionStore().decode(data)
    first["organization_slug"] = "changed"
    assert second[SESSION_KEY] == str(owner.pk) and "organization_slug" not in second


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


def test_an_expired_session_is_signed_out(client, owner, organization):
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


def test_signing_in_records_the_user_on_the_session_and_deleting_the_user_ends_it(client, owner, organization):
    client.force_login(owner)
    session = Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
    assert session.user_id == owner.pk
    owner.delete()
    assert not Session.objects.filter(pk=session.pk).exists()


def test_the_upgrade_keeps_everyone_signed_in(owner):
    """accounts migration 0004 copies django_session's live sessions with their user (nobody signs in again)."""
    from importlib import import_module

    from django.apps import apps
    from django.contrib.sessions.models import Session as DjangoSession

    from accounts.migrations import __name__ as package

    old = DjangoSessionStore()
    old[SESSION_KEY] = str(owner.pk)
    old.create()
    anonymous = DjangoSessionStore()
    anonymous["organization_slug"] = "acme"
    anonymous.create()
    expired = DjangoSessionStore()
    expired.create()
    DjangoSession.objects.filter(pk=expired.session_key).update(expire_date=timezone.now() - timedelta(days=1))

    import_module(f"{package}.0004_session_with_user").copy_sessions(apps, None)

    copied = dict(Session.objects.values_list("session_key", "user_id"))
    assert copied == {old.session_key: owner.pk, anonymous.session_key: None}


def _session_of(user: User) -> Session:
    from django.test import Client

    client = Client()
    client.force_login(user)
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)
