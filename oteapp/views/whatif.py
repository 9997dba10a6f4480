"""The What-If tab: a scenario beside the baseline of the selected month, updated as you type.

The scenario form is a GET form: it changes nothing and its URL can be shared or bookmarked. htmx
asks for the results partial only (its HX-Target) and replaces the URL. Owners and admins can apply
the scenario's configuration part with one POST (audited as `whatif_apply`).

The numbers are the engine's: the month's report and P&L, the same after `engine.apply_scenario`,
their difference (`engine.change`), and `engine.closers_needed` for the goal-seek. This module only
sets them side by side.

The results are recalculated as someone types (a new scenario each time, so never from the fragments
cache): each figure is formatted once here and the template only looks the texts up, and the month's
baseline (report, P&L, actuals) is computed once per data version and kept ready in this process's memory.
"""

import threading
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import pluralize
from django.urls import path, reverse
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from accounts.permissions import CAN_CONFIGURE, role_required
from oteapp import engine
from oteapp.forms.whatif import ScenarioForms
from oteapp.number_format import MINUS
from oteapp.selectors import (
    month_active_reps_get,
    month_actuals_get,
    organization_config_get,
    pinned_configs_get,
)
from oteapp.services.configuration import scenario_apply
from oteapp.templatetags.ote import (
    FORMAT_BY_KIND,
    money,
    pct,
    ratio,
    signed_money,
    status_icon,
    status_label,
    units,
)
from oteapp.views.common import MonthChoice, error_status, render_cached_tab, render_tab, selected_month
from oteapp.views.fragments import organization_value_get

TEMPLATE = "oteapp/whatif/page.html"
RESULTS_ID = "whatif-results"
CHANGED_EVENT = "configuration-changed"
UNIT_TITLES = {engine.KIND_CLOSER: "Deals", engine.KIND_SETTER: "Meetings", engine.KIND_MANAGER: "Team deals"}


def _signed(value: Decimal, text: str) -> str:
    return ("+" if value > 0 else MINUS if value < 0 else "") + text


FLAT, GOOD, BAD = SafeString("flat"), SafeString("good"), SafeString("bad")  # a change's class


def _delta_text(delta: Decimal | None, kind: str) -> str:
    if delta is None:
        return "—"
    if kind == "money":
        return signed_money(delta) if delta else money(delta)
    size = abs(delta)
    if kind == "ratio":
        return _signed(delta, pct(size).removesuffix("%") + " pts")
    if kind == "per_dollar":
        return _signed(delta, ratio(size))
    if kind == "count":
        return _signed(delta, f"{size:,.0f}")
    return _signed(delta, units(size))


def _figure(text: str) -> SafeString:
    """A figure formatted by the filters above (digits, signs, "$", "%", " pts", "—") or a fixed word: no markup
    can be in it, so it is marked safe and the template does not escape it again (about 150 per recalculation)."""
    return SafeString(text)  # nosec B703


@lru_cache(maxsize=1024)
def _slug(label: str) -> str:
    return slugify(label)


class Line:
    """One compared number, formatted once here so that the results template only looks texts up (it renders
    about 40 of these per recalculation, as someone types). `kind` is money | ratio | units | count |
    per_dollar; `better` says which way is good (True: up, False: down, None: neither); `marked` puts
    `data-scenario="<slug of the label>"` on the scenario's cell."""

    __slots__ = ("baseline_text", "delta_class", "delta_text", "label", "marked", "scenario_text")

    def __init__(
        self,
        label: str,
        baseline: Decimal | None,
        scenario: Decimal | None,
        kind: str,
        better: bool | None = None,
        *,
        marked: bool = False,
    ) -> None:
        self.label = label
        self.marked = marked
        show = FORMAT_BY_KIND[kind]
        self.baseline_text = _figure(show(baseline))
        self.scenario_text = _figure(show(scenario))
        delta = engine.change(scenario, baseline)
        self.delta_text = _figure(_delta_text(delta, kind))
        self.delta_class = FLAT if not delta or better is None else GOOD if (delta > 0) == better else BAD

    @property
    def slug(self) -> str:
        return _slug(self.label)

    def __getitem__(self, name: str) -> object:
        # Django's templates try `line[name]` before `line.name`: answering it saves a raised TypeError per lookup.
        return getattr(self, name)


@dataclass(frozen=True)
class RoleComparison:
    key: str
    name: str
    lines: list[Line]
    baseline_status: str | None
    scenario_status: str | None

    @property
    def baseline_status_text(self) -> str:
        return _status_text(self.baseline_status)

    @property
    def scenario_status_text(self) -> str:
        return _status_text(self.scenario_status)


def _status_text(status: str | None) -> SafeString:
    return _figure(f"{status_icon(status)} {status_label(status)}")  # fixed icons and words


@dataclass(frozen=True)
class Baseline:
    config: engine.OrgConfig
    actuals: tuple[engine.RepMonth, ...]
    active_reps: tuple[engine.ActiveRep, ...]
    report: engine.Report
    pnl: engine.PnlPeriod  # the report's P&L


