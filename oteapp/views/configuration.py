"""The Configuration tab: settings and roles with live calculations, the recommended OTE table,
new roles, and the export and import of the configuration file.

Owners and admins (CAN_CONFIGURE) edit; other members see the same page read-only, and every write
endpoint refuses them (403). Every number comes from the engine, computed on the typed, unsaved
values while editing (the preview endpoint, posted by htmx as you type).

Invalid input re-renders the page with its errors and saves nothing: status 422 for a plain form
POST; 200 for htmx, because htmx 2 does not swap 4xx responses by default (base.html keeps that
default) and the errors must replace the tab to be seen.
"""

from dataclasses import dataclass, replace
from decimal import Decimal
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import trigger_client_event

from accounts.models import Organization
from accounts.permissions import CAN_CONFIGURE, role_required
from oteapp import engine
from oteapp.engine.numbers import MONEY, quantize
from oteapp.files.configuration import ConfigImportError, config_export_json
from oteapp.forms.configuration import ConfigImportForm, ConfigurationForms, RoleCreateForm, RoleForm, error_lines
from oteapp.selectors import organization_roles, organization_settings_get
from oteapp.services.configuration import (
    ConfigurationError,
    UnknownRole,
    configuration_import,
    configuration_update,
    role_create,
    role_ote_use_recommended,
)
from oteapp.templatetags.ote import money
from oteapp.views.common import error_status, render_tab, selected_month

TEMPLATE = "oteapp/configuration/page.html"
CHANGED_EVENT = "configuration-changed"
UNIT_SINGULAR = {engine.KIND_CLOSER: "deal", engine.KIND_SETTER: "meeting", engine.KIND_MANAGER: "team deal"}


@dataclass(frozen=True)
class RolePanel:
    """One role's inputs and the engine's numbers for them (None while its values are invalid)."""

    form: RoleForm
    economics: engine.RoleReport | None
    warning: engine.Insight | None

    @property
    def unit_singular(self) -> str:
        return UNIT_SINGULAR.get(self.form.role.kind, "unit")

    @property
    def error_lines(self) -> list[str]:
        return error_lines(self.form) if self.form.is_bound else []


@dataclass(frozen=True)
class Recommendation:
    key: str
    name: str
    unit: str
    annual_ote: Decimal
    monthly_ote: Decimal
    monthly_quota: Decimal
    commission_per_unit: Decimal
    current_annual_ote: Decimal
    in_use: bool

    @property
    def usable(self) -> bool:
        return self.annual_ote > 0 and not self.in_use


def _export_filename(organization: Organization) -> str:
    return f"{organization.slug}-configuration.json"


def _can_configure(request: HttpRequest) -> bool:
    return request.membership.role in CAN_CONFIGURE


def _forms(request: HttpRequest, data: object = None) -> ConfigurationForms:
    """Two queries: the settings and the roles."""
    organization = request.organization
    return ConfigurationForms(
        settings=organization_settings_get(organization=organization),
        roles=organization_roles(organization=organization),
        data=data,
        read_only=not _can_configure(request),
    )


def _recommendations(
    report: engine.Report, config: engine.OrgConfig, forms: ConfigurationForms
) -> list[Recommendation]:
    saved = {role.key: role for role in forms.saved_config.roles}
    units = {form.role.key: form.unit for form in forms.roles}
    rows = []
    for role in report.roles:
        annual = quantize(role.recommended_annual_ote, MONEY)
        current = saved[role.key].annual_ote if role.key in saved else Decimal(0)
        rows.append(
            Recommendation(
                key=role.key,
                name=role.name,
                unit=units.get(role.key, "units"),
                annual_ote=annual,
                monthly_ote=engine.monthly_ote(replace(config.role(role.key), annual_ote=role.recommended_annual_ote)),
                monthly_quota=role.monthly_quota,
                commission_per_unit=role.configured_commission_per_unit,
                current_annual_ote=current,
                in_use=annual == current,
            )
        )
    return rows


def _context(
    request: HttpRequest,
    forms: ConfigurationForms,
    *,
    role_form: RoleCreateForm | None = None,
    import_form: ConfigImportForm | None = None,
    **extra: object,
) -> dict:
    month_choice = selected_month(request)
    config = forms.engine_config()
    # The configuration's economics need no actuals: the engine's report of an empty month.
    report = engine.compute_report(config=config, month=month_choice.month, actuals=()) if config else None
    economics = {role.key: role for role in report.roles} if report else {}
    warnings = {
        insight.role: insight
        for insight in (report.insights if report else ())
        if insight.code == engine.CODE_QUOTA_MISALIGNED
    }
    return {
        "active_tab": "configuration",
        "month_choice": month_choice,
        "currency": forms.saved_config.currency,
        "month_query": f"?month={month_choice.param}",
        "forms": forms,
        "panels": [
            RolePanel(form=form, economics=economics.get(form.role.key), warning=warnings.get(form.role.key))
            for form in forms.roles
        ],
        "recommendations": _recommendations(report, config, forms) if report else [],
        "unsaved": forms.has_changed(),
        "role_form": role_form if role_form is not None else RoleCreateForm(existing_keys=set()),
        "import_form": import_form if import_form is not None else ConfigImportForm(),
        "export_filename": _export_filename(request.organization),
        **extra,
    }


