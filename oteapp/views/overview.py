"""Overview: the numbers an owner checks first, the twelve-month trend and what needs attention; the
investor-update page of a month and the month's report as CSV and JSON downloads."""

from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.urls import path
from django.utils.safestring import SafeString
from django.views.decorators.http import require_safe

from accounts.models import Organization
from oteapp import engine
from oteapp.files.csv_writer import csv_text
from oteapp.months import format_month
from oteapp.selectors import month_report_get, month_reports_get, trailing_months
from oteapp.views import charts
from oteapp.views.common import MonthChoice, render_tab, selected_month

TREND_MONTHS = 12
ATTENTION = (engine.SEVERITY_CRITICAL, engine.SEVERITY_WARNING)
# The CSV's role columns: the report contract's role keys (SPEC section 6), with the role's name.
ROLE_COLUMNS = (
    "key",
    "name",
    "kind",
    "headcount",
    "monthly_ote",
    "monthly_quota",
    "required_commission_per_unit",
    "configured_commission_per_unit",
    "break_even_units",
    "recommended_annual_ote",
    "actual_units",
    "actual_units_per_person",
    "quota_attainment",
    "ote_attainment",
    "team_ote",
    "team_actual",
    "team_gap",
    "gap_per_person",
    "status",
)
# Money figures: their CSV header names the report's currency, "team_gap (EUR)".
MONEY_FIGURES = frozenset(
    {
        "monthly_ote",
        "required_commission_per_unit",
        "configured_commission_per_unit",
        "recommended_annual_ote",
        "team_ote",
        "team_actual",
        "team_gap",
        "gap_per_person",
        "total_ote",
        "total_actual",
        "ote_gap",
        "revenue",
        "ebitda",
    }
)


@dataclass(frozen=True)
class TrendPoint:
    month: date
    has_actuals: bool
    summary: engine.Summary


@dataclass(frozen=True)
class Overview:
    report: engine.Report  # the selected month
    previous: engine.Report | None  # the month before, when it has actuals
    trend: list[TrendPoint]  # the twelve months ending with the selected one, oldest first
    chart: SafeString

    @property
    def has_actuals(self) -> bool:
        return self.report.summary.headcount > 0

    @property
    def has_trend(self) -> bool:
        return any(point.has_actuals for point in self.trend)

    @property
    def attention(self) -> list[engine.Insight]:
        return [insight for insight in self.report.insights if insight.severity in ATTENTION]


def overview_get(*, organization: Organization, month: date, chart_id: str) -> Overview:
    """Four queries: the twelve months come from one `month_reports_get` call."""
    reports = month_reports_get(organization=organization, months=trailing_months(month, TREND_MONTHS))
    trend = [
        TrendPoint(month=item.month, has_actuals=item.report.summary.headcount > 0, summary=item.report.summary)
        for item in reports
    ]
    chart = charts.revenue_attainment_chart(
        chart_id=chart_id,
        title=f"Revenue and team OTE attainment, {trend[0].month:%b %Y} to {trend[-1].month:%b %Y}",
        months=[point.month for point in trend],
        # A month without actuals is a gap, not a zero: nothing was recorded.
        revenue=[point.summary.revenue if point.has_actuals else None for point in trend],
        attainment=[point.summary.team_ote_attainment if point.has_actuals else None for point in trend],
        currency=reports[-1].report.currency,
    )
    previous = reports[-2].report if len(trend) > 1 and trend[-2].has_actuals else None
    return Overview(report=reports[-1].report, previous=previous, trend=trend, chart=chart)


@require_safe
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    month_choice = selected_month(request)
    overview = overview_get(organization=request.organization, month=month_choice.month, chart_id="overview-trend")
    context = {
        "active_tab": "overview",
        "month_choice": month_choice,
        "overview": overview,
        "report": overview.report,
        "currency": overview.report.currency,
    }
    return render_tab(request, "oteapp/overview/page.html", context)


@require_safe
def investor(request: HttpRequest, org_slug: str) -> HttpResponse:
    """One printable page for an investor update: key metrics, the role table and the trend."""
    month_choice = selected_month(request)
    overview = overview_get(organization=request.organization, month=month_choice.month, chart_id="investor-trend")
    context = {
        "month_choice": month_choice,
        "overview": overview,
        "report": overview.report,
        "currency": overview.report.currency,
    }
    return render(request, "oteapp/overview/investor.html", context)


def _download_month(request: HttpRequest) -> MonthChoice | HttpResponse:
    month_choice = selected_month(request)
    if month_choice.invalid:
        # A download must never silently be another month than the one asked for. Plain text: the message
        # repeats what was typed, which must not be read as HTML (?month=<script>…).
        message = f"{month_choice.invalid!r} is not a month; use YYYY-MM, e.g. 2026-10\n"
        return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")
    return month_choice


def _attachment(content: str, *, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _filename(organization: Organization, month: date, extension: str) -> str:
    return f"{organization.slug}-{format_month(month)}-report.{extension}"


def _label(name: str, currency: str) -> str:
    return f"{name} ({currency})" if name in MONEY_FIGURES else name


def report_csv_text(report: engine.Report) -> str:
    """One row per role with the contract's figures, then a block of summary rows (metric, value). The contract's
    keys name the columns and metrics; a money figure's name also names the currency: "team_gap (EUR)"."""
    data = report.to_dict()
    rows: list[list[object]] = [["month", *(_label(column, report.currency) for column in ROLE_COLUMNS)]]
    rows += [[data["month"], *(role[column] for column in ROLE_COLUMNS)] for role in data["roles"]]
    rows += [[], ["month", "metric", "value"]]
    rows += [[data["month"], _label(metric, report.currency), value] for metric, value in data["summary"].items()]
    return csv_text(rows)


@require_safe
def report_csv(request: HttpRequest, org_slug: str) -> HttpResponse:
    month_choice = _download_month(request)
    if isinstance(month_choice, HttpResponse):
        return month_choice
    report = month_report_get(organization=request.organization, month=month_choice.month).report
    return _attachment(
        report_csv_text(report),
        content_type="text/csv; charset=utf-8",
        filename=_filename(request.organization, month_choice.month, "csv"),
    )


@require_safe
def report_json(request: HttpRequest, org_slug: str) -> HttpResponse:
    month_choice = _download_month(request)
    if isinstance(month_choice, HttpResponse):
        return month_choice
    report = month_report_get(organization=request.organization, month=month_choice.month).report
    return _attachment(
        engine.report_to_json(report),
        content_type="application/json",
        filename=_filename(request.organization, month_choice.month, "json"),
    )


urlpatterns = [
    path("", page, name="overview"),
    path("investor/", investor, name="investor"),
    path("report.csv", report_csv, name="report_csv"),
    path("report.json", report_json, name="report_json"),
]
