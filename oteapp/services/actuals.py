"""Writes of the Actuals tab: one rep's month of actuals (optimistic concurrency), adding and ending reps,
and applying an actuals CSV. Keyword-only, explicit organization; every change is audited and asks for the
affected snapshots to be recomputed."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from accounts.models import Organization, User
from oteapp.files.actuals_csv import actuals_csv_import, actuals_records_import
from oteapp.files.configuration import ImportResult
from oteapp.jobs.snapshots import snapshots_refresh_request
from oteapp.models import MonthlyActual, Rep, RoleKind, SalesRole
from oteapp.months import format_month, month_end
from oteapp.number_format import NumberTextError, parse_number
from oteapp.payouts.selectors import approved_months_among
from oteapp.services.audit import audit_changes
from oteapp.webhooks.events import actuals_changed_request

ACTION_ACTUAL_UPDATE = "actual_update"
ACTION_ACTUAL_REMOVE = "actual_remove"
ACTION_REP_CREATE = "rep_create"
ACTION_REP_END = "rep_end"
MAX_NAME_LENGTH = 200
CENT = Decimal("0.01")


@dataclass(frozen=True)
class ActualField:
    """One editable unit field of a role kind. `blank_means` explains what an empty cell stands for (the engine
    then derives the value); None marks a role's own unit, whose blank counts as none in a report. A cleared cell is
    stored blank, never as 0: only a typed 0 is a zero."""

    name: str
    label: str
    blank_means: str | None = None
    money: bool = False

    @property
    def limit(self) -> Decimal:
        # MonthlyActual columns: units max_digits=12, money max_digits=14, both with 2 decimals.
        return Decimal(10) ** (12 if self.money else 10)


KIND_FIELDS: dict[str, tuple[ActualField, ...]] = {
    RoleKind.CLOSER: (
        ActualField("deals", "Deals"),
        ActualField("revenue", "Revenue", blank_means="deals × deal value", money=True),  # noqa: RUF001
    ),
    RoleKind.SETTER: (
        ActualField("meetings", "Meetings"),
        ActualField("deals", "Sourced deals", blank_means="meetings × meeting-to-deal rate"),  # noqa: RUF001
    ),
    RoleKind.MANAGER: (ActualField("team_deals", "Team deals", blank_means="all closers' deals"),),
}


class ActualConflict(Exception):
    """The row changed since the editor loaded it (its version moved on); nothing was written.
    `current` is the row as it is now, for the editor to compare with their values."""

    def __init__(self, current: MonthlyActual | None) -> None:
        self.current = current
        super().__init__("These actuals were changed by someone else since you loaded them.")


def actual_fields(kind: str) -> tuple[ActualField, ...]:
    return KIND_FIELDS[kind]


def actual_value_problem(value: Decimal | None, field: ActualField) -> str | None:
    """Why `value` cannot be stored in `field`, or None. Shared by the grid's form and the service."""
    if value is None:
        return None
    if not isinstance(value, Decimal) or not value.is_finite():
        return "Enter a number."
    if value < 0:
        return "Can't be negative."
    if value >= field.limit:  # first: the places check below must not meet an astronomic exponent
        return f"Must be less than {field.limit:,}."
    if value != value.quantize(CENT):
        return "Use at most 2 decimal places."
    return None


def actual_value_parse(text: str, field: ActualField) -> Decimal | None:
    """A cell as typed ("6", "2.5", "$10,500") → Decimal (None when blank); raises ValidationError with the
    cell's message. Read by oteapp.number_format.parse_number, like every number people type."""
    try:
        value = parse_number(text)
    except NumberTextError as error:
        raise ValidationError(str(error), code="invalid") from None
    if value is None:
        return None
    problem = actual_value_problem(value, field)
    if problem:
        raise ValidationError(problem, code="invalid")
    return value


def number_text(value: Decimal | None) -> str:
    """A stored number without trailing zeros ("6.00" → "6"), for inputs and the audit trail."""
    if value is None:
        return ""
    value = value.normalize()
    return format(value.copy_abs() if value == 0 else value, "f")


def rep_active_in(rep: Rep, month: date) -> bool:
    return (rep.start_date is None or rep.start_date <= month_end(month)) and (
        rep.end_date is None or rep.end_date >= month
    )


def row_is_empty(fields: tuple[ActualField, ...], values: dict[str, Decimal | None]) -> bool:
    """Whether a row of these values reports nothing: every cell blank, for a role whose own unit has no blank
    meaning (closers, setters). A manager's blank team deals still report "all closers' deals"."""
    return all(values.get(field.name) is None for field in fields) and any(f.blank_means is None for f in fields)


