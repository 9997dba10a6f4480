"""Every organization-scoped route, enumerated from the URL configuration, so a new route is
covered by the isolation tests without anyone remembering to add it."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str  # e.g. "o/<slug:org_slug>/members/<int:membership_id>/role/"

    def url(self, *, org_slug: str, object_id: int = 1) -> str:
        path = self.pattern.replace("<slug:org_slug>", org_slug)
        path = re.sub(r"<int:\w+>", str(object_id), path)
        path = re.sub(r"<(?:str|slug):\w+>", "x", path)
        return "/" + path


def _walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            yield Route(name=f"{namespace}{entry.name}", pattern=prefix + str(entry.pattern))


def organization_routes() -> list[Route]:
    return [route for route in _walk(get_resolver().url_patterns) if "<slug:org_slug>" in route.pattern]


@dataclass(frozen=True)
class ApiOperation:
    method: str
    path: str  # e.g. "/api/v1/reps/{rep_id}"

    def url(self, *, object_id: int) -> str:
        return re.sub(r"\{\w+\}", str(object_id), self.path)

    @property
    def names_an_object(self) -> bool:
        return "{" in self.path


def api_operations() -> list[ApiOperation]:
    """Every operation of the JSON API, from its OpenAPI document."""
    from oteapp.api.v1 import api

    paths = api.get_openapi_schema()["paths"]
    return [ApiOperation(method=method, path=path) for path, operations in paths.items() for method in operations]
