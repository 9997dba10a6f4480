"""The Configuration tab: settings and roles with live calculations, the recommended OTE table with the other
ways to align a role (its rate or its quota), new roles, and the export and import of the configuration file.

A save carries the configuration version the page showed: when someone else saved in the meantime, nothing is
written and the page shows their values under the typed ones (as the actuals grid does). "Use this" on an
alignment shows the change (now → after) to confirm first; its POST carries the version it showed.

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
from django.core import signing
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.functional import SimpleLazyObject
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import trigger_client_event

from accounts.models import Organization
from accounts.permissions import CAN_CONFIGURE, role_required
from oteapp import engine
from oteapp.engine.numbers import MONEY, quantize
from oteapp.files.configuration import ConfigImportError, ConfigPreview, config_export_json, decimal_text
from oteapp.forms.configuration import ConfigImportForm, ConfigurationForms, RoleCreateForm, RoleForm, error_lines
from oteapp.models import Rep, SalesRole
from oteapp.number_format import currency_override
from oteapp.selectors import organization_roles, organization_settings_get, rep_plans_get, role_reps
from oteapp.services.configuration import (
    ALIGNABLE_FIELDS,
    UNALIGNABLE,
    ConfigurationConflict,
    ConfigurationError,
    ImportPreviewChanged,
    RoleInUse,
    UnknownRole,
    configuration_import,
    configuration_import_preview,
    configuration_update,
    role_align,
    role_alignment,
    role_create,
    role_delete,
)
from oteapp.templatetags.ote import money, pct
from oteapp.templatetags.ote_read import qty
from oteapp.views.common import (
    CONFIRM_TEMPLATE,
    Confirmation,
    ProposedChange,
    conflict_text,
    error_status,
    render_tab,
    selected_month,
)

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


ALIGN_LABELS = {"annual_ote": "Annual OTE", "commission_rate": "Commission rate", "monthly_quota": "Monthly quota"}
ALIGN_NOUNS = {"annual_ote": "annual OTE", "commission_rate": "commission rate", "monthly_quota": "monthly quota"}
ALIGN_INTROS = {
    "annual_ote": "The OTE that the current commission rate and quota pay at exactly 100% of quota.",
    "commission_rate": "The commission rate that pays the current OTE at exactly 100% of quota.",
    "monthly_quota": "The quota at which the current commission rate pays the current OTE.",
}


@dataclass(frozen=True)
class Alignment:
    """One way to align a role (its OTE, rate or quota), as the recommended table offers it."""

    field: str
    value: Decimal | None  # None: the economics cannot give one
    current: Decimal

    @property
    def in_use(self) -> bool:
        return self.value is not None and self.value == self.current

    @property
    def usable(self) -> bool:
        return self.value is not None and not self.in_use


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
    rate: Alignment  # the commission rate that pays the current OTE at quota
    quota: Alignment  # the quota at which the current rate pays the current OTE

    @property
    def usable(self) -> bool:
        return self.annual_ote > 0 and not self.in_use

    @property
    def alignments(self) -> tuple[Alignment, Alignment]:
        return self.rate, self.quota


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


def _value_text(field: str, value: Decimal, unit: str) -> str:
    """An aligned value as the confirmation shows it (in the active currency for money)."""
    if field == "annual_ote":
        return money(value)
    if field == "commission_rate":
        return f"{decimal_text(value)} ({pct(value, 2)})"
    return f"{qty(value)} {unit}"


def _recommendations(
    report: engine.Report, config: engine.OrgConfig, forms: ConfigurationForms
) -> list[Recommendation]:
    saved = {role.key: role for role in forms.saved_config.roles}
    unit_names = {form.role.key: form.unit for form in forms.roles}
    rows = []
    for role in report.roles:
        annual = quantize(role.recommended_annual_ote, MONEY)
        current = saved[role.key].annual_ote if role.key in saved else Decimal(0)
        aligned = role_alignment(config.role(role.key), config)
        rows.append(
            Recommendation(
                key=role.key,
                name=role.name,
                unit=unit_names.get(role.key, "units"),
                annual_ote=annual,
                monthly_ote=engine.monthly_ote(replace(config.role(role.key), annual_ote=role.recommended_annual_ote)),
                monthly_quota=role.monthly_quota,
                commission_per_unit=role.configured_commission_per_unit,
                current_annual_ote=current,
                in_use=annual == current,
                rate=Alignment("commission_rate", aligned.commission_rate, config.role(role.key).commission_rate),
                quota=Alignment("monthly_quota", aligned.monthly_quota, config.role(role.key).monthly_quota),
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
    with currency_override(forms.saved_config.currency):  # the notices' and alignments' figures
        return _page_figures(request, forms, role_form=role_form, import_form=import_form, **extra)


def _page_figures(
    request: HttpRequest,
    forms: ConfigurationForms,
    *,
    role_form: RoleCreateForm | None,
    import_form: ConfigImportForm | None,
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
        "align_url": reverse("oteapp:configuration_align", kwargs={"org_slug": request.organization.slug}),
        # Only the whole tab shows the reps' plans; the live preview of the role inputs never reads them.
        "rep_plans": SimpleLazyObject(
            lambda: rep_plans_get(organization=request.organization, month=month_choice.month)
        ),
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
    try:
        events = configuration_update(
            organization=request.organization,
            actor=request.user,
            settings=forms.settings_values(),
            roles=forms.role_values(),
            expected_version=request.POST.get("version") or None,
        )
    except ConfigurationConflict as conflict:
        # The typed values stay; the saved ones are shown under those that differ, and the version moves on, so
        # saving again replaces them knowingly.
        forms = ConfigurationForms(settings=conflict.settings, roles=list(conflict.roles.values()), data=request.POST)
        forms.is_valid()
        forms.mark_saved_values()
        error = conflict_text(conflict, doing="editing")
        error += " The saved values are shown under yours; Save again to replace them."
        context = _context(request, forms, error=error)
        return render_tab(request, TEMPLATE, context, status=error_status(request, 409))
    count = len(events)
    notice = f"Configuration saved: {count} value{'' if count == 1 else 's'} changed." if count else "No changes."
    return _done(request, notice, at="save")


def _align_confirmation(request: HttpRequest, role_key: str, field: str, *, error: str = "") -> Confirmation | None:
    """The change "Use this" makes, to confirm; None when the economics give no value (or the role is unknown)."""
    forms = _forms(request)
    config = forms.saved_config
    try:
        role = config.role(role_key)
    except KeyError:
        raise Http404("No such role.") from None
    new = role_alignment(role, config).value(field)
    if new is None:
        return None
    unit = next(form.unit for form in forms.roles if form.role.key == role_key)
    old = getattr(role, field)
    label = ALIGN_LABELS[field]
    page = _page_url(request)
    month = request.GET.get("month")
    return Confirmation(
        title=f"Change the {role.name} {ALIGN_NOUNS[field]}?",
        intro=ALIGN_INTROS[field] + " Nothing else changes.",
        changes=[ProposedChange(role.name, label, _value_text(field, old, unit), _value_text(field, new, unit))],
        action=reverse("oteapp:configuration_align", kwargs={"org_slug": request.organization.slug})
        + (f"?{urlencode({'month': month})}" if month else ""),
        fields=[("role", role_key), ("field", field), ("version", forms.version)],
        button=f"Set the {ALIGN_NOUNS[field]} to {_value_text(field, new, unit)}",
        cancel=page,
        notes=("Closed months keep the figures they were frozen with.",),
        error=error,
    )


def _confirm_context(request: HttpRequest, confirmation: Confirmation) -> dict:
    return {"active_tab": "configuration", "month_choice": selected_month(request), "confirmation": confirmation}


def _align_field(request: HttpRequest) -> str:
    field = (request.POST if request.method == "POST" else request.GET).get("field", "annual_ote")
    if field not in ALIGNABLE_FIELDS:
        raise Http404("No such value to align.")
    return field


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(CAN_CONFIGURE)
def align(request: HttpRequest, org_slug: str) -> HttpResponse:
    """ "Use this": set a role's OTE, commission rate or quota to the value that pays its OTE at exactly 100% of
    quota. GET shows the change (now → after) to confirm and changes nothing; POST makes it, computed again from the
    saved configuration (the client never supplies the amount), from the version the confirmation showed."""
    field = _align_field(request)
    data = request.POST if request.method == "POST" else request.GET
    role_key = data.get("role", "")
    if not role_key and request.method != "POST":
        return redirect(_page_url(request))  # nothing to confirm: the table offers each role's "Use this"
    currency = organization_settings_get(organization=request.organization).currency
    with currency_override(currency):
        if request.method != "POST":
            confirmation = _align_confirmation(request, role_key, field)
            if confirmation is None:
                return _invalid(request, _context(request, _forms(request), recommended_error=UNALIGNABLE[field]))
            return render_tab(request, CONFIRM_TEMPLATE, _confirm_context(request, confirmation))
        try:
            role, old, new = role_align(
                organization=request.organization,
                actor=request.user,
                role_key=role_key,
                field=field,
                expected_version=data.get("version") or None,
            )
        except UnknownRole:
            raise Http404("No such role.") from None
        except ConfigurationConflict as conflict:
            error = conflict_text(conflict, doing="deciding") + " Here is the change with today's values."
            confirmation = _align_confirmation(request, role_key, field, error=error)
            if confirmation is None:
                return _invalid(request, _context(request, _forms(request), recommended_error=error))
            context = _confirm_context(request, confirmation)
            return render_tab(request, CONFIRM_TEMPLATE, context, status=error_status(request, 409))
        except ConfigurationError as error:
            return _invalid(request, _context(request, _forms(request), recommended_error=str(error)))
        unit = engine.UNIT_NOUNS.get(role.kind, "units")
        notice = (
            f"{role.name}: {ALIGN_NOUNS[field]} set from {_value_text(field, old, unit)} "
            f"to {_value_text(field, new, unit)}."
        )
    return _done(request, notice, at="recommended")


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


def _delete_confirmation(request: HttpRequest, role: SalesRole, version: str, *, error: str = "") -> Confirmation:
    kwargs = {"org_slug": request.organization.slug, "role_key": role.key}
    url = reverse("oteapp:configuration_role_delete", kwargs=kwargs)
    month = request.GET.get("month")
    return Confirmation(
        title=f"Delete the role {role.name}?",
        intro="No rep, active or ended, belongs to it. Nothing else changes.",
        changes=[ProposedChange(role.name, "Role", f"{role.key} ({role.get_kind_display().lower()})", "deleted")],
        action=url + (f"?{urlencode({'month': month})}" if month else ""),
        fields=[("version", version)],
        button=f"Delete {role.name}",
        cancel=_page_url(request),
        notes=("Closed months keep the role in the configuration they were frozen with.",),
        error=error,
    )


def _role_refused(request: HttpRequest, role_key: str, message: str) -> HttpResponse:
    context = _context(request, _forms(request), role_error_key=role_key, role_error=message)
    return render_tab(request, TEMPLATE, context, status=error_status(request, 409))


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(CAN_CONFIGURE)
def role_delete_view(request: HttpRequest, org_slug: str, role_key: str) -> HttpResponse:
    """GET: the deletion to confirm, or why the role cannot be deleted (the reps that belong to it). POST: delete it,
    from the configuration version the confirmation showed (SPEC section 14)."""
    forms = _forms(request)
    role = next((form.role for form in forms.roles if form.role.key == role_key), None)
    if role is None:
        raise Http404("No such role.")
    if request.method != "POST":
        reps = role_reps(organization=request.organization, role=role)
        if reps:
            return _role_refused(request, role_key, str(RoleInUse(role, reps)))
        confirmation = _delete_confirmation(request, role, forms.version)
        return render_tab(request, CONFIRM_TEMPLATE, _confirm_context(request, confirmation))
    try:
        role_delete(
            organization=request.organization,
            actor=request.user,
            role_key=role_key,
            expected_version=request.POST.get("version") or None,
        )
    except UnknownRole:
        raise Http404("No such role.") from None
    except ConfigurationConflict as conflict:
        error = conflict_text(conflict, doing="deciding") + " Check the configuration before deleting the role."
        return _role_refused(request, role_key, error)
    except ConfigurationError as error:  # reps belong to it now, or it is the last role
        return _role_refused(request, role_key, str(error))
    return _done(request, f"Role {role.name} deleted.", at="roles")


@require_safe
@role_required(CAN_CONFIGURE)
def export(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The configuration file (version 2.0) as a download. It lists the reps with their emails, so only those who
    may change the configuration take it; every member keeps the report downloads."""
    organization = request.organization
    response = HttpResponse(
        config_export_json(organization=organization), content_type="application/json; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_export_filename(organization)}"'
    return response


IMPORT_PREVIEW_TEMPLATE = "oteapp/configuration/import_preview.html"
IMPORT_TOKEN_MAX_AGE = 60 * 60
PREVIEW_ROWS_SHOWN = 300


def _import_salt(request: HttpRequest) -> str:
    # The signed copy of the file only replays for the same organization and person.
    return f"oteapp.files.configuration:{request.organization.pk}:{request.user.pk}"


def _import_preview_context(
    request: HttpRequest, preview: ConfigPreview, text: str, version: str, *, error: str = ""
) -> dict:
    # The previewed file, signed, carried to "Apply" with the configuration version and the change set it showed.
    token = signing.dumps(
        {"json": text, "version": version, "preview": preview.fingerprint()}, salt=_import_salt(request), compress=True
    )
    return {
        "active_tab": "configuration",
        "month_choice": selected_month(request),
        "month_query": f"?month={selected_month(request).param}",
        "preview": preview,
        "shown": {
            name: getattr(preview, name)[:PREVIEW_ROWS_SHOWN]
            for name in ("settings", "role_changes", "rep_changes", "reps_to_create")
        },
        "more": {
            name: max(0, len(getattr(preview, name)) - PREVIEW_ROWS_SHOWN)
            for name in ("settings", "role_changes", "rep_changes", "reps_to_create")
        },
        "token": token,
        "error": error,
        "plan_fields": Rep.PLAN_FIELDS,  # a rep's figure left blank is the role's
    }


@require_POST
@role_required(CAN_CONFIGURE)
def import_file(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Check the file and show every change it would make (settings, roles added, changed or deleted, reps added
    or changed); nothing is written until the preview is applied."""
    import_form = ConfigImportForm(request.POST, request.FILES)
    import_errors: list[str] = []
    if import_form.is_valid():
        data = import_form.cleaned_data["file"].read()
        try:
            preview = configuration_import_preview(organization=request.organization, data=data)
        except ConfigImportError as error:
            import_errors = error.errors
        else:
            text = data.decode("utf-8-sig")  # accepted by the preview, so it decodes
            context = _import_preview_context(request, preview, text, _forms(request).version)
            return render_tab(request, IMPORT_PREVIEW_TEMPLATE, context)
    context = _context(request, _forms(request), import_form=import_form, import_errors=import_errors)
    return _invalid(request, context)


@require_POST
@role_required(CAN_CONFIGURE)
def import_apply(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Apply the previewed file (the server's signed copy of it), from the configuration version and the change set
    the preview showed; when either moved on, nothing is written and the preview is shown again as it is now."""
    try:
        payload = signing.loads(request.POST.get("token", ""), salt=_import_salt(request), max_age=IMPORT_TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        errors = ["This preview is more than an hour old; import the file again."]
    except signing.BadSignature:
        errors = ["This preview could not be verified; import the file again."]
    else:
        text = payload["json"]
        try:
            result = configuration_import(
                organization=request.organization,
                actor=request.user,
                data=text,
                expected_version=payload["version"],
                expected_preview=payload["preview"],
            )
        except (ConfigurationConflict, ImportPreviewChanged) as changed:
            if isinstance(changed, ConfigurationConflict):
                error = conflict_text(changed, doing="reviewing the file")
            else:
                error = str(changed) + " Nothing was saved."
            try:
                preview = configuration_import_preview(organization=request.organization, data=text)
            except ConfigImportError as refused:
                errors = [error, *refused.errors]
            else:
                context = _import_preview_context(request, preview, text, _forms(request).version, error=error)
                return render_tab(request, IMPORT_PREVIEW_TEMPLATE, context, status=error_status(request, 409))
        except ConfigImportError as refused:
            errors = refused.errors
        else:
            return _done(request, f"Configuration imported: {result.summary()}.", at="import", details=result.notices)
    context = _context(request, _forms(request), import_errors=errors)
    return render_tab(request, TEMPLATE, context, status=error_status(request, 400))


urlpatterns = [
    path("configuration/", page, name="configuration"),
    path("configuration/preview/", preview, name="configuration_preview"),
    path("configuration/save/", save, name="configuration_save"),
    path("configuration/align/", align, name="configuration_align"),
    path("configuration/roles/add/", role_add, name="configuration_role_add"),
    path("configuration/roles/<slug:role_key>/delete/", role_delete_view, name="configuration_role_delete"),
    path("configuration/export/", export, name="configuration_export"),
    path("configuration/import/", import_file, name="configuration_import"),
    path("configuration/import/apply/", import_apply, name="configuration_import_apply"),
]
