"""Adjustments CSV (SPEC section 12): `month,rep,kind,amount,reason,reverses_month`, applied all or nothing.

Read like an actuals file (oteapp/files/actuals_csv.py): a BOM, `;` separators, headers in any case, "$1,134.00" and
an .xlsx workbook are fine; every problem names its line and column, and one problem refuses the whole file.
Reps are named as they are (an unknown rep is refused: an adjustment pays someone who exists).
"""

import csv
import io
from datetime import date

from django.conf import settings

from accounts.models import Organization, User
from accounts.text import text_problem
from oteapp.files.actuals_csv import ActualsImportError, actuals_csv_text, column_key, delimiter_of, undefused
from oteapp.files.configuration import MAX_ERRORS_LISTED, FileImportError, require_organization_context, shown
from oteapp.models import AdjustmentKind, MonthApproval, Rep
from oteapp.months import format_month, parse_month
from oteapp.number_format import NumberTextError, parse_number
from oteapp.payouts.services import (
    ACTION_ADJUSTMENTS_IMPORT,
    AdjustmentInput,
    adjustment_problem,
    adjustments_add,
)

COLUMNS = ("month", "rep", "kind", "amount", "reason", "reverses_month")
REQUIRED_COLUMNS = ("month", "rep", "kind", "amount", "reason")


class AdjustmentsImportError(FileImportError):
    """The adjustments file is refused as a whole."""


class _Problems:
    def __init__(self) -> None:
        self.errors: list[tuple[int, str]] = []
        self.unlisted = 0

    def add(self, line: int, column: str | None, problem: str) -> None:
        if len(self.errors) >= MAX_ERRORS_LISTED:
            self.unlisted += 1
            return
        where = f"line {line}, column {column}" if column else f"line {line}"
        self.errors.append((line, f"{where}: {problem}"))

    def raise_any(self) -> None:
        if self.errors:
            errors = [message for _, message in sorted(self.errors, key=lambda error: error[0])]
            raise AdjustmentsImportError(errors, unlisted=self.unlisted)


def _text(data: bytes | str) -> str:
    try:
        return actuals_csv_text(data)
    except ActualsImportError as error:
        raise AdjustmentsImportError(error.errors) from None


def _month(line: int, column: str, text: str, problems: _Problems, *, required: bool) -> date | None:
    text = text.strip()
    if not text:
        if required:
            problems.add(line, column, "a month is required, as YYYY-MM")
        return None
    try:
        return parse_month(text)
    except ValueError:
        problems.add(line, column, f"{shown(text)} is not a month; use YYYY-MM, e.g. 2026-10")
        return None


def adjustments_csv_parse(*, organization: Organization, data: bytes | str) -> list[AdjustmentInput]:
    """Every row of the file as an adjustment, or AdjustmentsImportError naming each problem's line and column
    (unknown columns, reps and kinds, bad months and amounts, a missing reason, a clawback of a later month, a line
    repeating an earlier one, an approved month). Reads the reps the file names in one query and the months'
    approvals in another."""
    require_organization_context(organization)
    text = _text(data)
    problems = _Problems()
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter_of(text), strict=True)
    raw_rows: list[tuple[int, dict[str, str]]] = []
    try:
        header = next(reader, None)
        if header is None:
            raise AdjustmentsImportError([f"line 1: the file is empty; expected the header {','.join(COLUMNS)}"])
        columns = [column_key(cell) for cell in header]
        for index, column in enumerate(columns, start=1):
            if column not in COLUMNS:
                name = shown(column) if column else f"number {index} (no name)"
                problems.add(1, name, f"unknown column; the columns are {','.join(COLUMNS)}")
            elif columns.count(column) > 1:
                problems.add(1, column, "appears twice")
        for column in REQUIRED_COLUMNS:
            if column not in columns:
                problems.add(1, column, f"missing; the header must include {','.join(REQUIRED_COLUMNS)}")
        problems.raise_any()
        ended = reader.line_num
        for cells in reader:
            line, ended = ended + 1, reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            if len(raw_rows) >= settings.IMPORT_MAX_ROWS:
                limit = settings.IMPORT_MAX_ROWS
                raise AdjustmentsImportError([f"line {line}: an import takes at most {limit:,} rows"])
            if len(cells) != len(columns):
                problems.add(line, None, f"{len(cells)} cells, but the header has {len(columns)} columns")
                continue
            raw_rows.append((line, dict(zip(columns, undefused(cells), strict=True))))
    except csv.Error as error:
        raise AdjustmentsImportError([f"line {ended + 1}: not a readable CSV line ({error})"]) from None
    if not raw_rows:
        problems.add(2, None, "the file has no adjustments")
    problems.raise_any()

    # PostgreSQL cannot compare a name holding NUL: such a name is a problem of its line, never a query parameter.
    names = {cells["rep"].strip() for _, cells in raw_rows if not text_problem(cells["rep"])}
    named = Rep.objects.filter(organization=organization, name__in=names).select_related("role")
    reps = {rep.name: rep for rep in named}
    items: list[tuple[int, AdjustmentInput]] = []
    first_line_of: dict[tuple, int] = {}
    for line, cells in raw_rows:
        name = cells["rep"].strip()
        rep = reps.get(name)
        if text_problem(name):
            problems.add(line, "rep", f"the rep's name {text_problem(name)}, got {shown(name)}")
        elif rep is None:
            problems.add(line, "rep", f"no rep named {shown(name)}" if name else "a rep is required")
        month = _month(line, "month", cells["month"], problems, required=True)
        reverses = _month(line, "reverses_month", cells.get("reverses_month", ""), problems, required=False)
        kind = column_key(cells["kind"])
        if kind not in AdjustmentKind.values:
            problems.add(line, "kind", f"must be one of {', '.join(AdjustmentKind.values)}, got {shown(cells['kind'])}")
        try:
            amount = parse_number(cells["amount"])
        except NumberTextError as error:
            problems.add(line, "amount", str(error))
            continue
        if amount is None:
            problems.add(line, "amount", "an amount is required")
            continue
        if rep is None or month is None or kind not in AdjustmentKind.values:
            continue
        item = AdjustmentInput(
            rep=rep, month=month, kind=kind, amount=amount, reason=cells["reason"], reverses_month=reverses
        )
        problem = adjustment_problem(item)
        if problem:
            problems.add(line, problem[0], problem[1])
            continue
        # A line pasted twice would pay twice; two real bonuses of the same size say why each was paid.
        same = (rep.pk, month, kind, amount, item.reason.strip(), reverses)
        if same in first_line_of:
            problems.add(line, None, f"repeats line {first_line_of[same]} (the same month, rep, kind, amount and "
                                     "reason); give each adjustment once, or say in the reason why it is paid twice")
            continue
        first_line_of[same] = line
        items.append((line, item))
    problems.raise_any()
    approved = set(
        MonthApproval.objects.filter(
            organization=organization, month__in={item.month for _, item in items}, approved_at__isnull=False
        ).values_list("month", flat=True)
    )
    for line, item in items:
        if item.month in approved:
            problems.add(line, "month", f"{format_month(item.month)} is approved; reopen it before adjusting it")
    problems.raise_any()
    return [item for _, item in items]


def adjustments_csv_import(
    *, organization: Organization, data: bytes | str, actor: User | None
) -> list[AdjustmentInput]:
    """Parse the whole file, then add every adjustment in one transaction (audited), or none."""
    items = adjustments_csv_parse(organization=organization, data=data)
    adjustments_add(organization=organization, actor=actor, items=items, action=ACTION_ADJUSTMENTS_IMPORT)
    return items
