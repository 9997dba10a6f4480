"""Database sessions, read with one hand-written statement.

Every signed-in request reads its session first; Django's ORM spent about 0.5 ms building that query here,
four times the query itself (bench/FINDINGS.md). Sessions stay in PostgreSQL rather than Redis: a Redis
outage must not sign anyone out or turn pages into errors (scripts/load_fault.py checks it).
"""

from django.contrib.sessions.backends import db
from django.db import connections, router
from django.utils import timezone


class SessionStore(db.SessionStore):
    def _get_session_from_db(self):
        model = self.model
        alias = router.db_for_read(model)
        fields = ["session_key", "session_data", "expire_date"]
        # Constants only; the key and the time are parameters.
        sql = f"SELECT {', '.join(fields)} FROM {model._meta.db_table} WHERE session_key = %s AND expire_date > %s"  # noqa: S608  # nosec B608
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, [self.session_key, timezone.now()])
            row = cursor.fetchone()
        if row is None:
            self._session_key = None
            return None
        return model.from_db(alias, fields, row)
