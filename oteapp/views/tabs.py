from django.http import HttpRequest, HttpResponse

from oteapp.navigation import TABS
from oteapp.views.rendering import render_tab


def _placeholder(request: HttpRequest, tab: str) -> HttpResponse:
    return render_tab(request, "oteapp/tabs/placeholder.html", {"active_tab": tab, "tab_title": dict(TABS)[tab]})


def overview(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "overview")


def performance(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "performance")


def actuals(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "actuals")


def pnl(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "pnl")


def whatif(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "whatif")


def configuration(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "configuration")


def history(request: HttpRequest, org_slug: str) -> HttpResponse:
    return _placeholder(request, "history")
