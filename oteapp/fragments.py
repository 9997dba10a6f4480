"""Rendered report fragments, cached per web process.

A tab's `#tab` (or What-If's `#results`) fragment is a pure function of the organization's data, the
member's role, the query string and the day, so it is cached under exactly those: the organization's
`data_version` (bumped by database triggers on every change a report reads, see oteapp migration 0003), the
role (it decides which actions are shown), the template and partial, today's date and the query string. A
cached fragment can therefore never outlive its data, and no write path has to remember to clear anything.

The cache is the process's own memory (Django's LocMemCache, alias `fragments`): a hit costs no network
round trip, and each web worker fills its own copy at most once per data version. The one per-user value a
fragment can hold, a form's CSRF token, is stored as a placeholder and filled in per response.
"""

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

T = TypeVar("T")

CACHE_ALIAS = "fragments"
# Stands in for the CSRF token in a cached fragment; replaced by the requester's own token when served.
CSRF_PLACEHOLDER = "__fragment-csrf-token__"


def fragment_key(request: HttpRequest, *, template: str, partial: str) -> str:
    organization = request.organization
    query = sorted(request.GET.lists())
    parts = (
        organization.pk,
        organization.data_version,
        request.membership.role,
        f"{template}#{partial}",
        timezone.localdate().isoformat(),
        query,
    )
    return "fragment:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def organization_value_get(request: HttpRequest, *, name: str, build: Callable[[], T]) -> T:
    """A value computed from the organization's data alone (e.g. a month's What-If baseline), cached under
    its data version like the fragments: `build()` runs once per version and process."""
    organization = request.organization
    key = f"value:{organization.pk}:{organization.data_version}:{timezone.localdate().isoformat()}:{name}"
    cache = caches[CACHE_ALIAS]
    value = cache.get(key)
    if value is None:
        value = build()
        cache.set(key, value)
    return value


def fragment_render(
    request: HttpRequest, *, template: str, partial: str, build_context: Callable[[], dict]
) -> SafeString:
    """`template#partial` as HTML: from the cache, or rendered with `build_context()` and cached."""
    cache = caches[CACHE_ALIAS]
    key = fragment_key(request, template=template, partial=partial)
    html = cache.get(key)
    if html is None:
        context = {**build_context(), "csrf_token": CSRF_PLACEHOLDER}
        html = render_to_string(f"{template}#{partial}", context, request)
        cache.set(key, html)
    if CSRF_PLACEHOLDER in html:
        # Safe: our own rendered HTML, with a token of letters and digits put in.
        html = mark_safe(html.replace(CSRF_PLACEHOLDER, get_token(request)))  # noqa: S308  # nosec B308 B703
    return html
