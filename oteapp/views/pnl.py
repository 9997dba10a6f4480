"""P&L (brief's tab 3): revenue, compensation by role, operating expenses and EBITDA, for the month and
the trailing twelve months."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe

from oteapp.selectors import pnl_get
from oteapp.views.common import render_tab, selected_month

TRAILING_MONTHS = 12


@require_safe
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    month_choice = selected_month(request)
    pnl = pnl_get(organization=request.organization, month=month_choice.month, span=TRAILING_MONTHS)
    context = {
        "active_tab": "pnl",
        "month_choice": month_choice,
        "pnl": pnl,
        "report": pnl.report,
        "currency": pnl.report.currency,
        "trailing_months": TRAILING_MONTHS,
        # Layout only: a month without actuals spans every column after its label.
        "figure_columns": len(pnl.month.roles) * (2 if pnl.has_base else 1) + 5,
    }
    return render_tab(request, "oteapp/pnl/page.html", context)


urlpatterns = [
    path("pnl/", page, name="pnl"),
]
