"""Actuals CSV import (SPEC section 8): `month,rep,role,deals,meetings,team_deals,revenue,start_date`.

The whole file is parsed and checked first; the change set is then computed against this organization's
rows only and applied in one transaction, with a constant number of queries whatever the number of rows.
Rules where the SPEC is silent:
- `month`, `rep` and `role` are required columns; the others may be left out, and a column left out keeps
  the stored values (a new row starts blank). A blank cell means "no value" and clears a stored one.
- What spreadsheets and CRMs export is read as long as it can be read one way only (issue 17 item 6): column
  names ignore case, spaces, `_` and `-` ("Team deals" is team_deals) and their order is free; a role is its
  key or its display name in any case ("Closers" is closer); numbers may have thousands separators and a
  currency sign ("$10,500"); Excel's UTF-8 byte-order mark is skipped, and its `;` delimiter is used when the
  header line has semicolons and no comma; an Excel workbook (.xlsx) is read as its first sheet, a date in
  the month column as its month. An unknown column is refused (usually a typo), and so is whatever could be
  read two ways ("1.234,50", a name that is one role's key and another's display name), naming line and column.
- A known rep keeps its role (the `role` cell may be blank for one); an unknown rep is created in the role.
- `start_date` sets the rep's start date (for ramp); blank keeps the stored one.
- A row equal to the stored one is not rewritten and its version is not bumped.
"""

import csv
import io
import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from accounts.models import Organization, User
from accounts.text import text_problem
from oteapp.files.configuration import (
    MAX_ERRORS_LISTED,
    MONEY,
    UNITS,
    FileImportError,
    ImportResult,
    date_parse,
    decimal_text,
    import_size_problem,
    number_parse,
    require_organization_context,
    shown,
)
from oteapp.files.csv_writer import FORMULA_TRIGGERS, CsvWriter, csv_text
from oteapp.files.spreadsheet import SpreadsheetError, is_xlsx, xlsx_rows
from oteapp.models import MonthlyActual, OrganizationSettings, Rep, SalesRole
from oteapp.months import format_month, parse_month
from oteapp.number_format import NumberTextError, parse_number
from oteapp.payouts.selectors import approved_months_among
from oteapp.selectors import month_actuals_by_rep, month_reps_query
from oteapp.services.audit import audit_events_create

COLUMNS = ("month", "rep", "role", "deals", "meetings", "team_deals", "revenue", "start_date")
REQUIRED_COLUMNS = ("month", "rep", "role")
VALUE_COLUMNS = {"deals": UNITS, "meetings": UNITS, "team_deals": UNITS, "revenue": MONEY}
AUDIT_ACTION = "actuals_import"
MAX_NAME_LENGTH = 200


class ActualsImportError(FileImportError):
    """The CSV file is refused as a whole."""


@dataclass(frozen=True)
class PlannedChange:
    """One value the import will change; `month` is None for a rep's own field (its start date)."""

    rep: str
    month: date | None
    field: str
    old: Decimal | date | None
    new: Decimal | date | None


@dataclass(frozen=True)
class PlannedRep:
    name: str
    role: str
    start_date: date | None


@dataclass(frozen=True)
class ActualsPreview:
    """What `actuals_csv_import` would do with the same file, for the upload screen to confirm."""

    changes: list[PlannedChange]
    reps_to_create: list[PlannedRep]
    rows: int
    actuals_created: int
    actuals_updated: int
    actuals_unchanged: int


@dataclass
class _Row:
    line: int
    month: date
    rep: str
    role: str  # "" when the cell is blank
    values: dict[str, Decimal | None]  # only the value columns the file has
    start_date: date | None


@dataclass
class _Plan:
    rows: list[_Row]
    roles: dict[str, SalesRole]
    reps: dict[str, Rep]  # the known reps the file names
    # The known reps the file names in other letter case, by name in lower case: names are unique whatever their case
    # (services.actuals.rep_create), so "ana" beside "Ana" is refused rather than created.
    other_case: dict[str, str] = field(default_factory=dict)
    new_reps: dict[str, PlannedRep] = field(default_factory=dict)
    start_dates: dict[str, date] = field(default_factory=dict)  # rep → changed start date
    changes: list[PlannedChange] = field(default_factory=list)
    created: list[_Row] = field(default_factory=list)
    updated: list[tuple[_Row, MonthlyActual]] = field(default_factory=list)