def _clean_values(fields: tuple[ActualField, ...], values: dict[str, Decimal | None]) -> dict[str, Decimal | None]:
    unknown = set(values) - {field.name for field in fields}
    if unknown:
        raise ValidationError(f"Not a field of this role: {', '.join(sorted(unknown))}.")
    errors: dict[str, str] = {}
    clean: dict[str, Decimal | None] = {}
    for field in fields:
        value = values.get(field.name)
        problem = actual_value_problem(value, field)
        if problem:
            errors[field.name] = problem
        else:
            clean[field.name] = None if value is None else value.quantize(CENT)
    if errors:
        raise ValidationError(errors)
    return clean


def _refuse_approved(*, organization: Organization, month: date) -> None:
    """An approved month's statements are locked (SPEC section 12): its actuals change only once it is reopened."""
    if approved_months_among(organization=organization, months={month}):
        raise ValidationError(f"{format_month(month)} is approved, so its actuals are locked; reopen the month first.")


@transaction.atomic
def actual_record(
    *,
    organization: Organization,
    actor: User | None,
    rep: Rep,
    month: date,
    values: dict[str, Decimal | None],
    expected_version: int,
) -> MonthlyActual:
    """Save one rep's actuals for `month` from the row the editor started from (`expected_version`,
    0 when there was no row yet). `values` holds the role kind's fields (a missing one counts as blank, and a
    blank is stored blank); other columns are left alone. A row left with every cell blank reports nothing: it
    is removed (`actual_remove`) and the rep is missing again. Raises ValidationError (per field) or
    ActualConflict and writes nothing then. An unchanged row is not rewritten and keeps its version; returns
    the row, or None when there is none (anymore)."""
    if rep.organization_id != organization.pk:
        raise ValueError("The rep belongs to another organization.")
    if month.day != 1:
        raise ValueError("A month is the first day of the month.")
    _refuse_approved(organization=organization, month=month)
    fields = actual_fields(rep.role.kind)
    clean = _clean_values(fields, values)
    if row_is_empty(fields, clean):
        actual_remove(organization=organization, actor=actor, rep=rep, month=month, expected_version=expected_version)
        return None

    current = (
        MonthlyActual.objects.select_for_update(of=("self",))
        .select_related("updated_by")
        .filter(organization=organization, rep=rep, month=month)
        .first()
    )
    if current is None:
        if expected_version != 0:
            raise ActualConflict(None)
        if not rep_active_in(rep, month):
            raise ValidationError(f"{rep.name} does not work here in {format_month(month)}.")
        actual = MonthlyActual(organization=organization, rep=rep, month=month, updated_by=actor, **clean)
        try:
            with transaction.atomic():  # a savepoint: a concurrent first save must not break the request
                actual.save(force_insert=True)
        except IntegrityError:
            raise ActualConflict(
                MonthlyActual.objects.select_related("updated_by").get(organization=organization, rep=rep, month=month)
            ) from None
        changes = [(name, None, value) for name, value in clean.items()]
    else:
        if current.version != expected_version:
            raise ActualConflict(current)
        changes = [(name, getattr(current, name), value) for name, value in clean.items()]
        changes = [(name, old, new) for name, old, new in changes if old != new]
        if not changes:
            return current
        actual = current
        for name, _, new in changes:
            setattr(actual, name, new)
        actual.version += 1  # safe: the row is locked until the transaction ends
        actual.updated_by = actor
        actual.save(update_fields=[name for name, _, _ in changes] + ["version", "updated_by", "updated_at"])

    audit_changes(
        organization=organization,
        actor=actor,
        action=ACTION_ACTUAL_UPDATE,
        subject=f"{rep.name} · {format_month(month)}",
        changes=[(name, number_text(old), number_text(new)) for name, old, new in changes],
    )
    snapshots_refresh_request(organization=organization, months=[month])
    actuals_changed_request(organization=organization, months=[month])
    return actual


@transaction.atomic
def actual_remove(
    *, organization: Organization, actor: User | None, rep: Rep, month: date, expected_version: int
) -> None:
    """Mark the rep "not reported" for `month`: their row goes, so the report lists them under missing actuals
    instead of counting them (SPEC section 5). From the version the editor saw, like a save (ActualConflict
    otherwise); audited as `actual_remove` with the values it held. Nothing to do when there is no row."""
    if rep.organization_id != organization.pk:
        raise ValueError("The rep belongs to another organization.")
    _refuse_approved(organization=organization, month=month)
    current = (
        MonthlyActual.objects.select_for_update(of=("self",))
        .select_related("updated_by")
        .filter(organization=organization, rep=rep, month=month)
        .first()
    )
    if current is None:
        if expected_version != 0:
            raise ActualConflict(None)
        return
    if current.version != expected_version:
        raise ActualConflict(current)
    fields = actual_fields(rep.role.kind)
    cleared = [(field.name, number_text(getattr(current, field.name)), "") for field in fields]
    current.delete()
    audit_changes(
        organization=organization,
        actor=actor,
        action=ACTION_ACTUAL_REMOVE,
        subject=f"{rep.name} · {format_month(month)}",
        changes=[("reported", "reported", "not reported"), *cleared],
    )
    snapshots_refresh_request(organization=organization, months=[month])
    actuals_changed_request(organization=organization, months=[month])


