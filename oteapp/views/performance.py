"""Team Performance (brief's tab 6): the month's report as the engine computed it."""

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe

from oteapp import engine
from oteapp.selectors import month_report_get
from oteapp.views.common import render_tab, selected_month


@dataclass(frozen=True)
class RoleCard:
    role: engine.RoleReport
    misaligned: engine.Insight | None  # the role's quota_misaligned insight, if the engine raised one


def role_cards(report: engine.Report) -> list[RoleCard]:
    misaligned = {
        insight.role: insight for insight in report.insights if insight.code == engine.CODE_QUOTA_MISALIGNED
    }
    return [RoleCard(role=role, misaligned=misaligned.get(role.key)) for role in report.roles]


def insight_of(report: engine.Report, code: str) -> engine.Insight | None:
    return next((insight for insight in report.insights if insight.code == code), None)


@require_safe
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    month_choice = selected_month(request)
    report = month_report_get(organization=request.organization, month=month_choice.month).report
    context = {
        "active_tab": "performance",
        "month_choice": month_choice,
        "report": report,
        "has_actuals": report.summary.headcount > 0,
        "cards": role_cards(report),
        "efficiency": insight_of(report, engine.CODE_OTE_EFFICIENCY),
    }
    return render_tab(request, "oteapp/performance/page.html", context)


urlpatterns = [
    path("performance/", page, name="performance"),
]
