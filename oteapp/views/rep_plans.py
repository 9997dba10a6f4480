"""A rep's own plan on the Configuration tab (SPEC section 14): each rep's row shows their plan today (their own
figures, else their role's), its live calculations and their status in the selected month; owners and admins open
the row to edit it.

The editor is the row itself (htmx swaps it in place; without JavaScript it is a page of its own). Typing posts the
values to the preview, which answers the engine's figures for the unsaved plan (required per unit, break-even,
recommended OTE) and saves nothing. A save carries the plan's version as the row showed it: when someone else
changed that rep's plan meanwhile, nothing is written and the editor says who and when.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import trigger_client_event

from accounts.permissions import CAN_CONFIGURE, role_required
from oteapp import engine
from oteapp.forms.configuration import RepPlanForm
from oteapp.selectors import RepPlanRow, RepPlans, rep_plans_get
from oteapp.services.configuration import RepPlanConflict, UnknownRep, rep_plan_update, rep_plan_version
from oteapp.views.common import error_status, selected_month

ROW = "oteapp/configuration/_rep_plan_row.html"
EDITOR = "oteapp/configuration/_rep_plan_editor.html"
CALCS = "oteapp/configuration/_rep_plan_calcs.html"
PAGE = "oteapp/configuration/rep_plan.html"
CHANGED_EVENT = "configuration-changed"


def _plans(request: HttpRequest, rep_id: int) -> tuple[RepPlans, RepPlanRow]:
    plans = rep_plans_get(organization=request.organization, month=selected_month(request).month, rep_id=rep_id)
    if not plans.rows:
        raise Http404("No such rep.")
    return plans, plans.rows[0]


def _form(plans: RepPlans, row: RepPlanRow, data: object = None) -> RepPlanForm:
    role = engine.plan_economics(plans.config, row.rep.role.key)
    return RepPlanForm(data, rep=row.rep, role=role, version=rep_plan_version(row.rep))


def _typed_economics(plans: RepPlans, row: RepPlanRow, form: RepPlanForm) -> engine.PlanEconomics | None:
    """The engine's figures for the typed plan, None while it is invalid."""
    if not form.is_valid():
        return None
    return engine.plan_economics(plans.config, row.rep.role.key, form.plan())


def _context(request: HttpRequest, plans: RepPlans, row: RepPlanRow, form: RepPlanForm, **extra: object) -> dict:
    return {
        "active_tab": "configuration",
        "month_choice": selected_month(request),
        "plans": plans,
        "row": row,
        "form": form,
        "typed": _typed_economics(plans, row, form) if form.is_bound else row.economics,
        "currency": plans.config.currency,
        "month_query": f"?month={selected_month(request).param}",
        **extra,
    }


def _render(request: HttpRequest, template: str, context: dict, *, status: int = 200) -> HttpResponse:
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


@require_safe
def row(request: HttpRequest, org_slug: str, rep_id: int) -> HttpResponse:
    """The rep's row as the table shows it (what "Cancel" puts back); without htmx, the Configuration tab."""
    plans, found = _plans(request, rep_id)
    if not request.htmx:
        return redirect(_configuration_url(request))
    return _render(
        request,
        ROW,
        {"plans": plans, "row": found, "currency": plans.config.currency, "month_choice": selected_month(request)},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(CAN_CONFIGURE)
def edit(request: HttpRequest, org_slug: str, rep_id: int) -> HttpResponse:
    """GET: the editor (the row, for htmx; a page otherwise). POST: save the plan."""
    plans, found = _plans(request, rep_id)
    template = EDITOR if request.htmx else PAGE
    if request.method != "POST":
        return _render(request, template, _context(request, plans, found, _form(plans, found)))
    form = _form(plans, found, request.POST)
    if not form.is_valid():
        context = _context(request, plans, found, form, error="Nothing was saved: fix the values marked below.")
        return _render(request, template, context, status=error_status(request, 422))
    try:
        rep, events = rep_plan_update(
            organization=request.organization,
            actor=request.user,
            rep_id=found.rep.pk,
            values=form.values(),
            expected_version=form.cleaned_data["version"] or None,
        )
    except UnknownRep:
        raise Http404("No such rep.") from None
    except RepPlanConflict as conflict:
        plans, found = _plans(request, rep_id)
        by = f" by {conflict.changed_by}" if conflict.changed_by else ""
        error = (
            f"{found.rep.name}'s plan was changed{by} while you were editing, so nothing was saved. "
            "It is shown as saved now."
        )
        context = _context(request, plans, found, _form(plans, found), error=error)
        return _render(request, template, context, status=error_status(request, 409))
    count = len(events)
    notice = f"{rep.name}'s plan saved: {count} figure{'' if count == 1 else 's'} changed." if count else "No changes."
    if not request.htmx:
        messages.success(request, notice)
        return redirect(_configuration_url(request) + "#rep-plans")
    plans, found = _plans(request, rep_id)
    context = {
        "plans": plans,
        "row": found,
        "currency": plans.config.currency,
        "notice": notice,
        "month_choice": selected_month(request),
    }
    return trigger_client_event(_render(request, ROW, context), CHANGED_EVENT)


@require_POST
@role_required(CAN_CONFIGURE)
def preview(request: HttpRequest, org_slug: str, rep_id: int) -> HttpResponse:
    """The live calculations of the typed plan; saves nothing. Without htmx, the editor page with them."""
    plans, found = _plans(request, rep_id)
    form = _form(plans, found, request.POST)
    context = _context(request, plans, found, form)
    return _render(request, CALCS if request.htmx else PAGE, context)


def _configuration_url(request: HttpRequest) -> str:
    url = reverse("oteapp:configuration", kwargs={"org_slug": request.organization.slug})
    return f"{url}?month={selected_month(request).param}"


urlpatterns = [
    path("configuration/reps/<int:rep_id>/plan/", edit, name="rep_plan"),
    path("configuration/reps/<int:rep_id>/plan/preview/", preview, name="rep_plan_preview"),
    path("configuration/reps/<int:rep_id>/plan/row/", row, name="rep_plan_row"),
]
