"""Months are the first day of the month; `YYYY-MM` in URLs, files and the command line."""

import re
from datetime import date

# ASCII: \d would take any script's digits (Arabic-Indic, fullwidth).
_MONTH = re.compile(r"^(\d{4})-(\d{2})$", re.ASCII)


def parse_month(text: str) -> date:
    """`2026-10` → date(2026, 10, 1); anything else raises ValueError with a readable message."""
    match = _MONTH.match(text.strip()) if isinstance(text, str) else None
    # Up to 9998: every month needs the next one to exist (month_end), and date() stops at 9999.
    if not match or not 1 <= int(match.group(2)) <= 12 or not 1900 <= int(match.group(1)) <= 9998:
        raise ValueError(f"{text!r} is not a month; use YYYY-MM, e.g. 2026-10")
    return date(int(match.group(1)), int(match.group(2)), 1)


def format_month(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def month_end(month: date) -> date:
    return date.fromordinal(month_add(month, 1).toordinal() - 1)
