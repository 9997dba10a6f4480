"""The app's routes, and after them the signed-in floor: a route under `/o/<slug>/` that runs everything a
screen there runs before its view (session, user, membership, the request's transaction) and answers "ok".
It is what any screen under an organization costs before it does anything, as `/healthz` is for a request
that signs no one in. Only the benchmark's gunicorn serves it (bench/web_settings.py)."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns

SIGNED_IN_FLOOR_PATH = "bench-signed-in-floor/"


def signed_in_floor(request: HttpRequest, org_slug: str) -> HttpResponse:
    return HttpResponse("ok", content_type="text/plain")


# Last, so that every route of the app resolves exactly as in production.
urlpatterns = [*app_urlpatterns, path(f"o/<slug:org_slug>/{SIGNED_IN_FLOOR_PATH}", signed_in_floor)]
