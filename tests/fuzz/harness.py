"""Sending one generated request and judging the answer: never a 5xx, always a clear message on refusal.

"Clear" means one of: a 4xx (404 and 403 speak for themselves; a 400, 409 or 422 must also show the error in
its HTML), a 200 that re-renders the form with a visible error, or a redirect that carries an error message
to the next page. Anything else that is not a 5xx is a success, which the route's case must then verify.
"""

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Literal
from urllib.parse import quote

from django.contrib.messages import ERROR, WARNING, get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import HttpResponse
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from tests.tenancy.test_isolation import tenant_rows_fingerprint

# What the templates render around an error: form error lists, alerts, marked cells, the grid row's state.
ERROR_MARKERS = (
    'class="errorlist',
    'role="alert"',
    'class="message error',
    'class="error"',
    'class="cell-error"',
    'aria-invalid="true"',
    'class="state error"',
    'class="state conflict"',
)
# Django's own pages for refusals raised as exceptions (no project template overrides them).
DJANGO_REFUSALS = ("<h1>Bad Request (400)</h1>", "<h1>Not Found</h1>", "<h1>403 Forbidden</h1>")

# Small enough that the whole folder runs in well under a minute on two cores; each run draws a fresh sample.
# FUZZ_EXAMPLES=500 searches deeper by hand.
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "24"))
fuzz_settings = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)

HTMX = {"HX-Request": "true"}
SCRIPT_PROBE = "<script>alert(1)</script>"  # one of the hostile texts (strategies.NASTY_TEXT)

Verdict = Literal["error", "success"]


@dataclass(frozen=True)
class Upload:
    """A file field's value."""

    name: str
    content: bytes
    content_type: str = "application/octet-stream"


@dataclass
class Sent:
    """What was sent and what came back; `posted` is what the view itself read from request.POST."""

    path: str
    encoding: str
    htmx: bool
    response: HttpResponse
    verdict: Verdict
    reason: str
    messages: list[tuple[int, str]] = field(default_factory=list)

    @property
    def posted(self) -> Mapping[str, str]:
        return self.response.wsgi_request.POST

    @property
    def html(self) -> str:
        return html_of(self.response)


def html_of(response: HttpResponse) -> str:
    if getattr(response, "streaming", False):
        return ""
    return response.content.decode("utf-8", "replace")


# The month selector's own notice ("“2026-13” is not a month; showing …") is about the ?month= parameter,
# not about what was posted: a write can succeed beside it.
MONTH_SELECTOR = re.compile(r'<form class="month-selector.*?</form>', re.S)


def has_error_marker(html: str) -> bool:
    html = MONTH_SELECTOR.sub("", html)
    return any(marker in html for marker in ERROR_MARKERS)


def json_errors(response: HttpResponse) -> bool:
    """allauth answers a JSON request with its form's errors as JSON."""
    if not response.get("Content-Type", "").startswith("application/json"):
        return False
    try:
        body = json.loads(response.content)
    except ValueError:
        return False
    fields = body.get("form", {}).get("fields", {}) if isinstance(body, dict) else {}
    return bool(body.get("form", {}).get("errors") or any(item.get("errors") for item in fields.values()))


def judge(response: HttpResponse) -> tuple[Verdict, str, list[tuple[int, str]]]:
    """Classify an answer, failing the example when it is a 5xx or an unclear refusal."""
    status = response.status_code
    html = html_of(response)
    assert status < 500, f"{status} answer:\n{html[:2000]}"
    if response.get("Content-Type", "").startswith("text/html"):
        assert SCRIPT_PROBE not in html, "input reflected into HTML without escaping"
    messages = [(message.level, str(message)) for message in get_messages(response.wsgi_request)]
    refused_by_message = [text for level, text in messages if level >= WARNING]
    if status >= 400:
        if status in (403, 404, 405):
            return "error", f"{status}", messages
        plain_text = response.get("Content-Type", "").startswith("text/plain") and html.strip()
        clear = plain_text or has_error_marker(html) or json_errors(response)
        clear = clear or any(page in html for page in DJANGO_REFUSALS)
        assert clear, (
            f"a {status} without a visible error message:\n{html[:2000]}"
        )
        return "error", f"{status} with its error shown", messages
    if 300 <= status < 400:
        if refused_by_message:
            return "error", f"redirect with the message {refused_by_message[0]!r}", messages
        return "success", "redirect", messages
    if has_error_marker(html) or any(level >= ERROR for level, _ in messages):
        return "error", f"{status} re-rendered with an error", messages
    return "success", f"{status}", messages


