"""Sessions that keep their user's id, and the lookup that joins a request's membership to them.

Every signed-in request starts with one statement (accounts.selectors.request_context_get): its session, its
user and, under `/o/<slug>/`, its membership. Sessions move from django_session to accounts_session with their
user's id copied out of the signed data, so nobody is signed out by the upgrade.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# A request's session, user and membership in one call (accounts.selectors.request_context_get). A function
# rather than one SQL statement because row-level security shows a membership to its own user only
# (accounts/rls.py, policy own_memberships), so the lookup must name that user before reading it; and its
# statements keep their plans for the connection, which also makes it cheaper than planning the four-table join
# on every request. It grants nothing new: the runtime role may set app.user_id itself (row-level security
# here is defence in depth against the application's own mistakes, not against its SQL). The setting is put back
# before returning. `account` is the user's whole row, so that new user columns need no change here.
REQUEST_CONTEXT_FUNCTION = """
CREATE OR REPLACE FUNCTION accounts_request_context(
    requested_session_key varchar, organization_slug varchar, now timestamptz
) RETURNS TABLE (
    session_data text, account accounts_user,
    membership_id bigint, member_role varchar, receives_digests boolean, joined_at timestamptz,
    organization_id bigint, organization_name varchar, organization_created_at timestamptz, data_version bigint
) LANGUAGE plpgsql AS $$
DECLARE
    previous_user_id text := coalesce(current_setting('app.user_id', true), '');
    found_data text;
    found_user_id bigint;
    found_user accounts_user;
BEGIN
    SELECT s.session_data, s.user_id INTO found_data, found_user_id FROM accounts_session s
        WHERE s.session_key = requested_session_key AND s.expire_date > now;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    SELECT * INTO found_user FROM accounts_user u WHERE u.id = found_user_id;
    IF found_user.id IS NULL OR organization_slug IS NULL THEN
        RETURN QUERY SELECT found_data, found_user, NULL::bigint, NULL::varchar, NULL::boolean, NULL::timestamptz,
            NULL::bigint, NULL::varchar, NULL::timestamptz, NULL::bigint;
        RETURN;
    END IF;
    PERFORM set_config('app.user_id', found_user.id::text, true);
    RETURN QUERY
        SELECT found_data, found_user, m.id, m.role, m.receives_digests, m.created_at,
            o.id, o.name, o.created_at, o.data_version
        FROM (SELECT 1) AS one LEFT JOIN (
            accounts_organization o JOIN accounts_membership m ON m.organization_id = o.id
        ) ON o.slug = organization_slug AND m.user_id = found_user.id;
    PERFORM set_config('app.user_id', previous_user_id, true);
END $$
"""


def create_request_context_function(apps, schema_editor):
    schema_editor.execute(REQUEST_CONTEXT_FUNCTION)


def drop_request_context_function(apps, schema_editor):
    schema_editor.execute("DROP FUNCTION IF EXISTS accounts_request_context(varchar, varchar, timestamptz)")


def copy_sessions(apps, schema_editor):
    """The live sessions of django_session, with their user's id (sessions of deleted users are dropped)."""
    from django.contrib.sessions.backends.db import SessionStore as DjangoSessionStore
    from django.utils import timezone

    from django.contrib.auth import SESSION_KEY

    def session_user_id(data: dict) -> int | None:
        try:
            return int(data[SESSION_KEY])
        except (KeyError, TypeError, ValueError):
            return None

    OldSession = apps.get_model("sessions", "Session")
    NewSession = apps.get_model("accounts", "Session")
    User = apps.get_model("accounts", "User")
    decoder = DjangoSessionStore()
    rows = list(OldSession.objects.filter(expire_date__gt=timezone.now()))
    user_ids = {row.session_key: session_user_id(decoder.decode(row.session_data)) for row in rows}
    users = set(User.objects.filter(pk__in=set(user_ids.values())).values_list("pk", flat=True))
    NewSession.objects.bulk_create(
        NewSession(
            session_key=row.session_key,
            session_data=row.session_data,
            expire_date=row.expire_date,
            user_id=user_ids[row.session_key] if user_ids[row.session_key] in users else None,
        )
        for row in rows
    )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_organization_data_version"),
        ("sessions", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="Session",
            fields=[
                (
                    "session_key",
                    models.CharField(max_length=40, primary_key=True, serialize=False, verbose_name="session key"),
                ),
                ("session_data", models.TextField(verbose_name="session data")),
                ("expire_date", models.DateTimeField(db_index=True, verbose_name="expire date")),
                (
                    "user",
                    models.ForeignKey(
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "verbose_name": "session",
                "verbose_name_plural": "sessions",
                "abstract": False,
            },
        ),
        migrations.RunPython(copy_sessions, migrations.RunPython.noop),
        migrations.RunPython(create_request_context_function, drop_request_context_function),
    ]
