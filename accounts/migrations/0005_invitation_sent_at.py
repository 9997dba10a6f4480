"""Invitations remember when their email last went out: a resend mails a fresh link."""

import django.utils.timezone
from django.db import migrations, models


def sent_when_created(apps, schema_editor):
    Invitation = apps.get_model("accounts", "Invitation")
    Invitation.objects.update(sent_at=models.F("created_at"))


class Migration(migrations.Migration):
    dependencies = [("accounts", "0004_session_with_user")]

    operations = [
        migrations.AddField(
            model_name="invitation",
            name="sent_at",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.RunPython(sent_when_created, migrations.RunPython.noop),
    ]