# --- request bodies -----------------------------------------------------------------------------------------

ENCODINGS = ("multipart", "multipart", "multipart", "urlencoded", "json", "raw")
# Uploads: mostly a real multipart form, so the file itself gets tested; the rest sends no file at all.
FILE_ENCODINGS = ("multipart",) * 6 + ("urlencoded", "json", "raw")
RAW_CONTENT_TYPES = (
    "application/json",
    "text/plain",
    "text/csv",
    "image/png",
    "application/octet-stream",
    "multipart/form-data",  # no boundary
    "multipart/form-data; boundary=fuzz",
    "application/x-www-form-urlencoded",
    "application/x-www-form-urlencoded; charset=utf-16",
    "application/x-www-form-urlencoded; charset=no-such-charset",
)


def _text(value: str | Upload) -> str:
    return value.content.decode("utf-8", "replace") if isinstance(value, Upload) else value


def _urlencoded(fields: Mapping[str, str | Upload], surrogate_in: str | None) -> bytes:
    """Form encoding by hand, so a lone surrogate can be sent (as its UTF-8-like bytes, which no client
    library will encode)."""
    pairs = []
    for name, value in fields.items():
        text = _text(value) + ("\ud800" if name == surrogate_in else "")
        raw = text.encode("utf-8", "surrogatepass")
        pairs.append(f"{quote(name)}={quote(raw)}")
    return "&".join(pairs).encode()


def send(
    client: Client,
    data: st.DataObject,
    path: str,
    fields: Mapping[str, str | Upload],
    *,
    htmx: bool | None = None,
    extra_headers: Mapping[str, str] | None = None,
    encodings: tuple[str, ...] = ENCODINGS,
) -> tuple[HttpResponse, str, bool]:
    """POST `fields` in a drawn encoding (mostly a real form; sometimes JSON, raw bytes, or a form with a
    lone surrogate), with or without HX-Request. Returns the response, the encoding and the htmx flag."""
    if htmx is None:
        htmx = data.draw(st.booleans(), label="htmx")
    headers = {**(HTMX if htmx else {}), **(extra_headers or {})}
    encoding = data.draw(st.sampled_from(encodings), label="encoding")
    if encoding == "multipart":
        # Values as bytes in a one-item list (the test client writes bytes as they are), so a lone surrogate is
        # sent as the bytes a careless client would write.
        body = {
            name: SimpleUploadedFile(value.name, value.content, value.content_type)
            if isinstance(value, Upload)
            else [value.encode("utf-8", "surrogatepass")]
            for name, value in fields.items()
        }
        return client.post(path, body, headers=headers), encoding, htmx
    if encoding == "urlencoded":
        surrogate_in = data.draw(st.sampled_from([None, *fields]), label="surrogate in") if fields else None
        body = _urlencoded(fields, surrogate_in)
        content_type = "application/x-www-form-urlencoded"
    elif encoding == "json":
        body = json.dumps({name: _text(value) for name, value in fields.items()}).encode()
        content_type = "application/json"
    else:
        body = data.draw(st.binary(max_size=400) | st.just(_urlencoded(fields, None)), label="raw body")
        content_type = data.draw(st.sampled_from(RAW_CONTENT_TYPES), label="content type")
    return client.generic("POST", path, body, content_type=content_type, headers=headers), encoding, htmx


# --- the database ---------------------------------------------------------------------------------------


def fingerprint() -> list:
    """Every tenant row, read as the connection's own (superuser) role: a request that left the row-level-
    security role set would make this see nothing and prove nothing."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user = session_user")
        assert cursor.fetchone()[0], "a request left its SET ROLE behind"
    return tenant_rows_fingerprint()


# --- reading pages ------------------------------------------------------------------------------------------


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.values: dict[str, str] = {}
        self.ids: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "input":
            return
        attributes = dict(attrs)
        value = attributes.get("value") or ""
        if attributes.get("name"):
            self.values.setdefault(attributes["name"], value)
        if attributes.get("id"):
            self.ids[attributes["id"]] = value


def input_values(html: str) -> tuple[dict[str, str], dict[str, str]]:
    """The value of each <input> of a page, by name (first one wins) and by id, unescaped."""
    parser = _Inputs()
    parser.feed(html)
    return parser.values, parser.ids
