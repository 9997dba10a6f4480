"""The What-If tab: a scenario beside the baseline of the selected month, updated as you type.

The scenario form is a GET form: it changes nothing and its URL can be shared or bookmarked. htmx
asks for the results partial only (its HX-Target) and replaces the URL. Owners and admins can apply
the values the scenario changed in the configuration to today's configuration: the results list them (today's
value → the scenario's), "Review and apply" shows them once more with a confirmation, and its POST carries
exactly those values and the configuration version it showed (audited as `whatif_apply`).

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
from urllib.parse import urlencode

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.defaultfilters import date as date_filter
from django.template.defaultfilters import pluralize
from django.urls import path, reverse
from django.utils.safestring import SafeString
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods, require_safe
from django_htmx.http import push_url, trigger_client_event

from accounts.permissions import CAN_CONFIGURE, role_required
from oteapp import engine
from oteapp.forms.whatif import ScenarioForms, apply_fields
from oteapp.number_format import MINUS, currency_override
from oteapp.selectors import (
    config_from_models,
    configuration_version,
    month_active_reps_get,
    month_actuals_get,
    organization_config_get,
    organization_roles,
    organization_settings_get,
    pinned_configs_get,
)
from oteapp.services.configuration import ConfigurationConflict, scenario_apply
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
from oteapp.views.common import (
    CONFIRM_TEMPLATE,
    Confirmation,
    MonthChoice,
    ProposedChange,
    conflict_text,
    error_status,
    render_cached_tab,
    render_tab,
    selected_month,
)
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
    frozen: bool  # the configuration is a closed month's, not today's


def _baseline(request: HttpRequest, month: date) -> Baseline:
    """Five queries: a closed month's frozen configuration (else settings and roles: today's), the
    month's actuals and its active reps. The baseline is the month as Team Performance shows it."""
    organization = request.organization
    pinned = pinned_configs_get(organization=organization, months=[month]).get(month)
    config = pinned or organization_config_get(organization=organization)
    actuals = tuple(month_actuals_get(organization=organization, month=month))
    active_reps = tuple(month_active_reps_get(organization=organization, month=month))
    report = engine.compute_report(config=config, month=month, actuals=actuals, active_reps=active_reps)
    return Baseline(
        config=config,
        actuals=actuals,
        active_reps=active_reps,
        report=report,
        pnl=engine.pnl_period(report),
        frozen=pinned is not None,
    )


# Ready baselines by token (see _baseline_get), most recently used last, bounded by their actuals rows (a few KB
# each with its RepReport), which bounds the memory of each process.
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
    time, which for a large team costs more than computing the scenario's report. A baseline dropped from memory by
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
            f"Revenue per {money(1, 0)} OTE",
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


def _apply_link(request: HttpRequest, month_choice: MonthChoice, changes: list) -> str:
    """The confirmation of applying `changes` (GET: it changes nothing), with exactly their values."""
    url = reverse("oteapp:whatif_apply", kwargs={"org_slug": request.organization.slug})
    return f"{url}?{urlencode([('month', month_choice.param), *apply_fields(changes)])}"


def _context(
    request: HttpRequest, month_choice: MonthChoice, base: Baseline, forms: ScenarioForms, **extra: object
) -> dict:
    with currency_override(base.config.currency):  # the figures below are formatted here
        return _figures(request, month_choice, base, forms, **extra)


def _figures(
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
            if request.membership.role in CAN_CONFIGURE:
                # Applied to today's configuration, which a closed month's frozen one is not.
                current = organization_config_get(organization=request.organization) if base.frozen else base.config
                changes = forms.config_changes(current)
        if target:
            goal = engine.closers_needed(report=report, config=config, target_monthly_revenue=target)
    pnl = _pnl_lines(base, report) if report else []
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
        "currency": base.config.currency,
        "changes": changes,
        "frozen": base.frozen,
        "apply_link": _apply_link(request, month_choice, changes) if changes else "",
        "errors": forms.error_lines(),
        **extra,
    }


@require_safe
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    # Any parameter besides the month is a scenario (a blank field means "no change").
    data = request.GET if any(key != "month" for key in request.GET) else None

    def build_context() -> dict:
        # The month and its baseline are the data's: computed once per data version, so typing into the form
        # recalculates the scenario only.
        month_choice = selected_month(request)
        base = _baseline_get(request, month_choice.month)
        forms = ScenarioForms(config=base.config, baseline=base.report, data=data)
        return _context(request, month_choice, base, forms)

    partial = "results" if request.htmx.target == RESULTS_ID else "tab"
    if data is not None:
        # A scenario is rendered afresh: each one is new, and caching them would only fill the cache.
        return render_tab(request, TEMPLATE, build_context(), partial=partial)
    return render_cached_tab(request, TEMPLATE, build_context, page_context={"active_tab": "whatif"}, partial=partial)