def _file_place(line: int, column: str | None) -> str:
    return f"line {line}, column {column}" if column else f"line {line}"


def _record_place(index: int, column: str | None) -> str:
    """Where a problem is in a list of records (the API's `rows`): rows[3].deals, as a JSON path names it."""
    return f"rows[{index}].{column}" if column else f"rows[{index}]"


class _Problems:
    def __init__(self, place: Callable[[int, str | None], str] = _file_place) -> None:
        self.errors: list[tuple[int, str]] = []
        self.unlisted = 0
        self.place = place

    def add(self, line: int, column: str | None, problem: str) -> None:
        if len(self.errors) >= MAX_ERRORS_LISTED:
            self.unlisted += 1
            return
        self.errors.append((line, f"{self.place(line, column)}: {problem}"))

    def raise_any(self) -> None:
        if self.errors:
            errors = [message for _, message in sorted(self.errors, key=lambda error: error[0])]
            raise ActualsImportError(errors, unlisted=self.unlisted)


def actuals_csv_text(data: bytes | str) -> str:
    """The file as CSV text without a byte-order mark: a CSV file as it is, an Excel workbook (.xlsx) as the CSV of
    its first sheet. Bytes are the file as it arrived, refused over the import size limit; text was read from one
    already. Raises ActualsImportError when the file is too large, not UTF-8 or not a readable workbook."""
    if isinstance(data, bytes):
        problem = import_size_problem(len(data))
        if problem:
            raise ActualsImportError([problem])
        if is_xlsx(data):
            return _workbook_text(data)
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ActualsImportError(
                ["not a CSV file: it is not UTF-8 text (save it as CSV UTF-8, or upload the .xlsx workbook)"]
            ) from None
    return data.lstrip("\ufeff")


MAX_HEADER_COLUMNS = 2 * len(COLUMNS)


def column_key(name: str) -> str:
    """A header cell as the column it names: "Team deals", "TEAM_DEALS" and "team-deals" are team_deals."""
    return re.sub(r"[\s_-]+", "_", name.strip().lower()).strip("_")


def _workbook_text(data: bytes) -> str:
    """The first sheet of a workbook as CSV text, for the CSV parser (so both kinds of file follow one path and the
    preview's signed copy is text): numbers as plain decimals (10500, not 10500.0), a date in the month column as
    YYYY-MM (Excel turns a typed "2026-10" into 1 October 2026), other dates as YYYY-MM-DD."""
    max_rows = settings.IMPORT_MAX_ROWS
    rows = xlsx_rows(data, max_bytes=settings.IMPORT_MAX_BYTES, max_columns=MAX_HEADER_COLUMNS + 1)
    out = io.StringIO()
    writer = CsvWriter(out)  # the parser takes back the apostrophe it puts before formula-like text
    try:
        header = next(rows, None)
        if header is None:
            raise ActualsImportError([f"line 1: the sheet is empty; expected the header {','.join(COLUMNS)}"])
        names = [str(_cell_value(cell, "")) for cell in header]
        while names and not names[-1].strip():
            names.pop()
        columns = [column_key(name) for name in names]
        writer.writerow(names)
        for line, row in enumerate(rows, start=2):
            # Blank rows are skipped like blank lines; formatted but empty rows can run to the sheet's end.
            if line > 2 * max_rows + 1:
                raise ActualsImportError(
                    [f"line {line}: the sheet has more than {max_rows:,} rows; an import takes at most {max_rows:,}"]
                )
            cells = [_cell_value(cell, columns[i] if i < len(columns) else "") for i, cell in enumerate(row)]
            while len(cells) > len(columns) and not str(cells[-1]).strip():
                cells.pop()
            writer.writerow(cells + [""] * (len(columns) - len(cells)))
    except SpreadsheetError as error:
        raise ActualsImportError([str(error)]) from None
    return out.getvalue()


