"""PostgreSQL row-level security: the database's own guard on organization_id, behind the ORM's.

Every tenant table gets a policy comparing `organization_id` with the setting `app.organization_id`.
Requests run in one transaction as the runtime role (settings.DATABASE_RLS_ROLE: neither owner nor
superuser, so policies apply) with the setting made by `set_config(..., true)`, i.e. SET LOCAL.
Without the setting a query sees no tenant rows. Migrations run as the tables' owner.

A request's settings are made just before the first statement of its transaction (`RequestSettings`), not
when the transaction opens: a screen served from the fragment cache runs no statement in it, and then
PostgreSQL sees neither BEGIN, nor the settings, nor COMMIT.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connection
from django.db.backends.base.base import BaseDatabaseWrapper

from config.db import default_vendor

ORGANIZATION_SETTING = "app.organization_id"
USER_SETTING = "app.user_id"
BYPASS_SETTING = "app.rls_bypass"
POLICY = "tenant_isolation"
OWN_MEMBERSHIPS_POLICY = "own_memberships"

_CURRENT_ORG = f"nullif(current_setting('{ORGANIZATION_SETTING}', true), '')::bigint"
_BYPASS = f"coalesce(current_setting('{BYPASS_SETTING}', true), '') = 'on'"


def rls_enabled(db: BaseDatabaseWrapper = connection) -> bool:
    vendor = default_vendor() if db is connection else db.vendor
    return vendor == "postgresql" and bool(settings.DATABASE_RLS_ROLE)


def set_setting(name: str, value: str, *, db: BaseDatabaseWrapper = connection) -> str:
    """SET LOCAL inside a transaction, session-wide in autocommit (tasks); returns the old value."""
    with db.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(current_setting(%s, true), ''), set_config(%s, %s, %s)",
            [name, name, value, db.in_atomic_block],
        )
        return cursor.fetchone()[0]


# The request's settings while its transaction runs (a context variable, like Django's connections themselves).
_request_settings: ContextVar["RequestSettings | None"] = ContextVar("rls_request_settings", default=None)


class RequestSettings:
    """The row-level-security settings of one request's transaction, made by one statement sent just before
    the transaction's first: the runtime role, the user, the admin's bypass and the organization then in
    context (`accounts.tenancy`). Used as `with RequestSettings(...)` inside the request's transaction: an
    execute wrapper sends them, if the transaction has a statement at all."""

    def __init__(
        self,
        *,
        user_id: Callable[[], int | None],
        bypass: Callable[[], bool],
        organization_id: Callable[[], int | None],
        db: BaseDatabaseWrapper = connection,
    ) -> None:
        self._user_id, self._bypass, self._organization_id, self.db = user_id, bypass, organization_id, db
        self.pending = True
        self._wrapper = db.execute_wrapper(self)

    def __enter__(self) -> "RequestSettings":
        self._token = _request_settings.set(self)
        self._wrapper.__enter__()
        return self

    def __exit__(self, *exc_info: object) -> None:
        try:
            self._wrapper.__exit__(*exc_info)
        finally:
            _request_settings.reset(self._token)

    def __call__(self, execute, sql, params, many, context):
        if self.pending:
            # First, so that what the callables may query (the session, the user) passes straight through.
            self.pending = False
            organization_id = self._organization_id()
            with self.db.cursor() as cursor:
                cursor.execute(
                    "SELECT set_config('role', %s, true), set_config(%s, %s, true), set_config(%s, %s, true), "
                    "set_config(%s, %s, true)",
                    [
                        settings.DATABASE_RLS_ROLE,
                        USER_SETTING, str(self._user_id() or ""),
                        BYPASS_SETTING, "on" if self._bypass() else "",
                        ORGANIZATION_SETTING, "" if organization_id is None else str(organization_id),
                    ],
                )
        return execute(sql, params, many, context)


def request_settings_pending() -> bool:
    """True while a request's transaction has run no statement yet (its settings are still to be made)."""
    request = _request_settings.get()
    return request is not None and request.pending


def end_request(*, db: BaseDatabaseWrapper = connection) -> None:
    """Back to the connection's own role before the transaction ends (it may be a test's savepoint)."""
    with db.cursor() as cursor:
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


def install_policies(*, tables: list[str], membership_table: str, db: BaseDatabaseWrapper = connection) -> None:
    """Idempotent: the runtime role, its grants, and one policy per tenant table."""
    role = settings.DATABASE_RLS_ROLE
    quoted_role = db.ops.quote_name(role)
    with db.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
        if cursor.fetchone() is None:
            # NOLOGIN here: requests SET ROLE to it. Production creates it WITH LOGIN (README).
            cursor.execute(f"CREATE ROLE {quoted_role} NOLOGIN NOSUPERUSER NOBYPASSRLS")
        cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quoted_role}")
        cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted_role}")
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
