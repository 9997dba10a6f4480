"""The Advisor (SPEC section 15): recommendations ranked by their projected monthly effect in money, each with its
evidence and a link to act on it. Every figure is the engine's: the latest month's insights (with the role's gap to
OTE), the open month's pace, the optimizer with its defaults, and each saved draft's backtest against the plan in
force. Managers and above, as for the Plan lab."""

from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpRequest, HttpResponse
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe

from accounts.permissions import CAN_ENTER_ACTUALS, role_required
from oteapp import engine
from oteapp.files.configuration import ConfigImportError, candidate_config
from oteapp.jobs.snapshots import organization_today
from oteapp.models import PlanDraft
from oteapp.months import format_month
from oteapp.narrative import (
    NarrativeUnavailable,
    narrative_enabled,
    narrative_payload,
    narrative_write,
    payload_text,
)
from oteapp.selectors import (
    backtest_history_get,
    month_actuals_get,
    month_report_get,
    organization_settings_get,
)
from oteapp.templatetags.ote import money, pct
from oteapp.views.common import render_tab

TEMPLATE = "oteapp/advisor/page.html"
INSIGHT_TITLES = {
    engine.CODE_BELOW_OTE: "earning below OTE",
    engine.CODE_ABOVE_OTE: "earning well above OTE",
    engine.CODE_QUOTA_MISALIGNED: "quota out of line with the OTE",
    engine.CODE_OTE_EFFICIENCY: "OTE costly against revenue",
}


@dataclass(frozen=True)
class Recommendation:
    title: str
    effect: Decimal  # projected monthly effect in money (on EBITDA, or the gap to OTE it closes)
    effect_label: str  # what the effect is
    evidence: list[str]
    source: str  # insight | pace | optimizer | backtest
    action_label: str
    action_url: str


def _url(request: HttpRequest, name: str, query: str = "") -> str:
    return reverse(f"oteapp:{name}", kwargs={"org_slug": request.organization.slug}) + query


def _from_history(request: HttpRequest) -> list[Recommendation]:
    """The optimizer with its defaults and each draft, against the plan in force, per month of the backtest."""
    loaded = backtest_history_get(organization=request.organization, months=engine.DEFAULT_MONTHS)
    history = engine.select_history(loaded.history, engine.DEFAULT_MONTHS)
    if not history:
        return []
    try:
        result = engine.optimize(config=loaded.config, history=loaded.history)
    except (engine.OptimizerInputError, engine.PlanError):
        result = None
    # The optimizer backtests the plan in force over the same months: its result is that backtest.
    current = result.current if result is not None else engine.backtest(loaded.config, history)
    months = Decimal(len(history))
    found = []
    if result is not None and result.proposed is not None:
        effect = (result.proposed.total.ebitda - result.current.total.ebitda) / months
        found.append(
            Recommendation(
                title="Set quotas and rates to what your history supports",
                effect=effect,
                effect_label="EBITDA per month",
                evidence=[
                    result.message,
                    f"Backtest over {len(result.months)} months: comp {pct(result.current.total.comp_pct_of_revenue)}"
                    f" → {pct(result.proposed.total.comp_pct_of_revenue)} of revenue, rep-months at or above OTE "
                    f"{result.current.total.rep_months_at_or_above_ote} → "
                    f"{result.proposed.total.rep_months_at_or_above_ote}.",
                ],
                source="optimizer",
                action_label="Open the optimizer",
                action_url=_url(request, "plans", "#optimizer"),
            )
        )
    for draft in PlanDraft.objects.filter(organization=request.organization):
        try:
            config = candidate_config(organization=request.organization, data=draft.configuration)
        except ConfigImportError:
            continue
        candidate = current if config == loaded.config else engine.backtest(config, history)
        found.append(
            Recommendation(
                title=f"Adopt the draft “{draft.name}”",
                effect=(candidate.total.ebitda - current.total.ebitda) / months,
                effect_label="EBITDA per month",
                evidence=[
                    f"Backtest over {len(history)} months: comp {money(current.total.comp)} → "
                    f"{money(candidate.total.comp)} ({pct(current.total.comp_pct_of_revenue)} → "
                    f"{pct(candidate.total.comp_pct_of_revenue)} of revenue), median OTE attainment "
                    f"{pct(current.total.median_rep_ote_attainment)} → "
                    f"{pct(candidate.total.median_rep_ote_attainment)}."
                ],
                source="backtest",
                action_label="Compare the draft",
                action_url=_url(request, "plans", f"?drafts={draft.pk}"),
            )
        )
    return found


