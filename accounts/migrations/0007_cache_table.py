"""The table of the database cache (settings.CACHES["default"]): allauth's rate limits live there, so that
signing in keeps working while Redis is down. Created here rather than by a separate `createcachetable`, so
that `migrate` alone sets up a database and the runtime role's grants (accounts/rls.py) find the table."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0006_django_sessions_again")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
