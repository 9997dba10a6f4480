"""The app's endpoints, read from the URL configuration with the HTTP methods each view accepts, so that a
new route is fuzzed (GET) or must get a fuzz case (POST) without anyone remembering to add it."""

import inspect
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

OUR_PACKAGES = frozenset({"accounts", "oteapp", "config"})
# allauth's views are tested upstream; its sign-up runs our OrganizationSignupForm, so that one is ours too.
THIRD_PARTY_BUT_OURS = frozenset({"account_signup"})
ALL_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


@dataclass(frozen=True)
class Endpoint:
    name: str
    pattern: str  # e.g. "o/<slug:org_slug>/actuals/rows/<int:rep_id>/<str:month>/"
    methods: frozenset[str]
    module: str

    @property
    def ours(self) -> bool:
        return self.module.split(".")[0] in OUR_PACKAGES or self.name in THIRD_PARTY_BUT_OURS


def allowed_methods(view: Callable) -> frozenset[str]:
    """What `require_http_methods` (and require_POST/require_safe) let through; everything when undecorated."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return frozenset(method.upper() for method in view_class.http_method_names if hasattr(view_class, method))
    function: Callable | None = view
    while function is not None:
        if function.__closure__:
            methods = inspect.getclosurevars(function).nonlocals.get("request_method_list")
            if methods is not None:
                return frozenset(methods)
        function = getattr(function, "__wrapped__", None)
    return ALL_METHODS


# The JSON API's operations: enumerated from its OpenAPI document and tested there (tests/api, and
# tests/tenancy/test_api_isolation.py), with problem answers instead of the pages' messages.
API_NAMESPACES = frozenset({"api-v1"})


def _walk(patterns: list, prefix: str = "", namespace: str = "") -> Iterator[Endpoint]:
    for entry in patterns:
        if isinstance(entry, URLResolver) and entry.namespace in API_NAMESPACES:
            continue
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), inner)
        elif isinstance(entry, URLPattern):
            view = entry.callback
            yield Endpoint(
                name=f"{namespace}{entry.name}",
                pattern=prefix + str(entry.pattern),
                methods=allowed_methods(view),
                module=getattr(view, "view_class", view).__module__,
            )


def endpoints() -> list[Endpoint]:
    """Every named route of the app (the admin and allauth's own views left out)."""
    return [endpoint for endpoint in _walk(get_resolver().url_patterns) if endpoint.ours]
