"""Database sessions in `accounts.Session`, which also keeps its user's id.

Every signed-in request starts by reading its session, user and membership in one statement
(`accounts.selectors.request_context_get`, from `RequestContextMiddleware`), which needs the user's id in a
column. Sessions stay in PostgreSQL rather than Redis: a Redis outage must not sign anyone out or turn pages
into errors (scripts/load_fault.py checks it).
"""

from functools import lru_cache

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends import db
from django.core import signing
from django.db import connections, router
from django.utils import timezone


def session_user_id(data: dict) -> int | None:
    """The signed-in user's id in session data, or None (anonymous, or not an id)."""
    try:
        return int(data[SESSION_KEY])
    except (KeyError, TypeError, ValueError):
        return None


class _VerifiedPayload:
    """A signing serializer for reading only: it hands back the verified, decompressed bytes as they are."""

    def loads(self, data: bytes) -> bytes:
        return data


@lru_cache(maxsize=4096)
def _verified_payload(session_data: str, salt: str, secret_key: str, fallback_keys: tuple[str, ...]) -> bytes:
    """The signed session's payload once its signature is checked. A pure function of its arguments: every
    request of a session sends the same signed text until the session changes, so the HMAC and zlib work is
    done once per text and process (at most 4096 sessions' payloads, a few hundred bytes each). The keys are
    part of the cache key, so that a rotated or retired key is never answered from before."""
    return signing.loads(
        session_data, key=secret_key, salt=salt, serializer=_VerifiedPayload, fallback_keys=list(fallback_keys)
    )


class SessionStore(db.SessionStore):
    @classmethod
    def get_model_class(cls):
        from accounts.models import Session

        return Session

    def create_model_instance(self, data: dict):
        session = super().create_model_instance(data)
        session.user_id = session_user_id(data)
        return session

    def decode(self, session_data: str) -> dict:
        """Django's decode, with the signature checked once per signed text (`_verified_payload`); the
        payload is parsed on every call, so each request gets its own dict to change."""
        try:
            payload = _verified_payload(
                session_data, self.key_salt, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS)
            )
            return self.serializer().loads(payload)
        except Exception:  # Django's decode logs a bad signature and answers {}
            return super().decode(session_data)

    def preload(self, data: dict | None) -> None:
        """The session as read and decoded by the request's first statement (None: no live session, which
        `load()` would have found too), so that `load()` is not needed."""
        if data is None:
            self._session_key = None
            data = {}
        self._session_cache = data

    def _get_session_from_db(self):
        # Hand-written: Django's ORM spent about 0.5 ms building this query, four times the query itself.
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
