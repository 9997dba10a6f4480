"""Team Performance (brief's tab 6): the report of the selected period (a month, a quarter or the year to date,
SPEC section 14) as the engine computed it."""

from dataclasses import dataclass

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_safe

from oteapp import engine
from oteapp.selectors import month_report_get, period_report_get
from oteapp.views.common import render_cached_tab
from oteapp.views.periods import PeriodChoice, selected_period

# Roles with more reps than this show their table on demand (see templates/oteapp/performance/page.html).
REP_TABLES_INLINE_UP_TO = 12


@dataclass(frozen=True)
class RoleCard:
    role: engine.RoleReport
    misaligned: engine.Insight | None  # the role's quota_misaligned insight, if the engine raised one


def role_cards(report: engine.Report | engine.PeriodReport) -> list[RoleCard]:
    misaligned = {insight.role: insight for insight in report.insights if insight.code == engine.CODE_QUOTA_MISALIGNED}
    return [RoleCard(role=role, misaligned=misaligned.get(role.key)) for role in report.roles]


def insight_of(report: engine.Report | engine.PeriodReport, code: str) -> engine.Insight | None:
    return next((insight for insight in report.insights if insight.code == code), None)


def period_report(request: HttpRequest, choice: PeriodChoice) -> engine.Report | engine.PeriodReport:
    """A month's report (with its insights and missing actuals), or a quarter's or year's (SPEC section 14)."""
    if choice.is_month:
        return month_report_get(organization=request.organization, month=choice.period.months[0]).report
    return period_report_get(organization=request.organization, period=choice.period)


@require_safe
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    def build_context() -> dict:
        period_choice = selected_period(request)
        report = period_report(request, period_choice)
        return {
            "active_tab": "performance",
            "month_choice": period_choice.month_choice,
            "period_choice": period_choice,
            "report": report,
            "currency": report.currency,
            "has_actuals": report.summary.headcount > 0,
            "cards": role_cards(report),
            "efficiency": insight_of(report, engine.CODE_OTE_EFFICIENCY),
            "rep_tables_inline_up_to": REP_TABLES_INLINE_UP_TO,
        }

    return render_cached_tab(
        request, "oteapp/performance/page.html", build_context, page_context={"active_tab": "performance"}
    )


@require_safe
def reps(request: HttpRequest, org_slug: str, role_key: str) -> HttpResponse:
    """One role's per-rep table: the htmx body of a large team's closed section, or a page of its own."""
    period_choice = selected_period(request)
    report = period_report(request, period_choice)
    try:
        role = report.role(role_key)
    except KeyError:
        raise Http404("No such role.") from None
    context = {
        "active_tab": "performance",
        "month_choice": period_choice.month_choice,
        "period_choice": period_choice,
        "role": role,
        "currency": report.currency,
    }
    template = "oteapp/performance/_rep_table.html" if request.htmx else "oteapp/performance/reps.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


urlpatterns = [
    path("performance/", page, name="performance"),
    path("performance/reps/<slug:role_key>/", reps, name="performance_reps"),
]
