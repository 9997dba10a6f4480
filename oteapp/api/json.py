"""JSON answers of the API: Decimals as JSON numbers are never produced here (the engine already rounded to floats);
money and counts the API passes through are decimal strings, as in the v2.0 configuration file."""

from typing import Any

import orjson
from django.http import HttpResponse


def json_response(data: Any, *, status: int = 200, content_type: str = "application/json") -> HttpResponse:
    return HttpResponse(orjson.dumps(data), status=status, content_type=content_type)
