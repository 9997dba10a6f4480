"""The default database connection as the request path uses it: its vendor, and cursors that bind their
parameters on the server.

Every use of Django's `connection` proxy looks the connection up in a context-local store (about 20,000
instructions, callgrind); the few helpers here that run on every request look it up once or not at all.
"""

from functools import cache

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.postgresql.base import ServerBindingCursor
from django.db.backends.utils import CursorWrapper
from psycopg._queries import PostgresQuery
from psycopg.abc import Params, Query


@cache
def default_vendor() -> str:
    """The default database's vendor ("postgresql", "sqlite"): fixed by the settings for the process's life."""
    return connections[DEFAULT_DB_ALIAS].vendor


class _ServerBindingCursor(ServerBindingCursor):
    prepare: bool | None = None  # psycopg's default: prepared once the connection has run it prepare_threshold times

    def execute(
        self, query: Query, params: Params | None = None, *, prepare: bool | None = None, **kwargs: object
    ) -> "_ServerBindingCursor":
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
    db = connections[DEFAULT_DB_ALIAS]
    db.ensure_connection()
    with db.wrap_database_errors:
        cursor = _ServerBindingCursor(db.connection)
        cursor.prepare = prepare
        return db._prepare_cursor(cursor)
