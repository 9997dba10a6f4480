"""The page-or-partial rule of every tab (django-htmx's example)."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers


def render_tab(
    request: HttpRequest, template: str, context: dict, *, partial: str = "tab", status: int = 200
) -> HttpResponse:
    """The full page, or only its `partial` for an htmx request (not for a history restore, which
    needs the whole page). Responses vary on HX-Request so caches keep the two apart."""
    if request.htmx and not request.htmx.history_restore_request:
        template = f"{template}#{partial}"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response
