"""Snapshots' `report` and `config` compressed with lz4 instead of PostgreSQL's default pglz.

A report is 6-7 KB of JSON for a 12-person team (95 KB for 400 reps), above the 2 KB TOAST threshold, so
every snapshot written is compressed. With pglz that compression was about 40% of PostgreSQL's work for
the nightly job's INSERTs (bench/FINDINGS.md, third session); lz4 compresses and decompresses several times
faster for a little more space. Only the column's method changes: the values, and what reads them, stay the
same; existing rows keep pglz until they are next written (PostgreSQL reads either).

PostgreSQL 14 or later built with lz4 (Debian's and the official images are); on a server without it the
columns keep pglz and the migration says so.
"""

from django.db import migrations

COLUMNS = ("report", "config")


def _set_compression(schema_editor, method: str) -> None:
    alter = ", ".join(f"ALTER COLUMN {column} SET COMPRESSION {method}" for column in COLUMNS)
    # EXECUTE: parsed when run, so a server older than 14 (no SET COMPRESSION) reaches the handler too.
    schema_editor.execute(
        f"""
DO $$
BEGIN
    EXECUTE 'ALTER TABLE oteapp_monthlysnapshot {alter}';
EXCEPTION WHEN feature_not_supported OR syntax_error OR invalid_parameter_value THEN
    RAISE NOTICE 'oteapp_monthlysnapshot keeps its compression: %', SQLERRM;
END $$
""",
        params=None,
    )


def to_lz4(apps, schema_editor) -> None:
    _set_compression(schema_editor, "lz4")


def to_default(apps, schema_editor) -> None:
    _set_compression(schema_editor, "default")


class Migration(migrations.Migration):
    dependencies = [
        ("oteapp", "0003_data_version_triggers"),
    ]

    operations = [migrations.RunPython(to_lz4, to_default)]
