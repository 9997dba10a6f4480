"""The one way the product writes CSV: every download and export goes through `csv_text` (or `CsvWriter`).

Spreadsheets run a cell that starts with `=`, `+`, `-` or `@` as a formula (and tab or carriage return
can smuggle one in), so a role named `=HYPERLINK("http://evil","x")` would run on the machine of whoever
opens the report (OWASP "CSV injection"). Text cells starting with one of those characters get a leading
apostrophe, which spreadsheets show as text and hide. Numbers (int, float, Decimal) are written as they are,
so a negative figure stays a number; None is an empty cell.
"""

import csv
import io
from collections.abc import Iterable
from decimal import Decimal

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: object) -> object:
    """A cell as it is safe to write: numbers unchanged, text defused."""
    if value is None:
        return ""
    if isinstance(value, int | float | Decimal):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


class CsvWriter:
    """`csv.writer` with every cell passed through `csv_cell`."""

    def __init__(self, out: io.TextIOBase) -> None:
        # Text quoted, numbers bare: a number is unmistakably one, and a text cell holding a carriage return
        # stays one cell (minimal quoting would write a lone CR bare, which readers take for a line end).
        self._writer = csv.writer(out, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)

    def writerow(self, row: Iterable[object]) -> None:
        self._writer.writerow([csv_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def csv_text(rows: Iterable[Iterable[object]]) -> str:
    """The rows as the text of a CSV file."""
    out = io.StringIO()
    CsvWriter(out).writerows(rows)
    return out.getvalue()
