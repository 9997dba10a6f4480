"""`accounts_organization.data_version`: bumped by PostgreSQL triggers whenever data the reports read changes.

Cached report fragments (oteapp/views/fragments.py) are keyed by that version, so the database itself, not each
write path, guarantees that no cached screen outlives its data: bulk imports, raw SQL and the shell included.

REPORT_MODELS is the one list of what the reports read. The triggers are installed from it after every
`migrate` (OteappConfig.ready), idempotently, and removed from a table that leaves it; a test computes every
report and snapshot and fails if it read a tenant table that is not on it. A model the reports start to read
is one line here.

One statement-level trigger per table and event (with transition tables), so a 10,000-row import bumps each
organization once per statement, in ascending id order (a fixed lock order). Any update of the organization's
own row bumps it too (its name and currency show in reports).
"""

from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper

from oteapp.models import (
    Adjustment,
    MonthApproval,
    MonthlyActual,
    MonthlySnapshot,
    OrganizationSettings,
    Rep,
    SalesRole,
)

REPORT_MODELS: tuple[type[models.Model], ...] = (
    OrganizationSettings,
    SalesRole,
    Rep,
    MonthlyActual,
    MonthlySnapshot,
    Adjustment,  # statements and payouts
    MonthApproval,
)

EVENTS = (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD"))
TABLE_FUNCTION = "oteapp_bump_data_version"  # the function below, which the triggers of the report tables run

_FUNCTIONS = (
    """
CREATE OR REPLACE FUNCTION oteapp_bump_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed_organization_id bigint;
BEGIN
    FOR changed_organization_id IN SELECT DISTINCT organization_id FROM changed_rows ORDER BY 1 LOOP
        UPDATE accounts_organization SET data_version = data_version + 1 WHERE id = changed_organization_id;
    END LOOP;
    RETURN NULL;
END $$
""",
    """
CREATE OR REPLACE FUNCTION oteapp_bump_own_data_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.data_version = OLD.data_version THEN
        NEW.data_version := OLD.data_version + 1;
    END IF;
    RETURN NEW;
END $$
""",
    "CREATE OR REPLACE TRIGGER organization_data_version BEFORE UPDATE ON accounts_organization "
    "FOR EACH ROW EXECUTE FUNCTION oteapp_bump_own_data_version()",
)


def report_tables() -> list[str]:
    return sorted(model._meta.db_table for model in REPORT_MODELS)


def trigger_name(table: str, event: str) -> str:
    return f"{table}_data_version_{event}"


def install_triggers(*, db: BaseDatabaseWrapper) -> None:
    """Idempotent: the trigger functions, one trigger per report table and event, none on any other table."""
    wanted = {(table, trigger_name(table, event)) for table in report_tables() for event, _ in EVENTS}
    with db.cursor() as cursor:
        for statement in _FUNCTIONS:
            cursor.execute(statement)
        cursor.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "JOIN pg_proc p ON p.oid = t.tgfoid WHERE p.proname = %s",
            [TABLE_FUNCTION],
        )
        for table, name in set(cursor.fetchall()) - wanted:
            cursor.execute(f"DROP TRIGGER {db.ops.quote_name(name)} ON {db.ops.quote_name(table)}")
        for table in report_tables():
            for event, rows in EVENTS:
                cursor.execute(
                    f"CREATE OR REPLACE TRIGGER {trigger_name(table, event)} AFTER {event.upper()} ON {table} "
                    f"REFERENCING {rows} TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION {TABLE_FUNCTION}()"
                )
