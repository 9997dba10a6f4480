"""History: attainment per role over time, from the stored monthly snapshots where they exist and
computed live for months that have actuals but no snapshot yet; or, with a quarter or a year to date chosen
(SPEC section 14), quarter by quarter or fiscal year by fiscal year, each closed month with the configuration it
was frozen with."""

from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe

from oteapp import engine
from oteapp.selectors import SOURCE_LIVE, attainment_history_get, period_reports_get
from oteapp.views import charts
from oteapp.views.common import render_tab
from oteapp.views.periods import fiscal_settings, period_label, preceding_periods, selected_period

SPANS = (12, 24, 36)


def selected_span(request: HttpRequest) -> int:
    """`?months=12|24|36`; anything else is the default twelve."""
    raw = request.GET.get("months", "")
    return int(raw) if raw.isdigit() and int(raw) in SPANS else SPANS[0]


@dataclass(frozen=True)
class PeriodPoint:
    ote_attainment: Decimal | None
    quota_attainment: Decimal | None
    status: str | None
    ote_change: Decimal | None  # against the period before, as a fraction
    quota_change: Decimal | None


@dataclass(frozen=True)
class PeriodRow:
    label: str
    param: str
    months: int  # months with actuals counted
    team: PeriodPoint
    roles: tuple[PeriodPoint | None, ...]  # aligned with the page's roles; None: nobody in that role


def period_rows(
    periods: list[engine.Period], reports: list[engine.PeriodReport], *, fiscal_year_start: int
) -> tuple[list[tuple[str, str]], list[PeriodRow]]:
    """The roles (key, name; the newest period's first) and one row per period, newest first."""
    names: dict[str, str] = {}
    for report in reversed(reports):
        for role in report.roles:
            names.setdefault(role.key, role.name)
    rows: list[PeriodRow] = []
    previous: engine.PeriodReport | None = None
    for period, report in zip(periods, reports, strict=True):
        before = {role.key: role for role in previous.roles} if previous else {}
        points = []
        for key in names:
            role = next((role for role in report.roles if role.key == key and role.headcount), None)
            earlier = before.get(key)
            points.append(
                None
                if role is None
                else PeriodPoint(
                    ote_attainment=role.ote_attainment,
                    quota_attainment=role.quota_attainment,
                    status=role.status,
                    ote_change=engine.change(role.ote_attainment, earlier.ote_attainment if earlier else None),
                    quota_change=engine.change(role.quota_attainment, earlier.quota_attainment if earlier else None),
                )
            )
        team = report.summary.team_ote_attainment
        rows.append(
            PeriodRow(
                label=period_label(period, fiscal_year_start=fiscal_year_start),
                param=period.label,
                months=len(report.months) if report.summary.headcount else 0,
                team=PeriodPoint(
                    ote_attainment=team,
                    quota_attainment=None,
                    status=None,
                    ote_change=engine.change(team, previous.summary.team_ote_attainment if previous else None),
                    quota_change=None,
                ),
                roles=tuple(points),
            )
        )
        previous = report
    return list(names.items()), [row for row in reversed(rows) if row.months]


@require_safe
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    period_choice = selected_period(request)
    month_choice = period_choice.month_choice
    span = selected_span(request)
    context = {
        "active_tab": "history",
        "month_choice": month_choice,
        "period_choice": period_choice,
        "span": span,
        "spans": SPANS,
    }
    if not period_choice.is_month:
        start, today = fiscal_settings(request)
        count = span // 3 if period_choice.period.kind == engine.PERIOD_QUARTER else span // 12 + 1
        periods = preceding_periods(period_choice.period, count, fiscal_year_start=start, today=today)
        reports = period_reports_get(organization=request.organization, periods=periods)
        roles, rows = period_rows(periods, reports, fiscal_year_start=start)
        by_quarter = period_choice.period.kind == engine.PERIOD_QUARTER
        context |= {"roles": roles, "period_rows": rows, "by_quarter": by_quarter}
        return render_tab(request, "oteapp/history/page.html", context)
    history = attainment_history_get(organization=request.organization, month=month_choice.month, span=span)
    chart = charts.attainment_chart(
        chart_id="history-chart",
        title=f"OTE attainment per role, {history.window[0]:%b %Y} to {history.window[-1]:%b %Y}",
        months=list(history.window),
        series=[charts.Series(label=name, values=values) for name, values in history.ote_series()],
    )
    context |= {
        "history": history,
        "newest_first": list(reversed(history.months)),
        "chart": chart,
        "has_live": any(entry.source == SOURCE_LIVE for entry in history.months),
    }
    return render_tab(request, "oteapp/history/page.html", context)


urlpatterns = [
    path("history/", page, name="history"),
]
