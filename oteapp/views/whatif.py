"""The What-If tab: a scenario beside the baseline of the selected month, updated as you type.

The scenario form is a GET form: it changes nothing and its URL can be shared or bookmarked. htmx
asks for the results partial only (its HX-Target) and replaces the URL. Owners and admins can apply
the scenario's configuration part with one POST (audited as `whatif_apply`).

The numbers are the engine's: the month's report and P&L, the same after `engine.apply_scenario`,
their difference (`engine.change`), and `engine.closers_needed` for the goal-seek. This module only
sets them side by side.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from accounts.permissions import CAN_CONFIGURE, role_required
from oteapp import engine
from oteapp.forms.whatif import ScenarioForms
from oteapp.fragments import organization_value_get
from oteapp.selectors import (
    month_active_reps_get,
    month_actuals_get,
    organization_config_get,
    pinned_configs_get,
)
from oteapp.services.configuration import scenario_apply
from oteapp.templatetags.ote import MINUS, money, pct, ratio, signed_money, units
from oteapp.views.common import MonthChoice, error_status, render_cached_tab, render_tab, selected_month

TEMPLATE = "oteapp/whatif/page.html"
RESULTS_ID = "whatif-results"
CHANGED_EVENT = "configuration-changed"
UNIT_TITLES = {engine.KIND_CLOSER: "Deals", engine.KIND_SETTER: "Meetings", engine.KIND_MANAGER: "Team deals"}


def _signed(value: Decimal, text: str) -> str:
    return ("+" if value > 0 else MINUS if value < 0 else "") + text


@dataclass(frozen=True)
class Line:
    """One compared number. `better` says which way is good (True: up, False: down, None: neither)."""

    label: str
    baseline: Decimal | None
    scenario: Decimal | None
    kind: str  # money | ratio | units | count | per_dollar
    better: bool | None = None

    @property
    def delta(self) -> Decimal | None:
        return engine.change(self.scenario, self.baseline)

    @property
    def delta_text(self) -> str:
        delta = self.delta
        if delta is None:
            return "—"
        if self.kind == "money":
            return signed_money(delta) if delta else money(delta)
        size = abs(delta)
        if self.kind == "ratio":
            return _signed(delta, pct(size).removesuffix("%") + " pts")
        if self.kind == "per_dollar":
            return _signed(delta, ratio(size))
        if self.kind == "count":
            return _signed(delta, f"{size:,.0f}")
        return _signed(delta, units(size))

    @property
    def delta_class(self) -> str:
        delta = self.delta
        if not delta or self.better is None:
            return "flat"
        return "good" if (delta > 0) == self.better else "bad"


@dataclass(frozen=True)
class RoleComparison:
    key: str
    name: str
    lines: list[Line]
    baseline_status: str | None
    scenario_status: str | None


@dataclass(frozen=True)
class Baseline:
    config: engine.OrgConfig
    actuals: list[engine.RepMonth]
    active_reps: list[engine.ActiveRep]
    report: engine.Report


def _baseline(request: HttpRequest, month: date) -> Baseline:
    """Five queries: a closed month's frozen configuration (else settings and roles: today's), the
    month's actuals and its active reps. The baseline is the month as Team Performance shows it."""
    organization = request.organization
    config = pinned_configs_get(organization=organization, months=[month]).get(month) or organization_config_get(
        organization=organization
    )
    actuals = month_actuals_get(organization=organization, month=month)
    active_reps = month_active_reps_get(organization=organization, month=month)
    report = engine.compute_report(config=config, month=month, actuals=actuals, active_reps=active_reps)
    return Baseline(config=config, actuals=actuals, active_reps=active_reps, report=report)


def _pnl_lines(baseline: engine.Report, scenario: engine.Report) -> list[Line]:
    b, s = engine.pnl_period(baseline), engine.pnl_period(scenario)
    # Both reports have the configuration's roles in the same order (a scenario never adds roles).
    roles = list(zip(b.roles, s.roles, strict=True))
    lines = [Line("Revenue", b.revenue, s.revenue, "money", True)]
    lines += [Line(f"Commissions · {bl.name}", bl.commission, sl.commission, "money", False) for bl, sl in roles]
    if any(bl.base or sl.base for bl, sl in roles):
        lines += [Line(f"Base pay · {bl.name}", bl.base, sl.base, "money", False) for bl, sl in roles]
    return [
        *lines,
        Line("Total compensation", b.total_compensation, s.total_compensation, "money", False),
        Line("Operating expenses", b.operating_expenses, s.operating_expenses, "money", False),
        Line("EBITDA", b.ebitda, s.ebitda, "money", True),
        Line("EBITDA margin", b.margin, s.margin, "ratio", True),
        Line("Comp % of revenue", b.comp_pct_of_revenue, s.comp_pct_of_revenue, "ratio", False),
        Line(
            "Revenue per $1 OTE",
            baseline.summary.revenue_per_ote_dollar,
            scenario.summary.revenue_per_ote_dollar,
            "per_dollar",
            True,
        ),
        Line(
            "Team OTE attainment",
            baseline.summary.team_ote_attainment,
            scenario.summary.team_ote_attainment,
            "ratio",
            True,
        ),
    ]


