"""The Actuals tab (SPEC section 9, screen 2): the month's entry grid, edited one row at a time with htmx,
adding and ending reps, and the CSV upload with a preview of what will change.

Error answers to htmx: htmx 2 does not swap 4xx responses by default, and configuring it needs an inline
script (refused by our CSP) or base-template changes. So htmx requests get the error partial with status 200
and `HX-Reswap`, while browsers without JavaScript and other clients get the real status (422 invalid,
409 conflict) with the full page.
"""

import hashlib
import zoneinfo
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.core import signing
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django_htmx.http import HttpResponseLocation, reswap, trigger_client_event

from accounts.models import Organization
from accounts.permissions import CAN_ENTER_ACTUALS, role_required
from oteapp.files.actuals_csv import (
    ActualsImportError,
    ActualsPreview,
    actuals_csv_preview,
    actuals_csv_text,
    actuals_template_csv,
)
from oteapp.forms.actuals import ActualRowForm, ActualsUploadForm, RepCreateForm, RepEndForm
from oteapp.models import MonthlyActual, Rep, SalesRole
from oteapp.months import format_month, month_end, parse_month
from oteapp.selectors import (
    month_actual_get,
    month_actuals_by_rep,
    month_reps_query,
    month_reps_with_reported,
    organization_roles,
    organization_timezone_get,
    rep_get,
)
from oteapp.services.actuals import (
    ActualConflict,
    ActualField,
    actual_fields,
    actual_record,
    actual_remove,
    actuals_file_apply,
    number_text,
    rep_active_in,
    rep_create,
    rep_end,
)
from oteapp.views.common import MonthChoice, error_status, month_choice_for, render_tab, selected_month

PAGE = "oteapp/actuals/page.html"
UPLOAD = "oteapp/actuals/upload.html"
ACTUALS_CHANGED = "actuals-changed"  # HX-Trigger event after a save; the month's status line listens to it
CSV_TOKEN_MAX_AGE = 60 * 60
PREVIEW_ROWS_SHOWN = 300
MISSING_NAMES_SHOWN = 12


@dataclass
class Cell:
    spec: ActualField
    id: str
    value: str  # what the input shows: the stored value, or what the user typed
    error: str = ""
    current: str | None = None  # after a conflict: the value someone else saved, when it differs


@dataclass
class GridRow:
    rep: Rep
    month: date
    actual: MonthlyActual | None
    cells: list[Cell]
    version: int  # the version the next save starts from (0: no row yet)
    state: str = ""  # "", "saved", "error" or "conflict"
    message: str = ""

    @property
    def dom_id(self) -> str:
        return f"rep-{self.rep.pk}"

    @property
    def form_id(self) -> str:
        return f"actuals-form-{self.rep.pk}"

    @property
    def month_param(self) -> str:
        return format_month(self.month)

    @property
    def active(self) -> bool:
        return rep_active_in(self.rep, self.month)


@dataclass
class RoleGroup:
    role: SalesRole
    fields: tuple[ActualField, ...]
    rows: list[GridRow] = field(default_factory=list)


@dataclass(frozen=True)
class MonthStatus:
    month: date
    reported: int
    missing: list[str]

    @property
    def missing_shown(self) -> list[str]:
        return self.missing[:MISSING_NAMES_SHOWN]

    @property
    def missing_more(self) -> int:
        return max(0, len(self.missing) - MISSING_NAMES_SHOWN)


def _row(
    rep: Rep,
    month: date,
    actual: MonthlyActual | None,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    version: int | None = None,
    state: str = "",
    message: str = "",
) -> GridRow:
    """A grid row; `typed` keeps the user's input over the stored values (after an error or a conflict,
    where `actual` is the row as stored now and each differing value is shown beside the input)."""
    cells = []
    for spec in actual_fields(rep.role.kind):
        stored = number_text(getattr(actual, spec.name)) if actual is not None else ""
        value = stored if typed is None else typed.get(spec.name, "")
        cell = Cell(spec=spec, id=f"r{rep.pk}-{spec.name}", value=value, error=(errors or {}).get(spec.name, ""))
        if state == "conflict" and _differs(value, stored):
            cell.current = stored or "blank"
        cells.append(cell)
    if version is None:
        version = actual.version if actual is not None else 0
    return GridRow(rep=rep, month=month, actual=actual, cells=cells, version=version, state=state, message=message)


