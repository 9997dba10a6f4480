"""PostgreSQL row-level security: the database's own guard on organization_id, behind the ORM's.

Every tenant table gets a policy comparing `organization_id` with the setting `app.organization_id`.
Requests run in one transaction as the runtime role (settings.DATABASE_RLS_ROLE: neither owner nor
superuser, so policies apply). At the start of that transaction, `request_settings_set` makes the role, the
user (`app.user_id`: a user may read their own memberships) and the admin's bypass with one statement; the
organization (`app.organization_id`) follows once the membership is checked (`accounts.tenancy`). All are
`set_config(..., true)`, i.e. SET LOCAL: they end with the transaction. Without the organization setting a
query sees no tenant rows. Migrations run as the tables' owner.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

ORGANIZATION_SETTING = "app.organization_id"
USER_SETTING = "app.user_id"
BYPASS_SETTING = "app.rls_bypass"
POLICY = "tenant_isolation"
OWN_MEMBERSHIPS_POLICY = "own_memberships"
# Tables the runtime role may only read: Django fills them during migrate.
READ_ONLY_TABLES = ("django_content_type", "auth_permission")

_CURRENT_ORG = f"nullif(current_setting('{ORGANIZATION_SETTING}', true), '')::bigint"
_BYPASS = f"coalesce(current_setting('{BYPASS_SETTING}', true), '') = 'on'"


def rls_enabled() -> bool:
    return bool(settings.DATABASE_RLS_ROLE)


def set_setting(name: str, value: str, *, db: BaseDatabaseWrapper = connection) -> str:
    """SET LOCAL inside a transaction, session-wide in autocommit (tasks); returns the old value."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(current_setting(%s, true), ''), set_config(%s, %s, %s)",
            [name, name, value, db.in_atomic_block],
        )
        return cursor.fetchone()[0]


def request_settings_set(*, user_id: int | None, bypass: bool) -> None:
    """The start of a request's transaction: the runtime role, the signed-in user and the admin's bypass."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('role', %s, true), set_config(%s, %s, true), set_config(%s, %s, true)",
            [settings.DATABASE_RLS_ROLE, USER_SETTING, str(user_id or ""), BYPASS_SETTING, "on" if bypass else ""],
        )


def request_settings_reset() -> None:
    """Back to the connection's own role and no settings, for a request's transaction nested in another (a
    test's), whose SET LOCALs would otherwise outlive the request."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('role', 'none', true), set_config(%s, '', true), set_config(%s, '', true), "
            "set_config(%s, '', true)",
            [USER_SETTING, BYPASS_SETTING, ORGANIZATION_SETTING],
        )


@contextmanager
def cross_organization() -> Iterator[None]:
    """For the few deliberate cross-tenant jobs (batch snapshots over all organizations)."""
    if not rls_enabled():
        yield
        return
    previous = set_setting(BYPASS_SETTING, "on")
    try:
        yield
    finally:
        set_setting(BYPASS_SETTING, previous)


def install_policies(
    *, tables: list[str], membership_table: str, runtime_tables: list[str], db: BaseDatabaseWrapper = connection
) -> None:
    """Idempotent: the runtime role, its grants, and one policy per tenant table.

    The runtime role may read and write `runtime_tables` (the models' tables and the cache table), read
    READ_ONLY_TABLES, use the sequences, and nothing else: no rights on django_migrations, no DDL."""
    role = settings.DATABASE_RLS_ROLE
    quoted_role = db.ops.quote_name(role)
    with db.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            # NOLOGIN here: requests SET ROLE to it. Production creates it WITH LOGIN (README).
            cursor.execute(f"CREATE ROLE {quoted_role} NOLOGIN NOSUPERUSER NOBYPASSRLS")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted_role}")
        cursor.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {quoted_role}")
        for table in runtime_tables:
            privileges = "SELECT" if table in READ_ONLY_TABLES else "SELECT, INSERT, UPDATE, DELETE"
            cursor.execute(f"GRANT {privileges} ON {db.ops.quote_name(table)} TO {quoted_role}")
        cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted_role}")
        for table in tables:
            name = db.ops.quote_name(table)
            cursor.execute(f"ALTER TABLE {name} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {name} FORCE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {name}")
            cursor.execute(
                f"CREATE POLICY {POLICY} ON {name} "
                f"USING (organization_id = {_CURRENT_ORG} OR {_BYPASS}) "
                f"WITH CHECK (organization_id = {_CURRENT_ORG} OR {_BYPASS})"
            )
        # A user may read their own memberships before any organization is chosen (login, switcher).
        name = db.ops.quote_name(membership_table)
        cursor.execute(f"DROP POLICY IF EXISTS {OWN_MEMBERSHIPS_POLICY} ON {name}")
        cursor.execute(
            f"CREATE POLICY {OWN_MEMBERSHIPS_POLICY} ON {name} FOR SELECT "
            f"USING (user_id = nullif(current_setting('{USER_SETTING}', true), '')::bigint)"
        )
