from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe

from oteapp.views.common import render_tab, selected_month


@require_safe
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    context = {"active_tab": "configuration", "month_choice": selected_month(request)}
    return render_tab(request, "oteapp/placeholder.html", context)


urlpatterns = [
    path("configuration/", page, name="configuration"),
]
