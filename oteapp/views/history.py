"""History: attainment per role over time, from the stored monthly snapshots where they exist and
computed live for months that have actuals but no snapshot yet."""

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe

from oteapp.selectors import SOURCE_LIVE, attainment_history_get
from oteapp.views import charts
from oteapp.views.common import render_tab, selected_month

SPANS = (12, 24, 36)


def selected_span(request: HttpRequest) -> int:
    """`?months=12|24|36`; anything else is the default twelve."""
    raw = request.GET.get("months", "")
    return int(raw) if raw.isdigit() and int(raw) in SPANS else SPANS[0]


@require_safe
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    month_choice = selected_month(request)
    span = selected_span(request)
    history = attainment_history_get(organization=request.organization, month=month_choice.month, span=span)
    chart = charts.attainment_chart(
        chart_id="history-chart",
        title=f"OTE attainment per role, {history.window[0]:%b %Y} to {history.window[-1]:%b %Y}",
        months=list(history.window),
        series=[charts.Series(label=name, values=values) for name, values in history.ote_series()],
    )
    context = {
        "active_tab": "history",
        "month_choice": month_choice,
        "history": history,
        "newest_first": list(reversed(history.months)),
        "chart": chart,
        "span": span,
        "spans": SPANS,
        "has_live": any(entry.source == SOURCE_LIVE for entry in history.months),
    }
    return render_tab(request, "oteapp/history/page.html", context)


urlpatterns = [
    path("history/", page, name="history"),
]
