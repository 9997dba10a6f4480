"""Cursors of Django's PostgreSQL connection that bind their parameters on the server."""

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from psycopg._queries import PostgresQuery


class _LoggedServerBindingCursor(ServerBindingCursor):
    def _send_query_prepared(self, name: bytes, pgq: PostgresQuery, **kwargs: object) -> None:
        # psycopg keeps the query of an unprepared run only; Django's query log (DEBUG, tests) reads it.
        self._query = pgq
        super()._send_query_prepared(name, pgq, **kwargs)


def server_binding_cursor() -> CursorWrapper:
    """A cursor of Django's connection (its transaction, error wrapping and query log) that sends its parameters
    apart from the SQL, where Django's own cursors quote them into it. So PostgreSQL need not parse values back
    out of the text, and psycopg may prepare a statement it sees again: after `prepare_threshold` runs on the
    connection (DATABASE_PREPARE_THRESHOLD, config/settings/base.py; "none" never prepares)."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        return connection._prepare_cursor(_LoggedServerBindingCursor(connection.connection))
