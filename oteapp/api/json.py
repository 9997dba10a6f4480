"""The API's JSON answers, written by orjson: data already in JSON types (the engine's rounded floats, decimals as
strings), so what a test or a stored Idempotency-Key answer holds is exactly what was sent."""

from typing import Any

import orjson
from django.http import HttpResponse


def json_response(data: Any, *, status: int = 200, content_type: str = "application/json") -> HttpResponse:
    return HttpResponse(orjson.dumps(data), status=status, content_type=content_type)