def _page_url(request: HttpRequest) -> str:
    url = reverse("oteapp:configuration", kwargs={"org_slug": request.organization.slug})
    month = request.GET.get("month")
    return f"{url}?{urlencode({'month': month})}" if month else url


def _done(request: HttpRequest, notice: str, *, at: str, details: tuple[str, ...] | list[str] = ()) -> HttpResponse:
    """After a write: htmx gets the fresh tab with the notice where the person clicked; a plain POST
    is redirected to the page (post/redirect/get) with the notice as a message."""
    if request.htmx:
        context = _context(request, _forms(request), notice=notice, notice_at=at, notice_details=details)
        return trigger_client_event(render_tab(request, TEMPLATE, context), CHANGED_EVENT)
    messages.success(request, notice)
    for detail in details:
        messages.info(request, detail)
    return redirect(_page_url(request))


def _invalid(request: HttpRequest, context: dict) -> HttpResponse:
    return render_tab(request, TEMPLATE, context, status=error_status(request, 422))


@require_safe
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    return render_tab(request, TEMPLATE, _context(request, _forms(request)))


@require_POST
@role_required(CAN_CONFIGURE)
def preview(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The live calculations of the typed values, as out-of-band swaps; saves nothing. Without
    htmx it is the full page with the values and their calculations."""
    forms = _forms(request, data=request.POST)
    forms.is_valid()
    return render_tab(request, TEMPLATE, _context(request, forms, oob=True), partial="preview")


@require_POST
@role_required(CAN_CONFIGURE)
def save(request: HttpRequest, org_slug: str) -> HttpResponse:
    forms = _forms(request, data=request.POST)
    if not forms.is_valid():
        error = "Nothing was saved: fix the values marked below."
        return _invalid(request, _context(request, forms, error=error))
    events = configuration_update(
        organization=request.organization,
        actor=request.user,
        settings=forms.settings_values(),
        roles=forms.role_values(),
    )
    count = len(events)
    notice = f"Configuration saved: {count} value{'' if count == 1 else 's'} changed." if count else "No changes."
    return _done(request, notice, at="save")


@require_POST
@role_required(CAN_CONFIGURE)
def use_recommended(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The "Use this" button: the role's OTE becomes the engine's recommendation for the saved configuration."""
    try:
        role = role_ote_use_recommended(
            organization=request.organization, actor=request.user, role_key=request.POST.get("role", "")
        )
    except UnknownRole:
        raise Http404("No such role.") from None
    except ConfigurationError as error:
        return _invalid(request, _context(request, _forms(request), recommended_error=str(error)))
    return _done(request, f"{role.name}: annual OTE set to {money(role.annual_ote)}.", at="recommended")


@require_POST
@role_required(CAN_CONFIGURE)
def role_add(request: HttpRequest, org_slug: str) -> HttpResponse:
    forms = _forms(request)
    role_form = RoleCreateForm(request.POST, existing_keys={form.role.key for form in forms.roles})
    if role_form.is_valid():
        try:
            role = role_create(organization=request.organization, actor=request.user, **role_form.cleaned_data)
        except ConfigurationError as error:
            role_form.add_error("key", str(error))
        else:
            return _done(request, f"Role {role.name} added: set its OTE, quota and rate above.", at="roles")
    return _invalid(request, _context(request, forms, role_form=role_form))


@require_safe
def export(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The configuration file (version 2.0) as a download; any member may take it."""
    organization = request.organization
    response = HttpResponse(
        config_export_json(organization=organization), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_filename(organization)}"'
    return response


@require_POST
@role_required(CAN_CONFIGURE)
def import_file(request: HttpRequest, org_slug: str) -> HttpResponse:
    import_form = ConfigImportForm(request.POST, request.FILES)
    import_errors: list[str] = []
    if import_form.is_valid():
        try:
            result = configuration_import(
                organization=request.organization,
                actor=request.user,
                data=import_form.cleaned_data["file"].read(),
            )
        except ConfigImportError as error:
            import_errors = error.errors
        else:
            return _done(request, f"Configuration imported: {result.summary()}.", at="import", details=result.notices)
    context = _context(request, _forms(request), import_form=import_form, import_errors=import_errors)
    return _invalid(request, context)


urlpatterns = [
    path("configuration/", page, name="configuration"),
    path("configuration/preview/", preview, name="configuration_preview"),
    path("configuration/save/", save, name="configuration_save"),
    path("configuration/use-recommended/", use_recommended, name="configuration_use_recommended"),
    path("configuration/roles/add/", role_add, name="configuration_role_add"),
    path("configuration/export/", export, name="configuration_export"),
    path("configuration/import/", import_file, name="configuration_import"),
]