def _differs(typed: str, stored: str) -> bool:
    """Whether what was typed is another number than the stored one ("6.0" is not)."""
    typed = typed.strip()
    if not typed or not stored:
        return typed != stored
    try:
        return Decimal(typed) != Decimal(stored)
    except InvalidOperation:
        return True


def _grid(organization: Organization, month: date) -> tuple[list[SalesRole], list[RoleGroup]]:
    """Three queries whatever the number of reps: roles, reps, the month's actuals."""
    roles = organization_roles(organization=organization)
    groups = {role.pk: RoleGroup(role=role, fields=actual_fields(role.kind)) for role in roles}
    actuals = month_actuals_by_rep(organization=organization, month=month)
    for rep in month_reps_query(organization=organization, month=month).order_by("name"):
        group = groups[rep.role_id]
        rep.role = group.role  # no query per row for the role
        group.rows.append(_row(rep, month, actuals.get(rep.pk)))
    return roles, [group for group in groups.values() if group.rows]


def _status_from_rows(month: date, rows: list[GridRow]) -> MonthStatus:
    return MonthStatus(
        month=month,
        reported=sum(1 for row in rows if row.actual is not None),
        missing=[row.rep.name for row in rows if row.actual is None and row.active],
    )


def _page_context(
    request: HttpRequest,
    choice: MonthChoice,
    *,
    override: GridRow | None = None,
    rep_form: RepCreateForm | None = None,
    end_form: RepEndForm | None = None,
) -> dict:
    roles, groups = _grid(request.organization, choice.month)
    if override is not None:
        placed = False
        for group in groups:
            placed = placed or any(row.rep.pk == override.rep.pk for row in group.rows)
            group.rows = [override if row.rep.pk == override.rep.pk else row for row in group.rows]
        if not placed:  # a rep outside this month's grid: say why the save failed above it
            messages.error(request, f"{override.rep.name}: {override.message}")
    rows = sorted((row for group in groups for row in group.rows), key=lambda row: row.rep.name)
    return {
        "active_tab": "actuals",
        "month_choice": choice,
        "groups": groups,
        "status": _status_from_rows(choice.month, rows),
        "end_choices": [row.rep for row in rows if row.active],
        "rep_form": rep_form or RepCreateForm(roles=roles, initial={"start_date": choice.month}),
        "end_form": end_form or RepEndForm(initial={"end_date": month_end(choice.month)}),
        "upload_form": ActualsUploadForm(),
    }


def _grid_url(request: HttpRequest, month: date) -> str:
    url = reverse("oteapp:actuals", kwargs={"org_slug": request.organization.slug})
    return f"{url}?month={format_month(month)}"


def _to_grid(request: HttpRequest, month: date, anchor: str = "") -> HttpResponse:
    """After a write: htmx loads the grid into #tab and pushes its URL; without JS, a plain redirect."""
    url = _grid_url(request, month)
    if request.htmx:
        return HttpResponseLocation(url, target="#tab", swap="outerHTML")
    return redirect(url + anchor)


def _parse_month_or_404(text: str) -> date:
    try:
        return parse_month(text)
    except ValueError:
        raise Http404("No such month.") from None


@require_safe
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    return render_tab(request, PAGE, _page_context(request, selected_month(request)))


