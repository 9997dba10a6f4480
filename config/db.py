"""Cursors of Django's PostgreSQL connection that bind their parameters on the server."""

from django.db import connection
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from psycopg._queries import PostgresQuery
from psycopg.abc import Params, Query


class _ServerBindingCursor(ServerBindingCursor):
    prepare: bool | None = None  # psycopg's default: prepared once the connection has run it prepare_threshold times

    def execute(self, query: Query, params: Params | None = None, *, prepare: bool | None = None, **kwargs: object):
        return super().execute(query, params, prepare=self.prepare if prepare is None else prepare, **kwargs)

    def _send_query_prepared(self, name: bytes, pgq: PostgresQuery, **kwargs: object) -> None:
        # psycopg keeps the query of an unprepared run only; Django's query log (DEBUG, tests) reads it.
        self._query = pgq
        super()._send_query_prepared(name, pgq, **kwargs)


def server_binding_cursor(*, prepare: bool | None = None) -> CursorWrapper:
    """A cursor of Django's connection (its transaction, error wrapping and query log) that sends its parameters
    apart from the SQL, where Django's own cursors quote them into it. So PostgreSQL need not parse values back
    out of the text, and psycopg may prepare a statement it sees again: with `prepare=None`, after
    `prepare_threshold` runs on the connection (DATABASE_PREPARE_THRESHOLD, config/settings/base.py; "none" never
    prepares); `prepare=False` never."""
    connection.ensure_connection()
    with connection.wrap_database_errors:
        cursor = _ServerBindingCursor(connection.connection)
        cursor.prepare = prepare
        return connection._prepare_cursor(cursor)