def _today(request: HttpRequest) -> tuple[engine.OrgConfig, str]:
    """Today's configuration and its version (two queries)."""
    organization = request.organization
    settings = organization_settings_get(organization=organization)
    roles = organization_roles(organization=organization)
    return config_from_models(settings=settings, roles=roles), configuration_version(settings=settings, roles=roles)


def _confirmation(
    request: HttpRequest, month_choice: MonthChoice, forms: ScenarioForms, version: str, *, error: str = ""
) -> Confirmation | None:
    """The confirmation of applying the given values to today's configuration; None when they change nothing."""
    changes = forms.config_changes(forms.config)
    if not changes:
        return None
    url = reverse("oteapp:whatif_apply", kwargs={"org_slug": request.organization.slug})
    back = reverse("oteapp:whatif", kwargs={"org_slug": request.organization.slug})
    count = len(changes)
    return Confirmation(
        title="Apply the scenario to the configuration?",
        intro=(
            f"{count} value{pluralize(count)} of today's configuration will change, and nothing else. "
            "Past months that are closed keep the figures they were frozen with."
        ),
        changes=[ProposedChange(c.subject, c.label, c.old_text, c.new_text) for c in changes],
        action=f"{url}?month={month_choice.param}",
        fields=[*apply_fields(changes), ("version", version)],
        button=f"Apply {count} change{pluralize(count)}",
        cancel=f"{back}?{urlencode([('month', month_choice.param), *apply_fields(changes)])}",
        notes=("Headcount and productivity describe the team, not the configuration: they are not applied.",),
        error=error,
    )


def _back_to_whatif(
    request: HttpRequest, month_choice: MonthChoice, notice: str, *, error: bool = False
) -> HttpResponse:
    """The What-If tab of the month with `notice`: an error is shown on the tab (422; 200 for htmx, which swaps no
    4xx); a success is rendered into #tab for htmx, else a redirect to the tab with the notice as a message."""
    url = reverse("oteapp:whatif", kwargs={"org_slug": request.organization.slug}) + f"?month={month_choice.param}"
    if not request.htmx and not error:
        messages.success(request, notice)
        return redirect(url)
    base = _baseline(request, month_choice.month)
    forms = ScenarioForms(config=base.config, baseline=base.report)
    context = _context(request, month_choice, base, forms, **{"error" if error else "notice": notice})
    response = render_tab(request, TEMPLATE, context, status=error_status(request, 422) if error else 200)
    return push_url(response, url) if request.htmx else response


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(CAN_CONFIGURE)
def apply(request: HttpRequest, org_slug: str) -> HttpResponse:
    """GET: the values given (the ones a scenario changed) beside today's, to confirm; it changes nothing.
    POST: apply exactly the posted values to today's configuration, from the version the confirmation showed.
    Invalid values change nothing (422); a configuration changed meanwhile changes nothing and is shown again (409);
    htmx gets 200 for both (it swaps no 4xx)."""
    month_choice = selected_month(request)
    current, version = _today(request)
    forms = ScenarioForms(config=current, data=request.POST if request.method == "POST" else request.GET)
    with currency_override(current.currency):  # the errors' and the changes' figures
        if not forms.is_valid():
            problems = "; ".join(forms.error_lines())
            return _back_to_whatif(request, month_choice, f"Nothing was applied: {problems}", error=True)
        if request.method != "POST":
            confirmation = _confirmation(request, month_choice, forms, version)
            if confirmation is None:
                return _back_to_whatif(request, month_choice, "The scenario changes nothing in today's configuration.")
            context = {"active_tab": "whatif", "month_choice": month_choice, "confirmation": confirmation}
            return render_tab(request, CONFIRM_TEMPLATE, context)
        try:
            events = scenario_apply(
                organization=request.organization,
                actor=request.user,
                settings=forms.settings_values(),
                roles=forms.role_values(),
                expected_version=request.POST.get("version") or None,
            )
        except ConfigurationConflict as conflict:
            current, version = _today(request)
            forms = ScenarioForms(config=current, data=request.POST)
            forms.is_valid()
            error = conflict_text(conflict, doing="reviewing") + " Check today's values below and confirm again."
            confirmation = _confirmation(request, month_choice, forms, version, error=error)
            if confirmation is None:
                return _back_to_whatif(request, month_choice, error + " The scenario now changes nothing.", error=True)
            context = {"active_tab": "whatif", "month_choice": month_choice, "confirmation": confirmation}
            return render_tab(request, CONFIRM_TEMPLATE, context, status=error_status(request, 409))
    count = len(events)
    notice = (
        f"Scenario applied to the configuration: {count} value{pluralize(count)} changed."
        if count
        else "The scenario changes nothing in the configuration."
    )
    response = _back_to_whatif(request, month_choice, notice)
    return trigger_client_event(response, CHANGED_EVENT) if request.htmx else response


urlpatterns = [
    path("what-if/", page, name="whatif"),
    path("what-if/apply/", apply, name="whatif_apply"),
]
