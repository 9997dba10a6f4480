"""/api/v1/: the operations of SPEC section 16. Thin: they read through the selectors and write through the same
services as the pages (the same checks, audit and snapshot refresh); the key names the organization.

Why django-ninja rather than DRF + drf-spectacular: the schemas are the type hints (pydantic), so the OpenAPI
document (3.1) cannot drift from the code that parses requests; it is one dependency instead of two, fits our
function-based services without serializers or viewsets.
"""

import base64
import binascii
import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI

from oteapp import engine
from oteapp.api.auth import ApiKeyAuth, write_scope_required
from oteapp.api.idempotency import idempotent_write
from oteapp.api.json import json_response
from oteapp.api.problems import (
    PROBLEM_CONTENT_TYPE,
    ApiProblem,
    JsonBodyParser,
    import_errors,
    install_problem_handlers,
    invalid,
)
from oteapp.api.schemas import (
    ActualPage,
    ActualsUpsert,
    ActualsUpsertResult,
    ConfigApplied,
    ConfigDocument,
    ConfigPreviewOut,
    Payroll,
    Problem,
    RepCreate,
    Report,
    RepOut,
    RepPage,
    RepUpdate,
    Statements,
)
from oteapp.files.actuals_csv import ActualsImportError
from oteapp.files.configuration import (
    CONFIG_VERSION,
    REP_PLAN_NUMBERS,
    ConfigImportError,
    config_export,
    decimal_text,
    number_parse,
)
from oteapp.files.payroll import payroll_rows
from oteapp.jobs.snapshots import organization_today
from oteapp.models import MonthlyActual, Rep, SalesRole
from oteapp.months import format_month, parse_month
from oteapp.payouts.selectors import payout_month_get, reps_by_id
from oteapp.payouts.services import PayoutError
from oteapp.selectors import month_report_get, organization_settings_get, period_report_get, rep_get
from oteapp.services.actuals import actuals_records_apply, rep_create, rep_end
from oteapp.services.configuration import (
    ConfigurationError,
    ImportPreviewChanged,
    configuration_import,
    configuration_import_preview,
    rep_plan_update,
)


class ProblemDocumentedAPI(NinjaAPI):
    """The OpenAPI document says what the answers are: errors as application/problem+json (RFC 9457)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: dict | None = None):
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in schema["paths"].values():
            for operation in operations.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if int(status) >= 400 and "application/json" in content:
                        content[PROBLEM_CONTENT_TYPE] = content.pop("application/json")
        return schema


api = ProblemDocumentedAPI(
    title="OTE Dashboard API",
    version="1",
    description=(
        "Reports, reps, actuals, configuration, statements and payroll of one organization: the organization of the "
        "API key "
        "(Organization → Integrations). Errors are RFC 9457 problem details (application/problem+json) naming the "
        "field. Each key may make a limited number of requests a minute (429 with Retry-After)."
    ),
    auth=ApiKeyAuth(),
    urls_namespace="api-v1",
    docs_url=None,  # the docs page is the app's own (oteapp/api/docs.py), rendered from this document
    openapi_url="/openapi.json",
    parser=JsonBodyParser(),
)
install_problem_handlers(api)

READ_PROBLEMS = {401: Problem, 404: Problem, 422: Problem, 429: Problem}
WRITE_PROBLEMS = {**READ_PROBLEMS, 400: Problem, 403: Problem, 409: Problem, 413: Problem, 415: Problem}


# --- pagination: opaque cursors over the primary key --------------------------------------------------------------


def _cursor_after(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        after = json.loads(base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)))["after"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        after = None
    if not isinstance(after, int) or after < 0:
        raise invalid([("cursor", "not a cursor of this list; pass next_cursor as it was given")])
    return after


def _cursor(after: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": after}).encode()).decode().rstrip("=")


def _page(queryset: QuerySet, *, cursor: str | None, limit: int) -> tuple[list, str | None]:
    if not 1 <= limit <= settings.API_MAX_PAGE_SIZE:
        raise invalid([("limit", f"must be 1 to {settings.API_MAX_PAGE_SIZE}")])
    items = list(queryset.filter(pk__gt=_cursor_after(cursor)).order_by("pk")[: limit + 1])
    more = len(items) > limit
    items = items[:limit]
    return items, _cursor(items[-1].pk) if more else None


def _month(text: str | None, field: str = "month"):
    if not text:
        raise invalid([(field, "required; use YYYY-MM, e.g. 2026-10")])
    try:
        return parse_month(text)
    except ValueError as exc:
        raise invalid([(field, str(exc))]) from None


def _organization(request: HttpRequest):
    """The key's organization, entered by ApiKeyAuth (tenant managers, row-level security) before the operation."""
    return request.organization


