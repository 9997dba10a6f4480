"""The Plan lab (SPEC section 15): how candidate comp plans would have paid over the team's own last months, beside
the plan in force; the optimizer; and saved plan drafts, applied through the configuration import after a
confirmation that lists every change.

Managers and above (CAN_ENTER_ACTUALS) backtest, optimize, save, rename and delete drafts: modeling changes nothing
anyone is paid. Applying a draft changes the configuration, so it needs owner or admin access (CAN_CONFIGURE), as
every other configuration write does. Every figure is the engine's (engine.backtest, engine.optimize); this module
only sets them side by side.
"""

import json
from dataclasses import dataclass, replace
from datetime import date

from django.contrib import messages
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from accounts.permissions import CAN_CONFIGURE, CAN_ENTER_ACTUALS, role_required
from oteapp import engine
from oteapp.files.configuration import ConfigImportError, candidate_config, plan_document
from oteapp.forms.plan_lab import CompareForm, DraftNameForm, EditedPlanForm, OptimizerForm, PlanFileForm
from oteapp.models import PlanDraft
from oteapp.selectors import (
    backtest_history_get,
    configuration_version,
    organization_config_get,
    organization_roles,
    organization_settings_get,
)
from oteapp.services.configuration import ConfigurationConflict, ImportPreviewChanged, configuration_import_preview
from oteapp.services.plan_drafts import (
    NAME_MAX_LENGTH,
    DraftNameError,
    draft_text,
    plan_draft_apply,
    plan_draft_create,
    plan_draft_delete,
    plan_draft_rename,
)
from oteapp.views import charts
from oteapp.views.common import (
    CONFIRM_TEMPLATE,
    Confirmation,
    ProposedChange,
    conflict_text,
    error_status,
    render_tab,
)

TEMPLATE = "oteapp/plan_lab/page.html"
TOKEN_MAX_AGE = 60 * 60
CURRENT_LABEL = "Plan in force"


@dataclass(frozen=True)
class Column:
    """One plan's backtest: the plan in force, or a draft."""

    label: str
    backtest: engine.Backtest
    draft: PlanDraft | None = None


@dataclass(frozen=True)
class Comparison:
    months: tuple[date, ...]
    columns: list[Column]
    chart: object

    def rows(self) -> list[tuple[date | None, list[engine.BacktestFigures]]]:
        """Per month then the total: each plan's figures, in column order."""
        rows: list[tuple[date | None, list[engine.BacktestFigures]]] = [
            (month, [column.backtest.months[index] for column in self.columns])
            for index, month in enumerate(self.months)
        ]
        rows.append((None, [column.backtest.total for column in self.columns]))
        return rows


def _salt(request: HttpRequest) -> str:
    return f"oteapp.plan_lab:{request.organization.pk}:{request.user.pk}"


def _drafts(request: HttpRequest):
    return PlanDraft.objects.filter(organization=request.organization).select_related("created_by")


def _comparison(request: HttpRequest, drafts: list[PlanDraft], months: int) -> tuple[Comparison | None, list[str]]:
    """The plan in force and each draft backtested over the same months (the history loaded once)."""
    loaded = backtest_history_get(organization=request.organization, months=months)
    errors = []
    history = engine.select_history(loaded.history, months)
    if not history:
        return None, ["There are no months with actuals yet: enter actuals first, then compare plans."]
    columns = [Column(CURRENT_LABEL, engine.backtest(loaded.config, history))]
    for draft in drafts:
        try:
            config = candidate_config(organization=request.organization, data=draft.configuration)
        except ConfigImportError as refused:
            errors.append(f"{draft.name} cannot be backtested: {refused.errors[0]}")
            continue
        # A draft equal to the plan in force (e.g. once applied) has its backtest already.
        backtest = columns[0].backtest if config == loaded.config else engine.backtest(config, history)
        columns.append(Column(draft.name, backtest, draft))
    month_labels = tuple(month.month for month in history)
    chart = charts.ratio_chart(
        chart_id="plan-lab-chart",
        title="Comp % of revenue per month, by plan",
        desc=(
            f"Comp (base + commission) as a share of revenue per month from {month_labels[0]:%B %Y} to "
            f"{month_labels[-1]:%B %Y} for " + ", ".join(column.label for column in columns)
            + ". The table lists every value."
        ),
        months=month_labels,
        series=[
            charts.Series(label=column.label, values=[m.comp_pct_of_revenue for m in column.backtest.months])
            for column in columns
        ],
    )
    return Comparison(months=month_labels, columns=columns, chart=chart), errors


