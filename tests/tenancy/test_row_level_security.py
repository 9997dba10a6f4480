"""PostgreSQL row-level security, the second guard: proven as the runtime role, because the
superuser and the tables' owner bypass policies and would prove nothing."""

import pytest
from django.conf import settings
from django.db import ProgrammingError, connection, transaction

from accounts.models import Membership
from accounts.tenancy import TenantModel, organization_context
from oteapp.models import Rep
from tests.factories import rep_create

pytestmark = pytest.mark.django_db


def as_runtime_role(sql: str, *, organization_id: int | None = None, params=()) -> list[tuple]:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('role', %s, true)", [settings.DATABASE_RLS_ROLE])
        if organization_id is not None:
            cursor.execute("SELECT set_config('app.organization_id', %s, true)", [str(organization_id)])
        cursor.execute(sql, params)
        rows = cursor.fetchall()
        cursor.execute("SELECT set_config('role', 'none', true), set_config('app.organization_id', '', true)")
        return rows


def test_the_runtime_role_is_neither_superuser_nor_owner():
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = %s", [settings.DATABASE_RLS_ROLE])
        assert cursor.fetchone() == (False, False)
        cursor.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = %s",
            [settings.DATABASE_RLS_ROLE],
        )
        assert cursor.fetchone()[0] == 0


def test_every_tenant_table_has_forced_row_level_security():
    from django.apps import apps

    tables = [m._meta.db_table for m in apps.get_models() if issubclass(m, TenantModel)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_policy p ON p.polrelid = c.oid "
            "WHERE c.relrowsecurity AND c.relforcerowsecurity AND p.polname = 'tenant_isolation'"
        )
        protected = {row[0] for row in cursor.fetchall()}
    assert set(tables) <= protected


def test_raw_sql_without_the_setting_sees_no_tenant_rows(organization, other_organization):
    rep_create(organization, name="Ana", role="closer")
    rep_create(other_organization, name="Zed", role="closer")
    for table in ("oteapp_rep", "oteapp_salesrole", "accounts_membership", "oteapp_organizationsettings"):
        assert as_runtime_role(f"SELECT count(*) FROM {table}") == [(0,)], table


def test_raw_sql_with_the_setting_sees_only_that_organization(organization, other_organization):
    rep_create(organization, name="Ana", role="closer")
    rep_create(other_organization, name="Zed", role="closer")
    assert as_runtime_role("SELECT name FROM oteapp_rep", organization_id=organization.pk) == [("Ana",)]
    assert as_runtime_role("SELECT name FROM oteapp_rep", organization_id=other_organization.pk) == [("Zed",)]


def test_writing_into_another_organization_is_refused_by_the_database(organization, other_organization):
    from django.db import DatabaseError

    role_id = as_runtime_role(
        "SELECT id FROM oteapp_salesrole WHERE key = 'closer'", organization_id=other_organization.pk
    )[0][0]
    with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic(), connection.cursor() as c:
        c.execute("SELECT set_config('role', %s, true)", [settings.DATABASE_RLS_ROLE])
        c.execute("SELECT set_config('app.organization_id', %s, true)", [str(organization.pk)])
        c.execute(
            "INSERT INTO oteapp_rep (organization_id, role_id, name, email, created_at) "
            "VALUES (%s, %s, 'Intruder', '', now())",
            [other_organization.pk, role_id],
        )


def test_requests_run_as_the_runtime_role_with_the_organization_set(owner_client, organization):
    seen = {}

    def spy(execute, sql, params, many, context):
        if "current_user" in sql:
            return execute(sql, params, many, context)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, current_setting('app.organization_id', true)")
            seen.setdefault("first", cursor.fetchone()) if "oteapp_monthlyactual" in sql else None
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        assert owner_client.get(f"/o/{organization.slug}/configuration/").status_code == 200
    assert seen["first"] == (settings.DATABASE_RLS_ROLE, str(organization.pk))


def test_a_user_sees_own_memberships_before_choosing_an_organization(owner, organization, other_organization):
    with connection.cursor() as cursor, transaction.atomic():
        cursor.execute(
            "SELECT set_config('role', %s, true), set_config('app.user_id', %s, true)",
            [settings.DATABASE_RLS_ROLE, str(owner.pk)],
        )
        cursor.execute("SELECT organization_id FROM accounts_membership")
        rows = cursor.fetchall()
        cursor.execute("SELECT set_config('role', 'none', true), set_config('app.user_id', '', true)")
    assert rows == [(organization.pk,)]
    with organization_context(organization):
        assert Membership.objects.count() == 1
    assert Rep.unscoped.count() == 0


def privileges(table: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT privilege_type FROM information_schema.role_table_grants WHERE grantee = %s AND table_name = %s",
            [settings.DATABASE_RLS_ROLE, table],
        )
        return {row[0] for row in cursor.fetchall()}


def test_the_runtime_role_has_only_what_the_request_path_uses():
    """Read and write on the models' tables and the cache table, read on Django's content types and permissions,
    nothing on django_migrations, no DDL."""
    from django.apps import apps

    write = {"SELECT", "INSERT", "UPDATE", "DELETE"}
    for model in apps.get_models(include_auto_created=True):
        expected = {"SELECT"} if model._meta.db_table in ("django_content_type", "auth_permission") else write
        assert privileges(model._meta.db_table) == expected, model
    assert privileges("django_cache") == write
    assert privileges("django_migrations") == set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_schema_privilege(%s, 'public', 'CREATE')", [settings.DATABASE_RLS_ROLE])
        assert cursor.fetchone() == (False,)
    with pytest.raises(ProgrammingError, match="permission denied"):
        as_runtime_role("SELECT count(*) FROM django_migrations")


def test_before_its_organization_is_known_a_key_is_visible_only_by_its_own_prefix(organization, other_organization):
    from oteapp.api.keys import api_key_create

    with organization_context(organization):
        mine, _ = api_key_create(organization=organization, actor=None, name="CRM", scope="read")
    with organization_context(other_organization):
        theirs, _ = api_key_create(organization=other_organization, actor=None, name="CRM", scope="read")
    assert as_runtime_role("SELECT count(*) FROM oteapp_apikey") == [(0,)]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('role', %s, true)", [settings.DATABASE_RLS_ROLE])
        cursor.execute("SELECT set_config('app.api_key_prefix', %s, true)", [mine.prefix])
        cursor.execute("SELECT id FROM oteapp_apikey")
        assert cursor.fetchall() == [(mine.pk,)]
        # Read only: the prefix does not let the key's row, or any other, be changed.
        cursor.execute("UPDATE oteapp_apikey SET name = 'x'")
        assert cursor.rowcount == 0
        cursor.execute("SELECT count(*) FROM oteapp_rep")
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT set_config('role', 'none', true), set_config('app.api_key_prefix', '', true)")
    assert theirs.prefix != mine.prefix
