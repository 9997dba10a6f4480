"""Rendered report fragments, cached per web process.

A tab's `#tab` (or What-If's `#results` without a scenario) fragment is a pure function of the organization's
data, the member's role, the query string and the day, so it is cached under exactly those: the organization's
`data_version` (bumped by database triggers on every change a report reads, see oteapp/data_version.py), the
role (it decides which actions are shown), the template and partial, today's date and the query string. A
cached fragment can therefore never outlive its data, and no write path has to remember to clear anything.

The cache is the process's own memory (Django's LocMemCache, alias `fragments`): a hit costs no network
round trip, and each web worker fills its own copy at most once per data version. Fragments are kept as the
UTF-8 bytes the response sends. The one per-user value a fragment can hold, a form's CSRF token, is stored as
a placeholder and filled in per response.

A full page renders the layout (who is signed in, the messages waiting) around the cached fragment; the layout
is not cached (bench/FINDINGS.md, "The whole-page cache").
"""

import hashlib
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import caches
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import mark_safe

T = TypeVar("T")

CACHE_ALIAS = "fragments"
# Stands in for the CSRF token in a cached fragment; replaced by the requester's own token when served.
CSRF_PLACEHOLDER = "__fragment-csrf-token__"
_CSRF_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()


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


def _cached_html(*, key: str, render: Callable[[dict], str]) -> bytes:
    """HTML from the cache, or `render({"csrf_token": placeholder})` cached; the placeholder stays in it."""
    cache = caches[CACHE_ALIAS]
    html = cache.get(key)
    if html is None:
        html = render({"csrf_token": CSRF_PLACEHOLDER}).encode()
        cache.set(key, html)
    return html


def _with_csrf_token(request: HttpRequest, html: bytes) -> bytes:
    if _CSRF_PLACEHOLDER_BYTES in html:
        html = html.replace(_CSRF_PLACEHOLDER_BYTES, get_token(request).encode())
    return html


def fragment_render(
    request: HttpRequest, *, template: str, partial: str, build_context: Callable[[], dict]
) -> bytes:
    """`template#partial` as UTF-8 HTML: from the cache, or rendered with `build_context()` and cached."""
    html = _tab_html(request, template=template, partial=partial, build_context=build_context)
    return _with_csrf_token(request, html)


def _tab_html(request: HttpRequest, *, template: str, partial: str, build_context: Callable[[], dict]) -> bytes:
    return _cached_html(
        key=fragment_key(request, template=template, partial=partial),
        render=lambda token: render_to_string(f"{template}#{partial}", {**build_context(), **token}, request),
    )


def page_render(
    request: HttpRequest, *, template: str, page_context: dict, build_context: Callable[[], dict]
) -> bytes:
    """The whole page as UTF-8 HTML: the layout rendered for this member around the cached `#tab` fragment (the
    template shows `tab_html` in its place). The layout itself is not cached: it earned 4-14% on a quiet machine,
    under the 20% that would pay for a cache per member (bench/FINDINGS.md, "The whole-page cache")."""
    tab = _tab_html(request, template=template, partial="tab", build_context=build_context).decode()
    # Safe: our own rendered HTML (its CSRF placeholder is filled in below with the page's token).
    tab_html = mark_safe(tab)  # noqa: S308  # nosec B308 B703
    html = render_to_string(template, {**page_context, "tab_html": tab_html}, request)
    return _with_csrf_token(request, html.encode())