def _from_month(request: HttpRequest, month_report: engine.Report) -> list[Recommendation]:
    """The latest month's insights about a role, each with the role's gap to OTE that month."""
    roles = {role.key: role for role in month_report.roles}
    found = []
    for insight in month_report.insights:
        role = roles.get(insight.role or "")
        if role is None or insight.severity == engine.SEVERITY_POSITIVE:
            continue
        found.append(
            Recommendation(
                title=f"{role.name}: {INSIGHT_TITLES.get(insight.code, insight.code.replace('_', ' '))}",
                effect=role.team_gap,
                effect_label=f"{role.name}: earnings against OTE, {month_report.month:%B %Y}",
                evidence=[insight.message, f"{month_report.month:%B %Y}: earned {money(role.team_actual)} against "
                          f"OTE {money(role.team_ote)}."],
                source="insight",
                action_label="Try it in What-If",
                action_url=_url(request, "whatif", f"?month={format_month(month_report.month)}"),
            )
        )
    return found


def _from_pace(request: HttpRequest, today) -> list[Recommendation]:
    month = today.replace(day=1)
    organization = request.organization
    actuals = month_actuals_get(organization=organization, month=month)
    if not actuals:
        return []
    report = month_report_get(organization=organization, month=month)
    pace = engine.compute_pace(config=report.config, month=month, actuals=actuals, as_of=today)
    if pace is None:
        return []
    gap = pace.projected.summary.ote_gap
    return [
        Recommendation(
            title="The open month's pace" + (" falls short of OTE" if gap < 0 else " reaches OTE"),
            effect=gap,
            effect_label="projected gap to OTE this month",
            evidence=[
                f"{today:%-d %B}: on pace for {money(pace.team.projected_earnings)} of earnings, "
                f"{pct(pace.team.projected_ote_attainment)} of OTE, and {money(pace.team.projected_revenue)} of "
                "revenue."
            ],
            source="pace",
            action_label="See Team Performance",
            action_url=_url(request, "performance", f"?month={format_month(month)}"),
        )
    ]


def _context(request: HttpRequest) -> dict:
    organization = request.organization
    settings = organization_settings_get(organization=organization)
    today = organization_today(timezone_name=settings.timezone)
    recommendations = _from_history(request) + _from_pace(request, today)
    loaded = backtest_history_get(organization=organization, months=1)
    if loaded.history:
        latest = month_report_get(organization=organization, month=loaded.history[-1].month).report
        recommendations += _from_month(request, latest)
    recommendations.sort(key=lambda item: -abs(item.effect))
    payload = narrative_payload(recommendations=recommendations, currency=settings.currency)
    return {
        "active_tab": "advisor",
        "currency": settings.currency,
        "recommendations": recommendations,
        "narrative_enabled": narrative_enabled(),
        "payload": payload,
        "payload_text": payload_text(payload),
    }


@require_safe
@role_required(CAN_ENTER_ACTUALS)
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    return render_tab(request, TEMPLATE, _context(request))


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def summary(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The language model's summary of exactly the payload the page shows (nothing is stored)."""
    context = _context(request)
    try:
        context["narrative"] = narrative_write(payload=context["payload"])
    except NarrativeUnavailable as unavailable:
        context["narrative_error"] = str(unavailable)
    return render_tab(request, TEMPLATE, context, partial="summary")


urlpatterns = [
    path("advisor/", page, name="advisor"),
    path("advisor/summary/", summary, name="advisor_summary"),
]