@require_safe
def status(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The month's "reported / missing" line, refreshed by the page after each save (one query)."""
    month = selected_month(request).month
    reported, missing = 0, []
    for rep in month_reps_with_reported(organization=request.organization, month=month):
        if rep.reported:
            reported += 1
        elif rep_active_in(rep, month):
            missing.append(rep.name)
    month_status = MonthStatus(month=month, reported=reported, missing=missing)
    response = render(request, f"{PAGE}#status", {"status": month_status})
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def row_save(request: HttpRequest, org_slug: str, rep_id: int, month: str) -> HttpResponse:
    """Save one rep's row of one month from the version it was loaded at."""
    month_date = _parse_month_or_404(month)
    rep = rep_get(organization=request.organization, rep_id=rep_id)
    if rep is None:
        raise Http404("No such rep.")
    fields = actual_fields(rep.role.kind)
    form = ActualRowForm(request.POST, fields=fields)
    typed = {spec.name: request.POST.get(spec.name, "") for spec in fields}
    valid = form.is_valid()
    # An unreadable version counts as "no row yet": saving over an existing row then shows a conflict.
    submitted_version = form.cleaned_data.get("version", 0)
    if valid:
        try:
            actual = actual_record(
                organization=request.organization,
                actor=request.user,
                rep=rep,
                month=month_date,
                values=form.values(),
                expected_version=submitted_version,
            )
        except ActualConflict as conflict:
            message = _conflict_message(request.organization, conflict.current)
            row = _row(rep, month_date, conflict.current, typed=typed, state="conflict", message=message)
            return _row_response(request, row, status=409)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if actual is not None:
                return _row_written(
                    request, rep, month_date, actual, "Saved", f"Saved {rep.name}'s actuals for {month_date:%B %Y}."
                )
            # A row left blank everywhere reports nothing: the rep is (or stays) "not reported".
            return _row_written(
                request,
                rep,
                month_date,
                None,
                "Blank: not reported",
                f"{rep.name}'s row for {month_date:%B %Y} is blank: not reported.",
            )

    errors = {name: " ".join(form.errors[name]) for name in typed if name in form.errors}
    general = [*form.non_field_errors(), *form.errors.get("version", [])]
    message = " ".join(general) or "Not saved: correct the marked values."
    actual = month_actual_get(rep=rep, month=month_date)
    row = _row(
        rep, month_date, actual, typed=typed, errors=errors, version=submitted_version, state="error", message=message
    )
    return _row_response(request, row, status=422)


def _row_written(
    request: HttpRequest, rep: Rep, month: date, actual: MonthlyActual | None, notice: str, sentence: str
) -> HttpResponse:
    """After a write of a row: htmx gets the row with `notice` in its status cell; a plain POST goes back to the
    grid with `sentence` as a message."""
    if not request.htmx:
        messages.success(request, sentence)
        return _to_grid(request, month, anchor=f"#rep-{rep.pk}")
    row = _row(rep, month, actual, state="saved", message=notice)
    response = _row_response(request, row, status=200)
    return trigger_client_event(response, ACTUALS_CHANGED, {"rep": rep.pk, "month": format_month(month)})


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def row_remove(request: HttpRequest, org_slug: str, rep_id: int, month: str) -> HttpResponse:
    """ "Not reported": the rep's row of the month goes (audited), so they count as missing, not as zero. From the
    version the row was loaded at, like a save."""
    month_date = _parse_month_or_404(month)
    rep = rep_get(organization=request.organization, rep_id=rep_id)
    if rep is None:
        raise Http404("No such rep.")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = -1  # unreadable: never the stored version, so it answers as a conflict
    try:
        actual_remove(
            organization=request.organization, actor=request.user, rep=rep, month=month_date, expected_version=version
        )
    except ActualConflict as conflict:
        message = _conflict_message(request.organization, conflict.current)
        row = _row(rep, month_date, conflict.current, state="conflict", message=message)
        return _row_response(request, row, status=409)
    sentence = f"{rep.name} is not reported for {month_date:%B %Y}: listed under missing actuals."
    return _row_written(request, rep, month_date, None, "Marked not reported", sentence)


def _conflict_message(organization: Organization, current: MonthlyActual | None) -> str:
    by = at = ""
    if current is not None:
        by = f" by {current.updated_by.display_name}" if current.updated_by else ""
        # The time as the organization reads it (one query, only on this rare path).
        name = organization_timezone_get(organization=organization)
        try:
            zone = zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        at = f" at {timezone.localtime(current.updated_at, zone):%H:%M}"
    return (
        f"Changed{by}{at} while you were editing, so nothing was saved. "
        "Their values are shown under yours; Save again to replace them."
    )


def _row_response(request: HttpRequest, row: GridRow, *, status: int) -> HttpResponse:
    if request.htmx:
        response = render(request, f"{PAGE}#row", {"row": row}, status=200 if status >= 400 else status)
        return reswap(response, "outerHTML")
    context = _page_context(request, month_choice_for(request, row.month), override=row)
    return render_tab(request, PAGE, context, status=status)


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def rep_create_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    choice = selected_month(request)
    form = RepCreateForm(request.POST, roles=organization_roles(organization=request.organization))
    if form.is_valid():
        data = form.cleaned_data
        try:
            rep = rep_create(
                organization=request.organization,
                actor=request.user,
                name=data["name"],
                role=form.chosen_role(),
                start_date=data["start_date"],
                email=data["email"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            note = ""
            if not rep_active_in(rep, choice.month):
                note = f" They appear in the grid from {rep.start_date:%B %Y}."
            messages.success(request, f"Added {rep.name} ({form.chosen_role().name}).{note}")
            return _to_grid(request, choice.month, anchor=f"#rep-{rep.pk}")
    context = _page_context(request, choice, rep_form=form)
    return render_tab(request, PAGE, context, status=error_status(request, 422))


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def rep_end_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    choice = selected_month(request)
    form = RepEndForm(request.POST)
    if form.is_valid():
        rep = rep_get(organization=request.organization, rep_id=form.cleaned_data["rep"])
        if rep is None:
            raise Http404("No such rep.")
        end_date = form.cleaned_data["end_date"]
        try:
            rep_end(organization=request.organization, actor=request.user, rep=rep, end_date=end_date)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, f"{rep.name}'s last day is {end_date.day} {end_date:%B %Y}.")
            return _to_grid(request, choice.month)
    context = _page_context(request, choice, end_form=form)
    return render_tab(request, PAGE, context, status=error_status(request, 422))


# --- CSV upload -----------------------------------------------------------------------------------------


def _csv_salt(request: HttpRequest) -> str:
    # The signed copy of the file only replays for the same organization and person.
    return f"oteapp.files.actuals_csv:{request.organization.pk}:{request.user.pk}"


def _plan_fingerprint(preview: ActualsPreview) -> str:
    """What the preview promised; apply refuses to run a different change set without a new look."""
    return hashlib.sha256(repr((preview.changes, preview.reps_to_create, preview.rows)).encode()).hexdigest()


@dataclass(frozen=True)
class ChangeLine:
    """One planned change of an upload, as the preview shows it."""

    rep: str
    month: str  # "" for a rep's own field
    field: str
    old: str  # "" when blank
    new: str


def _change_text(value: Decimal | date | None) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return number_text(value)


def _change_lines(preview: ActualsPreview) -> list[ChangeLine]:
    return [
        ChangeLine(
            rep=change.rep,
            month=format_month(change.month) if change.month else "",
            field=change.field.replace("_", " "),
            old=_change_text(change.old),
            new=_change_text(change.new),
        )
        for change in preview.changes[:PREVIEW_ROWS_SHOWN]
    ]


def _upload_context(
    request: HttpRequest,
    choice: MonthChoice,
    *,
    form: ActualsUploadForm | None = None,
    errors: list[str] | None = None,
    preview: ActualsPreview | None = None,
    text: str = "",
    notice: str = "",
) -> dict:
    signed_file = ""  # the previewed file, signed, carried to "Apply" (never a client-side change set)
    if preview is not None:
        signed_file = signing.dumps(
            {"csv": text, "plan": _plan_fingerprint(preview)}, salt=_csv_salt(request), compress=True
        )
    return {
        "active_tab": "actuals",
        "month_choice": choice,
        "month_selector_url": reverse("oteapp:actuals_upload", kwargs={"org_slug": request.organization.slug}),
        "upload_form": form or ActualsUploadForm(),
        "errors": errors or [],
        "preview": preview,
        "changes_shown": _change_lines(preview) if preview else [],
        "changes_more": max(0, len(preview.changes) - PREVIEW_ROWS_SHOWN) if preview else 0,
        "token": signed_file,
        "notice": notice,
    }


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(CAN_ENTER_ACTUALS)
def upload(request: HttpRequest, org_slug: str) -> HttpResponse:
    """GET: the upload form. POST: check the file and show what it would change; nothing is written."""
    choice = selected_month(request)
    if request.method != "POST":
        return render_tab(request, UPLOAD, _upload_context(request, choice))
    form = ActualsUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        context = _upload_context(request, choice, form=form)
        return render_tab(request, UPLOAD, context, status=error_status(request, 422))
    data = form.cleaned_data["file"]
    try:
        text = actuals_csv_text(data)  # a workbook becomes the CSV of its first sheet, once
        preview = actuals_csv_preview(organization=request.organization, data=text)
    except ActualsImportError as error:
        context = _upload_context(request, choice, form=form, errors=error.errors)
        return render_tab(request, UPLOAD, context, status=error_status(request, 422))
    return render_tab(request, UPLOAD, _upload_context(request, choice, preview=preview, text=text))


@require_safe
@role_required(CAN_ENTER_ACTUALS)
def template_csv(request: HttpRequest, org_slug: str) -> HttpResponse:
    """The month's reps as an actuals CSV to fill in (and upload back)."""
    choice = selected_month(request)
    text = actuals_template_csv(organization=request.organization, month=choice.month)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    filename = f"{request.organization.slug}-actuals-{choice.param}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def upload_apply(request: HttpRequest, org_slug: str) -> HttpResponse:
    """Apply the previewed file: the server's signed copy of it, never a change set sent by the browser."""
    choice = selected_month(request)
    try:
        payload = signing.loads(request.POST.get("token", ""), salt=_csv_salt(request), max_age=CSV_TOKEN_MAX_AGE)
    except signing.SignatureExpired:
        errors = ["This preview is more than an hour old; upload the file again."]
    except signing.BadSignature:
        errors = ["This preview could not be verified; upload the file again."]
    else:
        text = payload["csv"]
        try:
            preview = actuals_csv_preview(organization=request.organization, data=text)
            if _plan_fingerprint(preview) != payload["plan"]:
                notice = "The stored data changed since your preview; check the changes again before applying."
                context = _upload_context(request, choice, preview=preview, text=text, notice=notice)
                return render_tab(request, UPLOAD, context, status=error_status(request, 409))
            result = actuals_file_apply(organization=request.organization, actor=request.user, data=text)
        except ActualsImportError as error:
            errors = error.errors
        else:
            messages.success(request, f"CSV applied: {result.summary()}.")
            for notice in result.notices:
                messages.info(request, notice)
            return _to_grid(request, min(result.months, default=choice.month))
    context = _upload_context(request, choice, errors=errors)
    return render_tab(request, UPLOAD, context, status=error_status(request, 400))


urlpatterns = [
    path("actuals/", page, name="actuals"),
    path("actuals/status/", status, name="actuals_status"),
    path("actuals/rows/<int:rep_id>/<str:month>/", row_save, name="actuals_row"),
    path("actuals/rows/<int:rep_id>/<str:month>/remove/", row_remove, name="actuals_row_remove"),
    path("actuals/reps/new/", rep_create_view, name="actuals_rep_create"),
    path("actuals/reps/end/", rep_end_view, name="actuals_rep_end"),
    path("actuals/upload/", upload, name="actuals_upload"),
    path("actuals/upload/apply/", upload_apply, name="actuals_upload_apply"),
    path("actuals/template.csv", template_csv, name="actuals_template"),
]
