from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from oteapp.navigation import TABS
from oteapp.views.rendering import render_tab


def _placeholder(request: HttpRequest, tab: str) -> HttpResponse:
    return render_tab(request, "oteapp/tabs/placeholder.html", {"active_tab": tab, "tab_title": dict(TABS)[tab]})


@require_safe
def overview(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "overview")


@require_safe
def performance(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "performance")


@require_safe
def actuals(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "actuals")


@require_safe
def pnl(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "pnl")


@require_safe
def whatif(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "whatif")


@require_safe
def configuration(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "configuration")


@require_safe
def history(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "history")
