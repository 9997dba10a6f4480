"""Triggers that bump `accounts_organization.data_version` whenever data a report reads changes.

Cached report fragments (oteapp/views/fragments.py) are keyed by that version, so the database itself, not each
write path, guarantees that no cached page outlives its data: bulk imports, raw SQL and the shell included.
PostgreSQL: one statement-level trigger per table and event (transition tables), so a 10,000-row import
bumps each organization once per statement, in ascending id order (a fixed lock order). SQLite
(development): row-level triggers, which it has instead.
"""

from django.db import NotSupportedError, migrations

REPORT_TABLES = (
    "oteapp_organizationsettings",
    "oteapp_salesrole",
    "oteapp_rep",
    "oteapp_monthlyactual",
    "oteapp_monthlysnapshot",
)
EVENTS = (("insert", "NEW"), ("update", "NEW"), ("delete", "OLD"))

POSTGRES_FUNCTIONS = (
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
    "CREATE TRIGGER organization_data_version BEFORE UPDATE ON accounts_organization "
    "FOR EACH ROW EXECUTE FUNCTION oteapp_bump_own_data_version()",
)


def _postgres_table_triggers() -> list[str]:
    return [
        f"CREATE TRIGGER {table}_data_version_{event} AFTER {event.upper()} ON {table} "
        f"REFERENCING {rows} TABLE AS changed_rows FOR EACH STATEMENT EXECUTE FUNCTION oteapp_bump_data_version()"
        for table in REPORT_TABLES
        for event, rows in EVENTS
    ]


def _sqlite_triggers() -> list[str]:
    statements = [
        f"CREATE TRIGGER {table}_data_version_{event} AFTER {event.upper()} ON {table} BEGIN "
        f"UPDATE accounts_organization SET data_version = data_version + 1 WHERE id = {rows}.organization_id; END"
        for table in REPORT_TABLES
        for event, rows in EVENTS
    ]
    statements.append(
        "CREATE TRIGGER organization_data_version AFTER UPDATE OF name, slug ON accounts_organization BEGIN "
        "UPDATE accounts_organization SET data_version = data_version + 1 WHERE id = NEW.id; END"
    )
    return statements


def _drop_statements(vendor: str) -> list[str]:
    on = " ON accounts_organization" if vendor == "postgresql" else ""
    drops = [
        f"DROP TRIGGER IF EXISTS {table}_data_version_{event}{' ON ' + table if vendor == 'postgresql' else ''}"
        for table in REPORT_TABLES
        for event, _ in EVENTS
    ]
    drops.append(f"DROP TRIGGER IF EXISTS organization_data_version{on}")
    if vendor == "postgresql":
        drops += [
            "DROP FUNCTION IF EXISTS oteapp_bump_data_version()",
            "DROP FUNCTION IF EXISTS oteapp_bump_own_data_version()",
        ]
    return drops


def install(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = [*POSTGRES_FUNCTIONS, *_postgres_table_triggers()]
    elif vendor == "sqlite":
        statements = _sqlite_triggers()
    else:
        raise NotSupportedError(f"data_version triggers are written for PostgreSQL and SQLite, not {vendor}")
    for statement in statements:
        schema_editor.execute(statement, params=None)


def uninstall(apps, schema_editor) -> None:
    for statement in _drop_statements(schema_editor.connection.vendor):
        schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_organization_data_version"),
        ("oteapp", "0002_organization_composite_indexes_only"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