# --- report ---------------------------------------------------------------------------------------------------------


@api.get("/report", response={200: Report, **READ_PROBLEMS}, tags=["report"], summary="A month's or period's report")
def report(request: HttpRequest, month: str | None = None, period: str | None = None) -> HttpResponse:
    """The report contract of SPEC section 6 for `?month=YYYY-MM`, or of section 14 for `?period=` (`YYYY-Qn`,
    `YYYY-ytd`, `YYYY-MM`): the numbers of the Team Performance tab and of `manage.py report`."""
    organization = _organization(request)
    if period is not None and month is not None:
        raise invalid([("period", "give month or period, not both")])
    if period is None:
        first_day = _month(month)
        return json_response(month_report_get(organization=organization, month=first_day).report.to_dict())
    organization_settings = organization_settings_get(organization=organization)
    try:
        chosen = engine.parse_period(
            period,
            fiscal_year_start=organization_settings.fiscal_year_start,
            as_of=organization_today(timezone_name=organization_settings.timezone),
        )
    except ValueError as exc:
        raise invalid([("period", str(exc))]) from None
    return json_response(period_report_get(organization=organization, period=chosen).to_dict())


# --- reps -----------------------------------------------------------------------------------------------------------


def _rep_out(rep: Rep) -> dict[str, Any]:
    return {
        "id": rep.pk,
        "name": rep.name,
        "email": rep.email,
        "role": rep.role.key,
        "start_date": rep.start_date.isoformat() if rep.start_date else None,
        "end_date": rep.end_date.isoformat() if rep.end_date else None,
        "plan": {name: decimal_text(getattr(rep, name)) for name in Rep.PLAN_FIELDS if getattr(rep, name) is not None},
    }


def _field_errors(error: DjangoValidationError) -> list[tuple[str, str]]:
    if hasattr(error, "error_dict"):
        return [(field, message) for field, messages in error.message_dict.items() for message in messages]
    return [("", message) for message in error.messages]


@api.get("/reps", response={200: RepPage, **READ_PROBLEMS}, tags=["reps"], summary="The reps, active and ended")
def reps_list(request: HttpRequest, cursor: str | None = None, limit: int = 100) -> HttpResponse:
    organization = _organization(request)
    reps, next_cursor = _page(
        Rep.objects.filter(organization=organization).select_related("role"), cursor=cursor, limit=limit
    )
    return json_response({"items": [_rep_out(rep) for rep in reps], "next_cursor": next_cursor})


@api.post("/reps", response={201: RepOut, **WRITE_PROBLEMS}, tags=["reps"], summary="Add a rep")
def reps_create(request: HttpRequest, payload: RepCreate) -> HttpResponse:
    write_scope_required(request)
    organization = _organization(request)
    role = SalesRole.objects.filter(organization=organization, key=payload.role).first()
    if role is None:
        keys = ", ".join(SalesRole.objects.filter(organization=organization).values_list("key", flat=True))
        raise invalid([("role", f"unknown role {payload.role!r}; the roles are {keys}")])

    def run() -> tuple[int, dict]:
        try:
            rep = rep_create(
                organization=organization,
                actor=None,
                name=payload.name,
                role=role,
                start_date=payload.start_date,
                email=payload.email,
            )
        except DjangoValidationError as error:
            raise invalid(_field_errors(error)) from None
        return 201, _rep_out(rep)

    return idempotent_write(request, run)


