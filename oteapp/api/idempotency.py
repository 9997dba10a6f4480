"""`Idempotency-Key` on API writes: the first answer is stored with the writes it describes, in the same
transaction, and a request repeating the key gets that answer again and writes nothing.

The key's row is inserted before the work: a concurrent retry waits on its unique index until the first request
commits (then replays its answer) or rolls back (then does the work itself). A refused request (a 4xx problem)
stores nothing, so it can be corrected and sent again with the same key. The same key with a different request is
refused (422). Keys are remembered for settings.API_IDEMPOTENCY_HOURS.
"""

import hashlib
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.text import text_problem
from oteapp.api.json import json_response
from oteapp.api.problems import ApiProblem, invalid
from oteapp.models import IdempotentRequest

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255
REPLAYED_HEADER = "Idempotent-Replayed"


def _fingerprint(request: HttpRequest) -> str:
    return hashlib.sha256(
        b"\n".join([request.method.encode(), request.get_full_path().encode(), request.body])
    ).hexdigest()


def idempotent_write(request: HttpRequest, run: Callable[[], tuple[int, Any]]) -> HttpResponse:
    """`run()` → (status, JSON data), once per Idempotency-Key of the request's key; without the header, every time."""
    key = request.headers.get(HEADER)
    if key is None:
        status, data = run()
        return json_response(data, status=status)
    if not key.strip() or len(key) > MAX_KEY_LENGTH or text_problem(key):
        raise invalid([(HEADER, f"must be 1 to {MAX_KEY_LENGTH} printable characters, e.g. a UUID")])
    organization, api_key = request.organization, request.auth
    fingerprint = _fingerprint(request)
    remembered = IdempotentRequest.objects.filter(organization=organization, api_key=api_key, key=key)
    remembered.filter(created_at__lt=timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)).delete()
    with transaction.atomic():
        try:
            with transaction.atomic():
                record = IdempotentRequest.objects.create(
                    organization=organization,
                    api_key=api_key,
                    key=key,
                    fingerprint=fingerprint,
                    status_code=0,
                    response={},
                )
        except IntegrityError:
            first = remembered.get()
            if first.fingerprint != fingerprint:
                raise ApiProblem(
                    422,
                    "Idempotency-Key reused",
                    "This Idempotency-Key was used for a different request; use a new key for a new request.",
                    type_name="idempotency-key-reused",
                    errors=[(HEADER, "already used for a different request")],
                ) from None
            response = json_response(first.response, status=first.status_code)
            response[REPLAYED_HEADER] = "true"
            return response
        status, data = run()  # a problem raised here rolls the key's row back with everything else
        record.status_code, record.response = status, data
        record.save(update_fields=["status_code", "response"])
    return json_response(data, status=status)


def idempotent_requests_purge() -> int:
    """Forget the keys older than the window (the nightly job); a key is also forgotten when it is reused late."""
    cutoff = timezone.now() - timedelta(hours=settings.API_IDEMPOTENCY_HOURS)
    deleted, _ = IdempotentRequest.unscoped.filter(created_at__lt=cutoff).delete()
    return deleted