def _baseline(request: HttpRequest, month: date) -> Baseline:
    """Five queries: a closed month's frozen configuration (else settings and roles: today's), the
    month's actuals and its active reps. The baseline is the month as Team Performance shows it."""
    organization = request.organization
    config = pinned_configs_get(organization=organization, months=[month]).get(month) or organization_config_get(
        organization=organization
    )
    actuals = tuple(month_actuals_get(organization=organization, month=month))
    active_reps = tuple(month_active_reps_get(organization=organization, month=month))
    report = engine.compute_report(config=config, month=month, actuals=actuals, active_reps=active_reps)
    return Baseline(
        config=config, actuals=actuals, active_reps=active_reps, report=report, pnl=engine.pnl_period(report)
    )


# Ready baselines by token (see _baseline_get), most recently used last, bounded by their actuals rows: about
# 2.2 KB a row with its RepReport (400 reps: 0.85 MB), so at most about 9 MB per process.
READY_ROWS_LIMIT = 4000
_ready: OrderedDict[str, Baseline] = OrderedDict()
_ready_rows = 0
_ready_lock = threading.Lock()


def _ready_put(token: str, base: Baseline) -> None:
    global _ready_rows
    with _ready_lock:
        if token not in _ready:
            _ready[token] = base
            _ready_rows += len(base.actuals) + 1
        while _ready_rows > READY_ROWS_LIMIT and len(_ready) > 1:
            _, dropped = _ready.popitem(last=False)
            _ready_rows -= len(dropped.actuals) + 1


def _ready_get(token: str) -> Baseline | None:
    with _ready_lock:
        base = _ready.get(token)
        if base is not None:
            _ready.move_to_end(token)
        return base


def _baseline_get(request: HttpRequest, month: date) -> Baseline:
    """The month's baseline, computed once per data version and kept in this process's memory as it is. The
    fragments cache (oteapp/views/fragments.py) holds only a token naming it, so it still decides how long a baseline
    lives (its data version, its size, a clear()), while a recalculation does not unpickle the baseline every
    time: 2.4 ms for 400 reps, more than computing the scenario's report. A baseline dropped from memory by
    the bound above is computed again."""
    token = organization_value_get(request, name=f"whatif-baseline:{month}", build=lambda: uuid.uuid4().hex)
    base = _ready_get(token)
    if base is None:
        base = _baseline(request, month)
        _ready_put(token, base)
    return base


def _pnl_lines(base: Baseline, scenario: engine.Report) -> list[Line]:
    b, s = base.pnl, engine.pnl_period(scenario)
    baseline = base.report
    # Both reports have the configuration's roles in the same order (a scenario never adds roles).
    roles = list(zip(b.roles, s.roles, strict=True))
    lines = [Line("Revenue", b.revenue, s.revenue, "money", True, marked=True)]
    lines += [
        Line(f"Commissions · {bl.name}", bl.commission, sl.commission, "money", False, marked=True) for bl, sl in roles
    ]
    if any(bl.base or sl.base for bl, sl in roles):
        lines += [Line(f"Base pay · {bl.name}", bl.base, sl.base, "money", False, marked=True) for bl, sl in roles]
    return [
        *lines,
        Line("Total compensation", b.total_compensation, s.total_compensation, "money", False, marked=True),
        Line("Operating expenses", b.operating_expenses, s.operating_expenses, "money", False, marked=True),
        Line("EBITDA", b.ebitda, s.ebitda, "money", True, marked=True),
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
                    Line("Headcount", Decimal(b.headcount), Decimal(s.headcount), "count", marked=True),
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


def _goal_texts(target: Decimal, goal: engine.GoalSeekResult) -> dict[str, str]:
    """The goal-seek's sentence parts, formatted here like the other figures."""
    texts = {"target": money(target)}
    if goal.whole is not None:
        texts["closers"] = f"{goal.whole} closer{pluralize(goal.whole)}"
    if goal.closers_needed is not None:
        texts |= {
            "exactly": units(goal.closers_needed),
            "revenue_per_closer": money(goal.revenue_per_closer),
            "deals_per_closer": units(goal.deals_per_closer),
            "current": f"{goal.current_closers} closer{pluralize(goal.current_closers)}",
        }
        if goal.additional_closers > 0:
            texts["more"] = units(goal.additional_closers)
    return {name: _figure(text) for name, text in texts.items()}


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
    pnl = _pnl_lines(base, report) if report else []
    organization = request.organization
    return {
        "active_tab": "whatif",
        "month_choice": month_choice,
        "month_label": date_filter(month_choice.month, "F Y"),
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
        "goal_texts": _goal_texts(target, goal) if goal else {},
        "changes": changes,
        "apply_fields": forms.apply_fields() if changes else [],
        "apply_url": reverse("oteapp:whatif_apply", kwargs={"org_slug": organization.slug}) if changes else "",
        "errors": forms.error_lines(),
        **extra,
    }


@require_safe
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    def build_context() -> dict:
        # A new scenario is a new fragment, but the month and its baseline are the data's: computed once
        # per data version, so typing into the form recalculates the scenario only.
        month_choice = selected_month(request)
        base = _baseline_get(request, month_choice.month)
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
