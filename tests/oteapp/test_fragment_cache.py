"""Cached report fragments (oteapp/views/fragments.py) and the data version that keys them (oteapp/data_version.py).

What a user cares about: a cached screen is never stale, whatever changed the data and however it was
changed, and it is never another member's or another organization's screen."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import MemberRole, Membership, Organization, User
from oteapp.models import MonthlyActual, MonthlySnapshot, OrganizationSettings, Rep, SalesRole
from tests.factories import UserFactory, actual_create, organization_with_members, rep_create
from tests.oteapp.test_performance_view import OCTOBER, worked_example
from tests.oteapp.test_whatif_view import scenario_params

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def performance(organization: Organization) -> str:
    return f"/o/{organization.slug}/performance/?month=2026-10"


def version(organization: Organization) -> int:
    return Organization.objects.values_list("data_version", flat=True).get(pk=organization.pk)


def fresh(client: Client, url: str, **headers: str) -> str:
    """The screen computed from scratch (the cache emptied first)."""
    caches["fragments"].clear()
    return client.get(url, headers=headers).content.decode()


def _edit_actual(organization):
    MonthlyActual.unscoped.filter(organization=organization, rep__name="Ana").update(deals=Decimal("16"))


def _delete_actual(organization):
    MonthlyActual.unscoped.filter(organization=organization, rep__name="Ben").delete()


def _add_rep_with_actuals(organization):
    rep = rep_create(organization, name="Hal", role="closer", start_date=date(2024, 1, 1))
    actual_create(organization, rep=rep, month=OCTOBER, deals=9)


def _bulk_import(organization):
    reps = Rep.unscoped.bulk_create(
        Rep(organization=organization, role=SalesRole.unscoped.get(organization=organization, key="closer"),
            name=f"Import {n}", start_date=date(2024, 1, 1))
        for n in range(20)
    )
    MonthlyActual.unscoped.bulk_create(
        MonthlyActual(organization=organization, rep=rep, month=OCTOBER, deals=Decimal("2")) for rep in reps
    )


def _change_settings(organization):
    OrganizationSettings.unscoped.filter(organization=organization).update(deal_value=Decimal("20000"))


def _change_role(organization):
    SalesRole.unscoped.filter(organization=organization, key="closer").update(annual_ote=Decimal("90000"))


def _raw_sql(organization):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE oteapp_monthlyactual SET deals = 1 WHERE organization_id = %s AND month = %s",
            [organization.pk, OCTOBER],
        )


WRITES = {
    "an actual edited": _edit_actual,
    "an actual deleted": _delete_actual,
    "a rep added with actuals": _add_rep_with_actuals,
    "reps and actuals imported in bulk": _bulk_import,
    "the settings changed": _change_settings,
    "a role's OTE changed": _change_role,
    "raw SQL outside the app": _raw_sql,
}


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_cached_screen_shows_every_change_at_once(owner_client, organization, write):
    worked_example(organization)
    url = performance(organization)
    before = owner_client.get(url, headers=HTMX).content.decode()
    assert owner_client.get(url, headers=HTMX).content.decode() == before  # served from the cache

    write(organization)

    after = owner_client.get(url, headers=HTMX).content.decode()
    assert after != before
    assert after == fresh(owner_client, url, **HTMX)


@pytest.mark.parametrize("write", WRITES.values(), ids=WRITES.keys())
def test_a_write_bumps_its_organizations_data_version_once_per_statement(organization, other_organization, write):
    worked_example(organization)
    mine, theirs = version(organization), version(other_organization)

    write(organization)

    statements = 2 if write in (_add_rep_with_actuals, _bulk_import) else 1  # a rep, then its actuals
    assert version(organization) == mine + statements
    assert version(other_organization) == theirs


def test_snapshots_and_renames_bump_the_data_version(organization):
    start = version(organization)
    MonthlySnapshot.unscoped.create(
        organization=organization, month=OCTOBER, report={}, config={}, computed_at="2026-11-01T00:00:00Z"
    )
    assert version(organization) == start + 1
    Organization.objects.filter(pk=organization.pk).update(name="Renamed Agency")
    assert version(organization) == start + 2


def test_reading_bumps_nothing(owner_client, organization):
    worked_example(organization)
    start = version(organization)
    owner_client.get(performance(organization))
    owner_client.get(f"/o/{organization.slug}/what-if/?month=2026-10")
    assert version(organization) == start


def test_organizations_never_share_a_fragment(client, owner, organization):
    """Two organizations at the same data version, same month, same query: each sees its own figures."""
    other = organization_with_members("Other Agency", owner=owner)
    worked_example(organization)
    worked_example(other)
    MonthlyActual.unscoped.filter(organization=other, rep__name="Ana").update(deals=Decimal("30"))
    Organization.objects.filter(pk=other.pk).update(data_version=version(organization))
    client.force_login(owner)

    ours = client.get(performance(organization), headers=HTMX).content.decode()
    theirs = client.get(performance(other), headers=HTMX).content.decode()

    assert ours != theirs
    assert theirs == fresh(client, performance(other), **HTMX)


def test_a_fragment_is_cached_per_role(owner, organization):
    """The What-If results offer owners an Apply button and viewers none, whoever asked first."""
    worked_example(organization)
    viewer = UserFactory()
    Membership.unscoped.create(organization=organization, user=viewer, role=MemberRole.VIEWER)
    url = f"/o/{organization.slug}/what-if/"
    params = scenario_params(deal_value="12000")
    headers = {**HTMX, "HX-Target": "whatif-results"}
    clients = {}
    for name, user in (("viewer", viewer), ("owner", owner)):
        clients[name] = Client()
        clients[name].force_login(user)

    as_viewer = clients["viewer"].get(url, params, headers=headers).content.decode()
    as_owner = clients["owner"].get(url, params, headers=headers).content.decode()

    assert "what-if/apply/" not in as_viewer
    assert "what-if/apply/" in as_owner


def test_a_cached_form_carries_each_requesters_own_csrf_token(owner, organization):
    """A cached page's forms (the layout's sign-out, htmx's header) carry the token of whoever it is served to, and
    a write posted with it is accepted."""
    worked_example(organization)
    url = f"/o/{organization.slug}/what-if/"
    params = scenario_params(deal_value="12000")
    clients, tokens = [], []
    for _ in range(2):  # two sessions of the same member: the second is served the first one's cached fragment
        client = Client(enforce_csrf_checks=True)
        client.force_login(owner)
        html = client.get(url, params).content.decode()
        clients.append(client)
        tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1))
    for client, token in zip(clients, tokens, strict=True):
        response = client.post(f"{url}apply/?month=2026-10", {"deal_value": "12000", "csrfmiddlewaretoken": token})
        assert response.status_code == 302, response.status_code  # accepted: applied, back to What-If
    assert "fragment-csrf" not in "".join(tokens)
    assert tokens[0] != tokens[1]
    assert OrganizationSettings.unscoped.get(organization=organization).deal_value == Decimal("12000")


def test_a_write_request_locks_its_organization_first(owner_client, organization):
    """Writers take the organization's row lock with their membership, so the data-version triggers, which
    lock it after each write, cannot make two writers wait on each other (see OrganizationMiddleware)."""
    worked_example(organization)
    with CaptureQueriesContext(connection) as queries:
        owner_client.post(f"/o/{organization.slug}/what-if/apply/?month=2026-10", scenario_params(deal_value="12000"))
    membership = next(q["sql"] for q in queries if "accounts_membership" in q["sql"])
    assert membership.rstrip().endswith('FOR NO KEY UPDATE OF "accounts_organization"')
    with CaptureQueriesContext(connection) as queries:
        owner_client.get(performance(organization))
    assert not any("FOR NO KEY UPDATE" in q["sql"] for q in queries)


def test_a_cached_page_shows_each_member_as_themselves(owner, organization):
    """The layout around a cached fragment is each member's own: two managers never see each other's name."""
    worked_example(organization)
    clients = []
    for email in ("ann@acme.example", "bob@acme.example"):
        user = UserFactory(email=email)
        Membership.unscoped.create(organization=organization, user=user, role=MemberRole.MANAGER)
        clients.append((email, Client()))
        clients[-1][1].force_login(user)
    for _ in range(2):  # computed, then cached
        for email, client in clients:
            page = client.get(performance(organization)).content.decode()
            assert email in page and "Team Performance" in page
            assert all(other not in page for other, _ in clients if other != email)

    ann = clients[0][1]
    User.objects.filter(email="ann@acme.example").update(email="ann.new@acme.example")
    assert "ann.new@acme.example" in ann.get(performance(organization)).content.decode()


def test_a_message_waiting_on_a_cached_page_is_shown_once(owner_client, organization):
    worked_example(organization)
    url = f"/o/{organization.slug}/what-if/?month=2026-10"
    cached = owner_client.get(url).content.decode()
    versions = version(organization)
    applied = owner_client.post(f"/o/{organization.slug}/what-if/apply/?month=2026-10", scenario_params(), follow=True)
    assert version(organization) == versions  # nothing changed: the cached page is still current
    assert "The scenario changes nothing in the configuration." in applied.content.decode()
    again = owner_client.get(url).content.decode()
    assert "The scenario changes nothing" not in again
    assert re.sub(r"[A-Za-z0-9]{64}", "", again) == re.sub(r"[A-Za-z0-9]{64}", "", cached)


def test_every_tenant_table_the_reports_read_bumps_the_data_version(owner_client, organization):
    """Every report, snapshot and cached screen is computed with its SQL captured: each tenant table it reads must
    be on oteapp.data_version.REPORT_MODELS, else a cached screen could outlive a change to it. (Memberships only
    decide who may see a screen: the request path reads them.)"""
    from django.apps import apps

    from accounts.tenancy import TenantModel, organization_context
    from oteapp.data_version import report_tables
    from oteapp.jobs.snapshots import snapshots_backfill, snapshots_open_months_compute
    from oteapp.selectors import month_report_get, month_reports_get, months_with_actuals

    worked_example(organization)
    with CaptureQueriesContext(connection) as queries:
        with organization_context(organization):
            month_report_get(organization=organization, month=OCTOBER)
            month_reports_get(organization=organization, months=[OCTOBER])
            months_with_actuals(organization=organization)
        snapshots_backfill(organization_ids=[organization.pk])
        snapshots_open_months_compute(organization_ids=[organization.pk])
        for tab in ("performance/", "what-if/", "", "history/", "pnl/"):
            caches["fragments"].clear()
            for headers in ({}, HTMX):
                response = owner_client.get(f"/o/{organization.slug}/{tab}?month=2026-10", headers=headers)
                assert response.status_code == 200
    sql = "\n".join(query["sql"] for query in queries.captured_queries)
    tenant_tables = {model._meta.db_table for model in apps.get_models() if issubclass(model, TenantModel)}
    read = {table for table in tenant_tables if re.search(rf'\b"?{table}"?\b', sql)} - {"accounts_membership"}
    assert read, "no report was computed"
    missing = sorted(read - set(report_tables()))
    assert not missing, f"read by reports but not on REPORT_MODELS: {missing}"


def test_the_triggers_follow_the_list_of_report_models(monkeypatch):
    """After migrate each report table has its three triggers and no other table has one; a model taken off the
    list loses them at the next install (one line in oteapp/data_version.py, either way)."""
    from oteapp import data_version

    def triggered() -> set[str]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = %s",
                [data_version.TABLE_FUNCTION],
            )
            return {table for (table,) in cursor.fetchall()}

    assert triggered() == set(data_version.report_tables())
    monkeypatch.setattr(data_version, "REPORT_MODELS", tuple(m for m in data_version.REPORT_MODELS if m is not Rep))
    data_version.install_triggers(db=connection)
    assert triggered() == set(data_version.report_tables()) and "oteapp_rep" not in triggered()
