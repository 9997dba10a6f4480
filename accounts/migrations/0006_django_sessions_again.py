"""Back to Django's own session table: live sessions are copied back to django_session (nobody is signed out),
then accounts_session and the request-context function of migration 0004 go."""

from django.db import migrations


def copy_sessions_back(apps, schema_editor):
    from django.utils import timezone

    OwnSession = apps.get_model("accounts", "Session")
    DjangoSession = apps.get_model("sessions", "Session")
    live = OwnSession.objects.filter(expire_date__gt=timezone.now())
    known = set(DjangoSession.objects.filter(session_key__in=live.values("session_key")).values_list("session_key", flat=True))
    DjangoSession.objects.bulk_create(
        DjangoSession(session_key=row.session_key, session_data=row.session_data, expire_date=row.expire_date)
        for row in live
        if row.session_key not in known
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0005_invitation_sent_at"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(copy_sessions_back, migrations.RunPython.noop),
        migrations.RunSQL(
            "DROP FUNCTION IF EXISTS accounts_request_context(varchar, varchar, timestamptz)",
            migrations.RunSQL.noop,
        ),
        migrations.DeleteModel(name="Session"),
    ]