def _context(request: HttpRequest, **extra) -> dict:
    organization = request.organization
    roles = organization_roles(organization=organization)
    drafts = list(_drafts(request))
    currency = organization_settings_get(organization=organization).currency
    context = {
        "active_tab": "plans",
        "currency": currency,
        "drafts": drafts,
        "optimizer_form": OptimizerForm(roles=roles, currency=currency),
        "file_form": PlanFileForm(),
        "edited_form": EditedPlanForm(
            roles=roles, prefix="edited", initial={"name": _free_name(request, "Edited plan")}
        ),
        "compare_form": CompareForm(drafts=_drafts(request), initial={"drafts": drafts[:2]}),
        "comparison": None,
        "compare_errors": [],
        "min_months": engine.MIN_HISTORY_MONTHS,
        "draft_name_max_length": NAME_MAX_LENGTH,
    }
    context.update(extra)
    return context


@require_safe
@role_required(CAN_ENTER_ACTUALS)
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The drafts, the optimizer's form, and the plan in force beside up to three drafts (?drafts=…&months=…)."""
    data = request.GET.copy()
    if data and not data.get("months"):
        data["months"] = str(engine.DEFAULT_MONTHS)
    compare_form = CompareForm(data or None, drafts=_drafts(request))
    drafts: list[PlanDraft] = []
    months = engine.DEFAULT_MONTHS
    if request.GET and compare_form.is_valid():
        drafts = list(compare_form.cleaned_data["drafts"])
        months = compare_form.cleaned_data["months"] or engine.DEFAULT_MONTHS
    elif not request.GET:
        drafts = list(_drafts(request)[:2])
    comparison, errors = (None, []) if request.GET and not compare_form.is_valid() else _comparison(
        request, drafts, months
    )
    context = _context(request, comparison=comparison, compare_errors=errors)
    if request.GET:
        context["compare_form"] = compare_form
    return render_tab(request, TEMPLATE, context)


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def optimize(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Run the optimizer on the inputs; the result is shown with "Save as draft" (nothing is saved yet)."""
    organization = request.organization
    page = _context(request)
    loaded_roles = page["optimizer_form"].roles
    form = OptimizerForm(request.POST, roles=loaded_roles, currency=page["currency"])
    result = None
    if form.is_valid():
        loaded = backtest_history_get(organization=organization, months=form.cleaned_data["months"])
        try:
            result = engine.optimize(
                config=loaded.config, history=loaded.history, targets=form.targets(),
                share=form.cleaned_data["share"], cap=form.cleaned_data["cap"], months=form.cleaned_data["months"],
            )
        except engine.InsufficientHistoryError as refused:
            form.add_error("months", f"The optimizer needs at least {refused.needed} months with actuals; "
                                     f"this organization has {refused.available}.")
        except engine.OptimizerInputError as refused:
            field = refused.field.replace("targets.", "target_")
            form.add_error(field if field in form.fields else None, refused.message)
        except engine.PlanError as refused:
            form.add_error(None, f"The plan in force cannot be backtested: {refused}")
    signed_proposal = None  # the proposal to save as a draft, signed so the form cannot alter it
    if result is not None and result.candidate is not None:
        document = plan_document(organization=organization, config=result.candidate)
        source = f"Optimizer: share {result.share * 100:.0f}%, cap {result.cap * 100:.0f}%, {len(result.months)} months"
        signed_proposal = signing.dumps({"document": document, "source": source}, salt=_salt(request), compress=True)
    # Each proposed role under its name, as the form above names it (the result is keyed by role key).
    proposed_roles = [
        (role.name, result.roles[role.key]) for role in loaded_roles if result is not None and role.key in result.roles
    ]
    context = _context(
        request, optimizer_form=form, optimization=result, optimization_token=signed_proposal or "",
        proposed_roles=proposed_roles,
        draft_name_form=DraftNameForm(initial={"name": _free_name(request, "Optimizer proposal")}),
    )
    status = 200 if form.is_valid() else error_status(request, 422)
    return render_tab(request, TEMPLATE, context, partial="optimizer", status=status)


def _free_name(request: HttpRequest, base: str) -> str:
    taken = {name.lower() for name in _drafts(request).values_list("name", flat=True)}  # names are taken in any case
    name, number = base, 2
    while name.lower() in taken:
        name, number = f"{base} {number}", number + 1
    return name


def _saved(request: HttpRequest, draft: PlanDraft) -> HttpResponse:
    messages.success(request, f"Draft “{draft.name}” saved. It is compared with the plan in force below.")
    url = reverse("oteapp:plans", kwargs={"org_slug": request.organization.slug}) + f"?drafts={draft.pk}"
    return _to(request, url)


def _to(request: HttpRequest, url: str) -> HttpResponse:
    """After a write, the page at `url` with its message: htmx is told to load it whole (a swapped partial would
    leave the message out)."""
    return HttpResponseClientRedirect(url) if request.htmx else redirect(url)


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def draft_save(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Save the optimizer's proposal (the signed copy the result carried) under a name."""
    form = DraftNameForm(request.POST)
    try:
        payload = signing.loads(request.POST.get("token", ""), salt=_salt(request), max_age=TOKEN_MAX_AGE)
    except signing.BadSignature:
        messages.error(request, "This proposal could not be verified or is more than an hour old; run the optimizer "
                                "again.")
        return redirect("oteapp:plans", org_slug=org_slug)
    error = ""
    if form.is_valid():
        try:
            draft = plan_draft_create(
                organization=request.organization, actor=request.user, name=form.cleaned_data["name"],
                configuration=payload["document"], source=payload["source"],
            )
        except DraftNameError as refused:
            error = str(refused)
        except ConfigImportError as refused:
            error = refused.errors[0]
        else:
            return _saved(request, draft)
    else:
        error = "Give the draft a name."
    messages.error(request, f"Nothing was saved: {error}")
    return redirect("oteapp:plans", org_slug=org_slug)


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def draft_upload(request: HttpRequest, org_slug: str) -> HttpResponse:
    """A configuration file (version 2.0) saved as a draft, after the import's checks and the backtest's."""
    form = PlanFileForm(request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        data = form.cleaned_data["file"].read()
        try:
            text = data.decode("utf-8-sig")
            candidate_config(organization=request.organization, data=text)  # the import's checks, nesting included
            document = json.loads(text)
            draft = plan_draft_create(
                organization=request.organization, actor=request.user, name=form.cleaned_data["name"],
                configuration=document, source=f"File {form.cleaned_data['file'].name}",
            )
        except (UnicodeDecodeError, json.JSONDecodeError):
            errors = ["The file is not a JSON configuration file (version 2.0)."]
        except ConfigImportError as refused:
            errors = refused.errors
        except DraftNameError as refused:
            errors = [str(refused)]
        else:
            return _saved(request, draft)
    context = _context(request, file_form=form, file_errors=errors)
    return render_tab(request, TEMPLATE, context, status=error_status(request, 422))


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def draft_edited(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The plan in force with the roles' figures typed on screen, saved as a draft (nothing else changes)."""
    organization = request.organization
    form = EditedPlanForm(request.POST, roles=organization_roles(organization=organization), prefix="edited")
    if form.is_valid():
        config = organization_config_get(organization=organization)
        figures = form.figures()
        edited = replace(config, roles=tuple(replace(role, **figures.get(role.key, {})) for role in config.roles))
        try:
            draft = plan_draft_create(
                organization=organization, actor=request.user, name=form.cleaned_data["name"],
                configuration=plan_document(organization=organization, config=edited), source="Edited on screen",
            )
        except DraftNameError as refused:
            form.add_error("name", str(refused))
        except ConfigImportError as refused:
            form.add_error(None, refused.errors[0])
        else:
            return _saved(request, draft)
    context = _context(request, edited_form=form)
    return render_tab(request, TEMPLATE, context, status=error_status(request, 422))


def _draft(request: HttpRequest, draft_id: int) -> PlanDraft:
    draft = _drafts(request).filter(pk=draft_id).first()
    if draft is None:
        raise Http404("No such draft.")
    return draft


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def draft_delete(request: HttpRequest, org_slug: str, draft_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    plan_draft_delete(organization=request.organization, actor=request.user, draft_id=draft.pk)
    messages.success(request, f"Draft “{draft.name}” deleted.")
    return redirect("oteapp:plans", org_slug=org_slug)


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def draft_rename(request: HttpRequest, org_slug: str, draft_id: int) -> HttpResponse:
    draft = _draft(request, draft_id)
    old_name = draft.name
    try:
        draft = plan_draft_rename(
            organization=request.organization, actor=request.user, draft_id=draft.pk, name=request.POST.get("name", "")
        )
    except DraftNameError as refused:
        messages.error(request, f"The draft keeps its name “{old_name}”: {refused}")
    else:
        if draft.name != old_name:
            messages.success(request, f"Draft “{old_name}” renamed “{draft.name}”.")
    return redirect("oteapp:plans", org_slug=org_slug)


def _confirmation(request: HttpRequest, draft: PlanDraft, *, error: str = "") -> Confirmation:
    preview = configuration_import_preview(organization=request.organization, data=draft_text(draft))
    changes = [
        ProposedChange(subject=change.subject, label=change.field.replace("_", " "), old_text=change.old or "—",
                       new_text=change.new or "—")
        for change in [*preview.settings, *preview.role_changes, *preview.rep_changes]
    ]
    changes += [
        ProposedChange(subject=f"role {key}", label="deleted", old_text=name, new_text="—")
        for key, name in preview.roles_to_delete
    ]
    settings = organization_settings_get(organization=request.organization)
    version = configuration_version(settings=settings, roles=organization_roles(organization=request.organization))
    token = signing.dumps({"version": version, "preview": preview.fingerprint()}, salt=_salt(request))
    plans_url = reverse("oteapp:plans", kwargs={"org_slug": request.organization.slug})
    return Confirmation(
        title=f"Apply the draft “{draft.name}”?",
        intro=(
            f"{len(changes)} value{'' if len(changes) == 1 else 's'} of the configuration will change, as listed. "
            "Open months are recalculated with the new plan; closed months keep theirs."
            if changes else "The draft matches the plan in force: nothing would change."
        ),
        changes=changes,
        action=reverse("oteapp:plans_draft_apply", kwargs={"org_slug": request.organization.slug,
                                                           "draft_id": draft.pk}),
        fields=[("token", token)] if changes else [],
        button="Apply this plan",
        cancel=f"{plans_url}?drafts={draft.pk}",
        error=error,
    )


@role_required(CAN_CONFIGURE)
def draft_apply(request: HttpRequest, org_slug: str, draft_id: int) -> HttpResponse:
    """GET: every change the draft makes, to confirm. POST: apply it from the version and change set shown."""
    draft = _draft(request, draft_id)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    try:
        if request.method == "POST":
            try:
                payload = signing.loads(request.POST.get("token", ""), salt=_salt(request), max_age=TOKEN_MAX_AGE)
            except signing.BadSignature:
                confirmation = _confirmation(request, draft, error="This confirmation is more than an hour old or "
                                                                  "could not be verified; check the changes again.")
                return render_tab(request, CONFIRM_TEMPLATE, {"active_tab": "plans", "confirmation": confirmation},
                                  status=error_status(request, 400))
            try:
                result = plan_draft_apply(
                    organization=request.organization, actor=request.user, draft_id=draft.pk,
                    expected_version=payload["version"], expected_preview=payload["preview"],
                )
            except ConfigurationConflict as changed:
                error = conflict_text(changed, doing="reviewing the draft")
            except ImportPreviewChanged as changed:
                error = f"{changed} Nothing was saved."
            else:
                messages.success(request, f"Draft “{draft.name}” applied: {result.summary()}.")
                return _to(request, reverse("oteapp:configuration", kwargs={"org_slug": org_slug}))
            confirmation = _confirmation(request, draft, error=error)
            return render_tab(request, CONFIRM_TEMPLATE, {"active_tab": "plans", "confirmation": confirmation},
                              status=error_status(request, 409))
        confirmation = _confirmation(request, draft)
    except ConfigImportError as refused:
        messages.error(request, f"“{draft.name}” cannot be applied: {refused.errors[0]}")
        return redirect("oteapp:plans", org_slug=org_slug)
    return render_tab(request, CONFIRM_TEMPLATE, {"active_tab": "plans", "confirmation": confirmation})


urlpatterns = [
    path("plans/", page, name="plans"),
    path("plans/optimize/", optimize, name="plans_optimize"),
    path("plans/drafts/save/", draft_save, name="plans_draft_save"),
    path("plans/drafts/upload/", draft_upload, name="plans_draft_upload"),
    path("plans/drafts/edited/", draft_edited, name="plans_draft_edited"),
    path("plans/drafts/<int:draft_id>/rename/", draft_rename, name="plans_draft_rename"),
    path("plans/drafts/<int:draft_id>/delete/", draft_delete, name="plans_draft_delete"),
    path("plans/drafts/<int:draft_id>/apply/", draft_apply, name="plans_draft_apply"),
]