@api.patch("/reps/{rep_id}", response={200: RepOut, **WRITE_PROBLEMS}, tags=["reps"], summary="Change a rep")
def reps_update(request: HttpRequest, rep_id: int, payload: RepUpdate) -> HttpResponse:
    write_scope_required(request)
    organization = _organization(request)
    rep = rep_get(organization=organization, rep_id=rep_id)
    if rep is None:
        raise Http404("No such rep.")
    given = payload.model_fields_set

    def run() -> tuple[int, dict]:
        nonlocal rep
        plan_values = {}
        if "plan" in given and payload.plan is not None:
            errors = []
            for name in payload.plan.model_fields_set:
                value = getattr(payload.plan, name)
                number, problem = (None, None) if value is None else number_parse(value, REP_PLAN_NUMBERS[name])
                if problem:
                    errors.append((f"plan.{name}", problem))
                plan_values[name] = number
            if errors:
                raise invalid(errors)
        try:
            if "end_date" in given and payload.end_date is not None:
                rep = rep_end(organization=organization, actor=None, rep=rep, end_date=payload.end_date)
            if plan_values:
                rep, _ = rep_plan_update(organization=organization, actor=None, rep_id=rep.pk, values=plan_values)
        except DjangoValidationError as error:
            raise invalid(_field_errors(error)) from None
        except ConfigurationError as error:
            raise invalid([("plan", str(error))]) from None
        return 200, _rep_out(rep_get(organization=organization, rep_id=rep.pk))

    return idempotent_write(request, run)


# --- actuals --------------------------------------------------------------------------------------------------------


def _number(value) -> str | None:
    return None if value is None else decimal_text(value)


@api.get("/actuals", response={200: ActualPage, **READ_PROBLEMS}, tags=["actuals"], summary="A month's actuals")
def actuals_list(request: HttpRequest, month: str | None = None, cursor: str | None = None, limit: int = 100):
    organization = _organization(request)
    first_day = _month(month)
    actuals, next_cursor = _page(
        MonthlyActual.objects.filter(organization=organization, month=first_day).select_related("rep__role"),
        cursor=cursor,
        limit=limit,
    )
    items = [
        {
            "id": actual.pk,
            "month": format_month(actual.month),
            "rep_id": actual.rep_id,
            "rep": actual.rep.name,
            "role": actual.rep.role.key,
            "deals": _number(actual.deals),
            "meetings": _number(actual.meetings),
            "team_deals": _number(actual.team_deals),
            "revenue": _number(actual.revenue),
            "version": actual.version,
            "updated_at": actual.updated_at.isoformat(),
        }
        for actual in actuals
    ]
    return json_response({"items": items, "next_cursor": next_cursor})


def _record(row: dict[str, Any]) -> dict[str, str]:
    return {column: "" if value is None else str(value) for column, value in row.items()}


@api.put(
    "/actuals",
    response={200: ActualsUpsertResult, **WRITE_PROBLEMS},
    tags=["actuals"],
    summary="Upsert actuals by rep and month",
)
def actuals_upsert(request: HttpRequest, payload: ActualsUpsert) -> HttpResponse:
    """All or nothing: every row is checked as a line of an actuals file is, and either all are written or none
    (422 naming rows[i].field). Send an `Idempotency-Key` header (e.g. a UUID) to make a retry safe: the same key
    gets the first answer again and writes nothing."""
    write_scope_required(request)
    organization = _organization(request)
    records = [_record(row.model_dump(exclude_unset=True)) for row in payload.rows]

    def run() -> tuple[int, dict]:
        try:
            result = actuals_records_apply(organization=organization, actor=None, records=records)
        except ActualsImportError as error:
            raise invalid(import_errors(error.errors)) from None
        unchanged = len(records) - result.actuals_created - result.actuals_updated
        return 200, {
            "rows": len(records),
            "reps_created": result.reps_created,
            "actuals_created": result.actuals_created,
            "actuals_updated": result.actuals_updated,
            "actuals_unchanged": unchanged,
            "months": [format_month(month) for month in result.months],
        }

    return idempotent_write(request, run)


# --- statements and payroll (SPEC section 12) ------------------------------------------------------------------


@api.get("/statements", response={200: Statements, **READ_PROBLEMS}, tags=["payouts"], summary="A month's statements")
def statements(request: HttpRequest, month: str | None = None) -> HttpResponse:
    """Every rep's statement of `?month=YYYY-MM` (the statements contract of SPEC section 12): the numbers of the
    statement pages and the Payouts tab, and of `manage.py statements --format json`, with the month's state (open,
    closed or approved)."""
    organization = _organization(request)
    first_day = _month(month)
    return json_response(payout_month_get(organization=organization, month=first_day).contract())