def _role_comparisons(baseline: engine.Report, scenario: engine.Report) -> list[RoleComparison]:
    comparisons = []
    for b in baseline.roles:
        s = scenario.role(b.key)
        unit = UNIT_TITLES.get(b.kind, "Units")
        comparisons.append(
            RoleComparison(
                key=b.key,
                name=b.name,
                lines=[
                    Line("Headcount", Decimal(b.headcount), Decimal(s.headcount), "count"),
                    Line(unit, b.actual_units, s.actual_units, "units", True),
                    Line("Quota attainment", b.quota_attainment, s.quota_attainment, "ratio", True),
                    Line("OTE attainment", b.ote_attainment, s.ote_attainment, "ratio", True),
                    Line("Team earnings", b.team_actual, s.team_actual, "money"),
                    Line("Gap to team OTE", b.team_gap, s.team_gap, "money", True),
                    Line(f"Break-even ({unit.lower()}/person)", b.break_even_units, s.break_even_units, "units"),
                    Line(f"Monthly quota ({unit.lower()})", b.monthly_quota, s.monthly_quota, "units"),
                ],
                baseline_status=b.status,
                scenario_status=s.status,
            )
        )
    return comparisons


def _context(
    request: HttpRequest, month_choice: MonthChoice, base: Baseline, forms: ScenarioForms, **extra: object
) -> dict:
    scenario = None
    if not forms.is_bound:
        scenario = engine.Scenario()  # the baseline itself, until something is changed
    elif forms.is_valid():
        scenario = forms.scenario()
    report = goal = target = None
    changes: list = []
    if scenario is not None:
        config, actuals = engine.apply_scenario(config=base.config, actuals=base.actuals, scenario=scenario)
        report = engine.compute_report(
            config=config, month=month_choice.month, actuals=actuals, active_reps=base.active_reps
        )
        if forms.is_bound:
            target = forms.target_revenue()
            changes = forms.config_changes()
        if target:
            goal = engine.closers_needed(report=report, config=config, target_monthly_revenue=target)
    pnl = _pnl_lines(base.report, report) if report else []
    return {
        "active_tab": "whatif",
        "month_choice": month_choice,
        "month_query": f"?month={month_choice.param}",
        "forms": forms,
        "baseline": base.report,
        "scenario": report,
        "has_actuals": base.report.summary.headcount > 0,
        "pnl": pnl,
        "kpis": [line for line in pnl if line.label in ("Revenue", "EBITDA", "Team OTE attainment")],
        "role_comparisons": _role_comparisons(base.report, report) if report else [],
        "target": target,
        "goal": goal,
        "changes": changes,
        "apply_fields": forms.apply_fields() if changes else [],
        "errors": forms.error_lines(),
        **extra,
    }


@require_safe
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    def build_context() -> dict:
        # A new scenario is a new fragment, but the month and its baseline are the data's: computed once
        # per data version, so typing into the form recalculates the scenario only.
        month_choice = selected_month(request)
        base = organization_value_get(
            request, name=f"whatif-baseline:{month_choice.month}", build=lambda: _baseline(request, month_choice.month)
        )
        # Any parameter besides the month is a scenario (a blank field means "no change").
        data = request.GET if any(key != "month" for key in request.GET) else None
        forms = ScenarioForms(config=base.config, baseline=base.report, data=data)
        return _context(request, month_choice, base, forms)

    partial = "results" if request.htmx.target == RESULTS_ID else "tab"
    return render_cached_tab(request, TEMPLATE, build_context, page_context={"active_tab": "whatif"}, partial=partial)


@require_POST
@role_required(CAN_CONFIGURE)
def apply(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Apply the posted scenario's configuration changes. Invalid values re-render the tab with
    their errors and change nothing: 422 for a plain POST, 200 for htmx (which swaps no 4xx)."""
    month_choice = selected_month(request)
    base = _baseline(request, month_choice.month)
    forms = ScenarioForms(config=base.config, baseline=base.report, data=request.POST)
    if not forms.is_valid():
        context = _context(request, month_choice, base, forms, error="Nothing was applied: fix the values below.")
        return render_tab(request, TEMPLATE, context, status=error_status(request, 422))
    count = len(scenario_apply(organization=request.organization, actor=request.user, scenario=forms.scenario()))
    notice = (
        f"Scenario applied to the configuration: {count} value{'' if count == 1 else 's'} changed."
        if count
        else "The scenario changes nothing in the configuration."
    )
    if request.htmx:
        base = _baseline(request, month_choice.month)  # the new configuration is the new baseline
        forms = ScenarioForms(config=base.config, baseline=base.report)
        response = render_tab(request, TEMPLATE, _context(request, month_choice, base, forms, notice=notice))
        return trigger_client_event(response, CHANGED_EVENT)
    messages.success(request, notice)
    url = reverse("oteapp:whatif", kwargs={"org_slug": request.organization.slug})
    return redirect(f"{url}?month={month_choice.param}")


urlpatterns = [
    path("what-if/", page, name="whatif"),
    path("what-if/apply/", apply, name="whatif_apply"),
]
