"""Excel workbooks (.xlsx) read as the rows of their first sheet, for imports that also take CSV.

openpyxl in read-only mode streams the sheet instead of loading it, with defusedxml installed (no entity
expansion). A workbook is a zip archive, so its size as uploaded says little: the uncompressed size its archive
declares is capped too (a "zip bomb" is refused before anything is parsed), and reading stops at the row and
column limits the caller gives.
"""

import io
import zipfile
from collections.abc import Iterator
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from openpyxl import load_workbook

XLSX_MAGIC = b"PK\x03\x04"  # every zip archive, so every .xlsx file, starts with it; no CSV text does
# What a workbook's parts may add up to once uncompressed, as a multiple of the upload limit: sheets of plain
# numbers and names compress about ten times.
UNCOMPRESSED_FACTOR = 20

Cell = str | int | float | Decimal | bool | date | datetime | time | None


class SpreadsheetError(ValueError):
    """The file is not a workbook that can be read; the message says why, in one line."""


def is_xlsx(data: bytes) -> bool:
    return data[:4] == XLSX_MAGIC


def xlsx_rows(data: bytes, *, max_bytes: int, max_columns: int) -> Iterator[tuple[Cell, ...]]:
    """The first sheet's rows as tuples of cell values (None for an empty cell; formulas as their saved values),
    at most `max_columns` wide. Raises SpreadsheetError for a file that is not a readable .xlsx workbook or whose
    contents would uncompress beyond UNCOMPRESSED_FACTOR times `max_bytes`."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            declared = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise SpreadsheetError("not an Excel workbook (.xlsx): save it as .xlsx or CSV UTF-8") from None
    limit = max_bytes * UNCOMPRESSED_FACTOR
    if declared > limit:
        raise SpreadsheetError(f"the workbook uncompresses to {declared:,} bytes; an import takes at most {limit:,}")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign file; none is a server error
        raise SpreadsheetError(f"not an Excel workbook (.xlsx) that can be read ({type(error).__name__})") from None
    try:
        if not workbook.worksheets:
            raise SpreadsheetError("the workbook has no sheet")
        yield from _rows(workbook.worksheets[0], max_columns)
    finally:
        workbook.close()


def _rows(sheet: Any, max_columns: int) -> Iterator[tuple[Cell, ...]]:
    try:
        yield from sheet.iter_rows(max_col=max_columns, values_only=True)
    except Exception as error:  # a sheet damaged past its first rows
        raise SpreadsheetError(f"the workbook's first sheet cannot be read ({type(error).__name__})") from None