def _payroll_row(row: dict[str, Any]) -> dict[str, Any]:
    return {column: str(value) if isinstance(value, Decimal) else value for column, value in row.items()}


@api.get(
    "/payroll",
    response={200: Payroll, **READ_PROBLEMS, 409: Problem},
    tags=["payouts"],
    summary="An approved month's payroll",
)
def payroll(request: HttpRequest, month: str | None = None) -> HttpResponse:
    """The rows of the payroll CSV of `?month=YYYY-MM` (the Payouts tab's export, `manage.py payroll`), money as
    decimal strings with cents. Only an approved month has a payroll: any other answers 409."""
    organization = _organization(request)
    first_day = _month(month)
    payout = payout_month_get(organization=organization, month=first_day)
    reps = reps_by_id(organization=organization, rep_ids={s.rep_id for s in payout.statements.statements})
    try:
        rows = payroll_rows(payout=payout, reps=reps)
    except PayoutError as error:
        raise ApiProblem(
            409, "Month not approved", error.message, type_name="month-not-approved", errors=[("month", error.message)]
        ) from None
    return json_response(
        {"month": format_month(first_day), "currency": payout.currency, "rows": [_payroll_row(r) for r in rows]}
    )


# --- configuration --------------------------------------------------------------------------------------------------


@api.get("/config", response={200: ConfigDocument, **READ_PROBLEMS}, tags=["config"], summary="The configuration")
def config_get(request: HttpRequest) -> HttpResponse:
    """The version 2.0 configuration file (SPEC section 8), as the Configuration tab exports it."""
    return json_response(config_export(organization=_organization(request)))


@api.put(
    "/config",
    response={200: ConfigPreviewOut | ConfigApplied, **WRITE_PROBLEMS},
    tags=["config"],
    summary="Replace the configuration (v2.0)",
)
def config_put(
    request: HttpRequest, payload: ConfigDocument, dry_run: bool = False, expected_preview: str | None = None
) -> HttpResponse:
    """The configuration file's import: checked whole (422 naming the field, nothing changed), applied in one
    transaction and audited. `?dry_run=true` lists what it would change and writes nothing; its `preview` passed
    back as `?expected_preview=` applies only if the file would still make exactly those changes (409 otherwise)."""
    write_scope_required(request)
    organization = _organization(request)
    if payload.version != CONFIG_VERSION:
        raise invalid([("version", f'must be "{CONFIG_VERSION}"; GET /config gives the current file')])
    data = json.dumps(payload.model_dump(exclude_unset=True))
    try:
        if dry_run:
            preview = configuration_import_preview(organization=organization, data=data)
            return json_response(_preview_out(preview))

        def run() -> tuple[int, dict]:
            result = configuration_import(
                organization=organization, actor=None, data=data, expected_preview=expected_preview
            )
            return 200, {
                "dry_run": False,
                "summary": result.summary(),
                "settings_updated": result.settings_updated,
                "roles_created": result.roles_created,
                "roles_updated": result.roles_updated,
                "roles_deleted": result.roles_deleted,
                "reps_created": result.reps_created,
                "reps_updated": result.reps_updated,
                "notices": result.notices,
            }

        return idempotent_write(request, run)
    except ConfigImportError as error:
        raise invalid(import_errors(error.errors)) from None
    except ImportPreviewChanged as error:
        raise ApiProblem(
            409,
            "Preview out of date",
            str(error),
            type_name="preview-changed",
            errors=[("expected_preview", str(error))],
        ) from None


def _preview_out(preview) -> dict[str, Any]:
    changes = [*preview.settings, *preview.role_changes, *preview.rep_changes]
    return {
        "dry_run": True,
        "changes": [
            {"subject": change.subject, "field": change.field, "old": change.old, "new": change.new}
            for change in changes
        ],
        "roles_to_create": preview.roles_to_create,
        "roles_to_delete": [key for key, _ in preview.roles_to_delete],
        "reps_to_create": preview.reps_to_create,
        "notices": preview.notices,
        "preview": preview.fingerprint(),
    }