@transaction.atomic
def rep_create(
    *,
    organization: Organization,
    actor: User | None,
    name: str,
    role: SalesRole,
    start_date: date | None = None,
    email: str = "",
) -> Rep:
    """A new rep; names are unique per organization regardless of case. Raises ValidationError per field."""
    name = " ".join(name.split())
    email = email.strip()
    errors: dict[str, str] = {}
    if not name or len(name) > MAX_NAME_LENGTH:
        errors["name"] = f"Enter a name of 1 to {MAX_NAME_LENGTH} characters."
    else:
        existing = Rep.objects.filter(organization=organization, name__iexact=name).values_list("name", flat=True)
        if taken := existing.first():
            errors["name"] = f"There is already a rep named {taken}; use a different name."
    if role.organization_id != organization.pk:
        errors["role"] = "Choose one of your sales roles."
    email_max_length = Rep._meta.get_field("email").max_length
    if len(email) > email_max_length:
        errors["email"] = f"Use an email address of at most {email_max_length} characters."
    elif email:
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = "Enter a valid email address, or leave it blank."
    if errors:
        raise ValidationError(errors)

    rep = Rep(organization=organization, role=role, name=name, start_date=start_date, email=email)
    try:
        with transaction.atomic():
            rep.save(force_insert=True)
    except IntegrityError:  # created concurrently with the same name
        raise ValidationError({"name": f"There is already a rep named {name}; use a different name."}) from None
    audit_changes(
        organization=organization,
        actor=actor,
        action=ACTION_REP_CREATE,
        subject=f"rep {name}",
        changes=[
            ("name", None, name),
            ("role", None, role.key),
            ("start_date", None, start_date.isoformat() if start_date else None),
            ("email", None, email),
        ],
    )
    # A new active rep appears in the months' "missing actuals" lists.
    snapshots_refresh_request(organization=organization, months=None)
    return rep


@transaction.atomic
def rep_end(*, organization: Organization, actor: User | None, rep: Rep, end_date: date) -> Rep:
    """The rep's last day; they drop out of the grids of later months. Refused (ValidationError on
    `end_date`) before their start or when they have actuals in a later month, which would still count."""
    if rep.organization_id != organization.pk:
        raise ValueError("The rep belongs to another organization.")
    if rep.start_date and end_date < rep.start_date:
        raise ValidationError(
            {"end_date": f"{rep.name} started on {rep.start_date.isoformat()}; the end date can't be earlier."}
        )
    later = (
        MonthlyActual.objects.filter(organization=organization, rep=rep, month__gt=end_date)
        .order_by("month")
        .values_list("month", flat=True)
        .first()
    )
    if later is not None:
        raise ValidationError(
            {"end_date": f"{rep.name} has actuals for {format_month(later)}; choose an end date in or after it."}
        )
    old = rep.end_date
    if old == end_date:
        return rep
    rep.end_date = end_date
    rep.save(update_fields=["end_date"])
    audit_changes(
        organization=organization,
        actor=actor,
        action=ACTION_REP_END,
        subject=f"rep {rep.name}",
        changes=[("end_date", old.isoformat() if old else None, end_date.isoformat())],
    )
    snapshots_refresh_request(organization=organization, months=None)
    return rep


@transaction.atomic
def actuals_file_apply(*, organization: Organization, actor: User | None, data: str) -> ImportResult:
    """Apply an actuals CSV (all or nothing, audited by the importer) and refresh the months it covers.
    Raises the importer's ActualsImportError, with line and column, when the file is refused."""
    result = actuals_csv_import(organization=organization, data=data, actor=actor)
    snapshots_refresh_request(organization=organization, months=result.months)
    actuals_changed_request(organization=organization, months=result.months)
    return result


@transaction.atomic
def actuals_records_apply(
    *, organization: Organization, actor: User | None, records: Sequence[Mapping[str, str]]
) -> ImportResult:
    """The API's bulk upsert: records with the actuals file's columns go through the file's import (all or nothing,
    the same checks and audit), and the months they cover are refreshed. Raises ActualsImportError naming
    rows[index].column."""
    result = actuals_records_import(organization=organization, records=records, actor=actor)
    snapshots_refresh_request(organization=organization, months=result.months)
    actuals_changed_request(organization=organization, months=result.months)
    return result