def _cell_value(value: object, column: str) -> str | Decimal:
    """A workbook cell as the CSV holds it: numbers as plain decimals, dates as text, the rest as text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        # The shortest decimal that reads back as the same float: what the spreadsheet shows, not 10500.000000001.
        return Decimal(decimal_text(Decimal(repr(value)))) if math.isfinite(value) else repr(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return format_month(value) if column == "month" else value.isoformat()
    return str(value)


def _header(header: list[str], problems: _Problems) -> list[str]:
    if len(header) > MAX_HEADER_COLUMNS:
        raise ActualsImportError(
            [f"line 1: the header has {len(header):,} columns; the columns are {','.join(COLUMNS)}"]
        )
    columns = [column_key(cell) for cell in header]
    seen: set[str] = set()
    for index, column in enumerate(columns, start=1):
        if column not in COLUMNS:
            shown_name = shown(column) if column else f"number {index} (no name)"
            problems.add(1, shown_name, f"unknown column; the columns are {','.join(COLUMNS)}")
        elif column in seen:
            problems.add(1, column, "appears twice")
        seen.add(column)
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            problems.add(1, column, f"missing; the header must include {','.join(REQUIRED_COLUMNS)}")
    return columns


class _RoleNames:
    """A role cell as the role it names: its key or its display name, in any case and spacing ("Closers",
    "closer", "Senior closer" for senior_closer). A text naming two roles is refused, never guessed."""

    def __init__(self, roles: dict[str, SalesRole]) -> None:
        self.roles = roles
        self.by_key = {column_key(key): key for key in roles}
        self.by_name: dict[str, set[str]] = {}
        self.resolved: dict[str, tuple[str | None, str | None]] = {}
        for role in roles.values():
            self.by_name.setdefault(_name_key(role.name), set()).add(role.key)

    def resolve(self, text: str) -> tuple[str | None, str | None]:
        """(role key, None) or (None, problem); a file repeats a few role names over thousands of rows."""
        if text not in self.resolved:
            self.resolved[text] = self._resolve(text)
        return self.resolved[text]

    def _resolve(self, text: str) -> tuple[str | None, str | None]:
        candidates = set(self.by_name.get(_name_key(text), ()))
        if column_key(text) in self.by_key:
            candidates.add(self.by_key[column_key(text)])
        if len(candidates) == 1:
            return candidates.pop(), None
        if candidates:
            both = " or ".join(sorted(candidates))
            return None, f"{shown(text)} could be the role {both}; write the role's key"
        known = ", ".join(f"{key} ({role.name})" for key, role in self.roles.items())
        return None, f"unknown role {shown(text)}; the roles are {known}"


def _name_key(text: str) -> str:
    return " ".join(text.lower().split())


def undefused(cells: list[str]) -> list[str]:
    """The cells as typed: the apostrophe the product's CSV files put before a cell that a spreadsheet would run as
    a formula (oteapp/files/csv_writer.py) is taken off, so a downloaded template reads back as it was (and a
    workbook's text cells, which become CSV through that writer, read as they were typed)."""
    return [cell[1:] if cell[:1] == "'" and cell[1:2] in DEFUSED else cell for cell in cells]


DEFUSED = frozenset(FORMULA_TRIGGERS)


def _row(line: int, cells: dict[str, str], roles: _RoleNames, problems: _Problems) -> _Row | None:
    errors_before = len(problems.errors)
    month_text = cells["month"].strip()
    month = None
    try:
        month = parse_month(month_text)
    except ValueError:
        problem = "required; use YYYY-MM" if not month_text else f"{shown(month_text)} is not a month; use YYYY-MM"
        problems.add(line, "month", problem)
    rep = cells["rep"].strip()
    if not rep or len(rep) > MAX_NAME_LENGTH:
        problems.add(line, "rep", f"the rep's name must be 1 to {MAX_NAME_LENGTH} characters")
    elif text_problem(rep):
        problems.add(line, "rep", f"the rep's name {text_problem(rep)}, got {shown(rep)}")
    role = cells["role"].strip()
    if role:
        role, problem = roles.resolve(role)
        if problem:
            problems.add(line, "role", problem)
    values: dict[str, Decimal | None] = {}
    for column, spec in VALUE_COLUMNS.items():
        if column in cells:
            # Typed by people as often as exported by machines: "10,000" and "$10,500" read as on the screens.
            try:
                typed = parse_number(cells[column])
            except NumberTextError as error:
                number, problem = None, str(error)[0].lower() + str(error)[1:]
            else:
                number, problem = number_parse(str(typed), spec) if typed is not None else (None, None)
            if problem:
                problems.add(line, column, problem)
            values[column] = number
    start_date, problem = date_parse(cells.get("start_date", "").strip())
    if problem:
        problems.add(line, "start_date", problem)
    if len(problems.errors) > errors_before or month is None:
        return None
    return _Row(line=line, month=month, rep=rep, role=role, values=values, start_date=start_date)


def delimiter_of(text: str) -> str:
    """`;` when the header line has semicolons and no comma (Excel's CSV where the decimal separator is a comma),
    else `,`: the header alone decides, so a semicolon inside a cell never changes how a file is read."""
    header = text.split("\n", 1)[0]
    return ";" if ";" in header and "," not in header else ","


def _parse(text: str, roles: _RoleNames, problems: _Problems) -> list[_Row]:
    # strict: a stray or unclosed quote is an error, not a cell that swallows the rest of the file.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text), strict=True)
    rows: list[_Row] = []
    first_lines: dict[tuple[str, date], int] = {}
    ended = 0  # the line the previous record ended on; a quoted cell may span lines
    try:
        header = next(reader, None)
        if header is None:
            raise ActualsImportError([f"line 1: the file is empty; expected the header {','.join(COLUMNS)}"])
        columns = _header(header, problems)
        problems.raise_any()
        ended = reader.line_num
        max_rows, rows_read = settings.IMPORT_MAX_ROWS, 0
        for cells in reader:
            line, ended = ended + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            rows_read += 1
            if rows_read > max_rows:
                raise ActualsImportError(
                    [f"line {line}: the file has more than {max_rows:,} rows; an import takes at most {max_rows:,}"]
                )
            if len(cells) != len(columns):
                problems.add(line, None, f"{len(cells)} cells, but the header has {len(columns)} columns")
                continue
            row = _row(line, dict(zip(columns, undefused(cells), strict=True)), roles, problems)
            if row is None:
                continue
            first = first_lines.setdefault((row.rep, row.month), line)
            if first != line:
                problems.add(line, None, f"{row.rep} already has a row for {format_month(row.month)} on line {first}")
            else:
                rows.append(row)
    except csv.Error as exc:
        raise ActualsImportError([f"line {ended + 1}: not a valid CSV file ({exc}); check the quotes"]) from None
    problems.raise_any()
    return rows


def _check_reps(plan: _Plan, problems: _Problems) -> None:
    start_lines: dict[str, int] = {}
    new_lines: dict[str, int] = {}
    new_lower: dict[str, str] = {}
    for row in plan.rows:
        rep = plan.reps.get(row.rep)
        if rep is None and (known := plan.other_case.get(row.rep.lower())) is not None:
            problems.add(row.line, "rep", f"{row.rep} is the rep {known} in other letter case; write {known}")
            continue
        if rep is None and (first := new_lower.setdefault(row.rep.lower(), row.rep)) != row.rep:
            problems.add(
                row.line, "rep", f"{row.rep} is {first} of line {new_lines[first]} in other letter case; write {first}"
            )
            continue
        if rep is not None:
            if row.role and row.role != rep.role.key:
                problems.add(
                    row.line,
                    "role",
                    f"{row.rep} is in role {shown(rep.role.key)}, not {shown(row.role)}; "
                    "change a rep's role in the configuration",
                )
        elif not row.role:
            problems.add(row.line, "role", f"required for the new rep {row.rep}")
        elif row.rep in plan.new_reps and plan.new_reps[row.rep].role != row.role:
            problems.add(
                row.line, "role", f"{row.rep} is {shown(plan.new_reps[row.rep].role)} on line {new_lines[row.rep]}"
            )
        elif row.rep not in plan.new_reps:
            plan.new_reps[row.rep] = PlannedRep(name=row.rep, role=row.role, start_date=None)
            new_lines[row.rep] = row.line
        if row.start_date is None:
            continue
        if row.rep in start_lines and plan.start_dates[row.rep] != row.start_date:
            problems.add(
                row.line,
                "start_date",
                f"{row.rep} starts on {plan.start_dates[row.rep].isoformat()} on line {start_lines[row.rep]}",
            )
        elif row.rep not in start_lines:
            start_lines[row.rep] = row.line
            plan.start_dates[row.rep] = row.start_date
    for name, planned in plan.new_reps.items():
        plan.new_reps[name] = PlannedRep(name=name, role=planned.role, start_date=plan.start_dates.pop(name, None))
    for name in list(plan.start_dates):
        old = plan.reps[name].start_date
        if old == plan.start_dates[name]:
            del plan.start_dates[name]
        else:
            plan.changes.append(
                PlannedChange(rep=name, month=None, field="start_date", old=old, new=plan.start_dates[name])
            )


def _records_parse(records: Sequence[Mapping[str, str]], roles: _RoleNames, problems: _Problems) -> list[_Row]:
    """Rows given as records (column → cell text, a column left out keeps the stored value), numbered from 0:
    the same checks as a file's lines, each problem naming rows[index].column."""
    if len(records) > settings.IMPORT_MAX_ROWS:
        raise ActualsImportError([f"rows: {len(records):,} rows; an import takes at most {settings.IMPORT_MAX_ROWS:,}"])
    rows: list[_Row] = []
    first_indexes: dict[tuple[str, date], int] = {}
    for index, record in enumerate(records):
        cells = {column: record.get(column, "") for column in REQUIRED_COLUMNS} | dict(record)
        row = _row(index, cells, roles, problems)
        if row is None:
            continue
        first = first_indexes.setdefault((row.rep, row.month), index)
        if first != index:
            problems.add(index, None, f"{row.rep} already has a row for {format_month(row.month)} in rows[{first}]")
        else:
            rows.append(row)
    problems.raise_any()
    return rows


def _plan(
    *,
    organization: Organization,
    data: bytes | str | None = None,
    records: Sequence[Mapping[str, str]] | None = None,
    lock: bool,
) -> _Plan:
    """The change set of a file (`data`) or of records (`records`), checked whole against the organization."""
    require_organization_context(organization)
    text = actuals_csv_text(data) if records is None else None
    if lock:
        # Imports into one organization run one after the other, so two files cannot create the same rep.
        OrganizationSettings.objects.select_for_update().filter(organization=organization).values_list("pk").get()
    roles = {role.key: role for role in SalesRole.objects.filter(organization=organization).order_by("position", "key")}
    if records is None:
        problems = _Problems()
        rows = _parse(text, _RoleNames(roles), problems)
    else:
        problems = _Problems(_record_place)
        rows = _records_parse(records, _RoleNames(roles), problems)
    names = {row.rep for row in rows}
    if len(names) > settings.IMPORT_MAX_REPS:
        raise ActualsImportError(
            [f"the file names {len(names):,} reps; an import takes at most {settings.IMPORT_MAX_REPS:,}"]
        )
    reps = list(
        Rep.objects.annotate(name_lower=Lower("name"))
        .filter(organization=organization, name_lower__in={name.lower() for name in names})
        .select_related("role")
    )
    plan = _Plan(
        rows=rows,
        roles=roles,
        reps={rep.name: rep for rep in reps if rep.name in names},
        other_case={rep.name.lower(): rep.name for rep in reps if rep.name not in names},
    )
    _check_reps(plan, problems)
    approved = approved_months_among(organization=organization, months={row.month for row in rows})
    for row in rows:
        if row.month in approved:
            label = format_month(row.month)
            problems.add(row.line, "month", f"{label} is approved; reopen it before changing its actuals")
    problems.raise_any()

    actuals = MonthlyActual.objects.filter(
        organization=organization,
        rep_id__in=[rep.pk for rep in plan.reps.values()],
        month__in={row.month for row in rows},
    )
    if lock:
        # Edits of the same rows from the grid wait, so a version is never bumped from a stale value.
        actuals = actuals.select_for_update()
    existing = {(actual.rep_id, actual.month): actual for actual in actuals}
    for row in rows:
        rep = plan.reps.get(row.rep)
        actual = existing.get((rep.pk, row.month)) if rep is not None else None
        if actual is None:
            plan.created.append(row)
            changes = [(name, None, new) for name, new in row.values.items() if new is not None]
        else:
            changes = [
                (name, getattr(actual, name), new) for name, new in row.values.items() if getattr(actual, name) != new
            ]
            if changes:
                plan.updated.append((row, actual))
        plan.changes.extend(
            PlannedChange(rep=row.rep, month=row.month, field=name, old=old, new=new) for name, old, new in changes
        )
    return plan


def _actuals_update(
    *, organization: Organization, actor: User | None, updated: list[tuple[_Row, MonthlyActual]]
) -> None:
    """Write the changed rows in one UPDATE from a JSON array of their new values (each row's version bumped, its
    editor and time set). Django's bulk_update writes a CASE branch per row and column, which PostgreSQL evaluates
    for every row: its time grows with the square of the rows (bench/FINDINGS.md)."""
    if not updated:
        return
    now = timezone.now()
    for row, actual in updated:
        for name, value in row.values.items():
            setattr(actual, name, value)
        actual.version += 1
        actual.updated_by = actor
        actual.updated_at = now
    meta = MonthlyActual._meta
    fields = [meta.get_field(name) for name in sorted({name for row, _ in updated for name in row.values})]
    quote = connection.ops.quote_name
    record = ", ".join(f"{quote(f.column)} {f.db_type(connection)}" for f in [meta.pk, *fields])
    version, updated_by, updated_at = (quote(meta.get_field(name).column) for name in ("version", "updated_by",
                                                                                        "updated_at"))
    assignments = ", ".join(
        [f"{quote(f.column)} = changed.{quote(f.column)}" for f in fields]
        + [f"{version} = actual.{version} + 1", f"{updated_by} = %s", f"{updated_at} = %s"]
    )
    rows = [{meta.pk.column: actual.pk, **{f.column: getattr(actual, f.attname) for f in fields}} for _, actual in
            updated]
    with connection.cursor() as cursor:
        # Table and column names come from the model; every value is a parameter.
        cursor.execute(
            f"UPDATE {quote(meta.db_table)} AS actual SET {assignments} "  # noqa: S608  # nosec B608
            f"FROM jsonb_to_recordset(%s::jsonb) AS changed({record}) "
            f"WHERE actual.{quote(meta.pk.column)} = changed.{quote(meta.pk.column)} "
            f"AND actual.{quote(meta.get_field('organization').column)} = %s",
            [
                actor.pk if actor is not None else None,
                now,
                json.dumps(rows, cls=DjangoJSONEncoder),
                organization.pk,
            ],
        )


def actuals_csv_preview(*, organization: Organization, data: bytes | str) -> ActualsPreview:
    """Validate the file and compute its change set without writing; raises ActualsImportError like the import."""
    plan = _plan(organization=organization, data=data, lock=False)
    return ActualsPreview(
        changes=plan.changes,
        reps_to_create=list(plan.new_reps.values()),
        rows=len(plan.rows),
        actuals_created=len(plan.created),
        actuals_updated=len(plan.updated),
        actuals_unchanged=len(plan.rows) - len(plan.created) - len(plan.updated),
    )


@transaction.atomic
def actuals_csv_import(*, organization: Organization, data: bytes | str, actor: User | None = None) -> ImportResult:
    """Validate the whole file, then create and update reps and actuals in one transaction (nothing on any
    error). Re-importing a month updates its rows and bumps their version; every change is audited."""
    return _apply(organization=organization, plan=_plan(organization=organization, data=data, lock=True), actor=actor)


@transaction.atomic
def actuals_records_import(
    *, organization: Organization, records: Sequence[Mapping[str, str]], actor: User | None = None
) -> ImportResult:
    """The import of a file, from records with the file's columns (the API's bulk upsert): the same checks,
    writes and audit; problems name rows[index].column instead of a line."""
    plan = _plan(organization=organization, records=records, lock=True)
    return _apply(organization=organization, plan=plan, actor=actor)


def _apply(*, organization: Organization, plan: _Plan, actor: User | None) -> ImportResult:
    reps = dict(plan.reps)
    new_reps = [
        Rep(organization=organization, name=new.name, role=plan.roles[new.role], start_date=new.start_date)
        for new in plan.new_reps.values()
    ]
    Rep.objects.bulk_create(new_reps)
    reps.update((rep.name, rep) for rep in new_reps)
    moved = [reps[name] for name in plan.start_dates]
    for rep in moved:
        rep.start_date = plan.start_dates[rep.name]
    Rep.objects.bulk_update(moved, ["start_date"])

    MonthlyActual.objects.bulk_create(
        MonthlyActual(organization=organization, rep=reps[row.rep], month=row.month, updated_by=actor, **row.values)
        for row in plan.created
    )
    _actuals_update(organization=organization, actor=actor, updated=plan.updated)

    audit_events_create(
        organization=organization,
        actor=actor,
        action=AUDIT_ACTION,
        changes=[
            (
                f"rep {change.rep}" if change.month is None else f"{change.rep} · {format_month(change.month)}",
                change.field,
                _text(change.old),
                _text(change.new),
            )
            for change in plan.changes
        ]
        + [(f"rep {new.name}", "role", "", new.role) for new in plan.new_reps.values()]
        + [(f"rep {new.name}", "start_date", "", _text(new.start_date)) for new in plan.new_reps.values()],
    )
    unchanged = len(plan.rows) - len(plan.created) - len(plan.updated)
    return ImportResult(
        reps_created=len(new_reps),
        reps_updated=len(moved),
        actuals_created=len(plan.created),
        actuals_updated=len(plan.updated),
        months=sorted({row.month for row in plan.rows}),
        notices=[f"{unchanged} row{'' if unchanged == 1 else 's'} already up to date."] if unchanged else [],
    )


# --- the template: the reps of a month, ready to fill in ------------------------------------------------------

TEMPLATE_COLUMNS = ("month", "rep", "role", "deals", "meetings", "team_deals", "revenue")
KIND_COLUMNS = {"closer": ("deals", "revenue"), "setter": ("meetings", "deals"), "manager": ("team_deals",)}


def actuals_template_csv(*, organization: Organization, month: date) -> str:
    """The month's reps (active, or with a row that month) as an actuals CSV to fill in: one row each, by name, with
    the values already stored for the month in their role's columns (blank otherwise), so uploading it unchanged
    changes nothing. Roles are written by key. Two queries; written by the one CSV writer."""
    reps = month_reps_query(organization=organization, month=month).select_related("role").order_by("name")
    stored = month_actuals_by_rep(organization=organization, month=month)
    rows: list[list[object]] = [list(TEMPLATE_COLUMNS)]
    for rep in reps:
        actual = stored.get(rep.pk)
        own = KIND_COLUMNS.get(rep.role.kind, ())
        values = [
            _template_value(getattr(actual, column)) if actual is not None and column in own else None
            for column in TEMPLATE_COLUMNS[3:]
        ]
        rows.append([format_month(month), rep.name, rep.role.key, *values])
    return csv_text(rows)


def _template_value(value: Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(decimal_text(value))  # 5, not 5.00


def _text(value: Decimal | date | None) -> str:
    if isinstance(value, date):
        return value.isoformat()
    return decimal_text(value)
