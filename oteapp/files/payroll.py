"""The payroll export of an approved month (SPEC section 12), through the product's one CSV writer."""

import zoneinfo
from decimal import Decimal

from oteapp.files.csv_writer import csv_text
from oteapp.models import Rep
from oteapp.months import format_month
from oteapp.payouts.selectors import PayoutMonth
from oteapp.payouts.services import PayoutError
from oteapp.rounding import round_half_up

PAYROLL_COLUMNS = (
    "period", "rep", "email", "role", "base", "commission", "adjustments", "draw_recovery", "payout", "currency",
    "approved_at", "approved_by",
)
CENT = Decimal("0.01")


def _cents(value: Decimal) -> Decimal:
    return round_half_up(value, CENT)


def payroll_filename(*, slug: str, payout: PayoutMonth) -> str:
    return f"{slug}-payroll-{format_month(payout.month)}.csv"


def payroll_rows(*, payout: PayoutMonth, reps: dict[int, Rep]) -> list[dict[str, object]]:
    """One row per rep with a statement, by PAYROLL_COLUMNS (plus `rep_id`), money in cents; PayoutError unless the
    month is approved. The approval time is given in the organization's time zone, with its offset. The CSV below
    and the API's payroll are these rows."""
    if not payout.approved:
        raise PayoutError(
            f"{format_month(payout.month)} is {payout.state}: payroll exports an approved month only; approve it first."
        )
    approval = payout.approval
    try:
        zone = zoneinfo.ZoneInfo(payout.timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    approved_at = approval.approved_at.astimezone(zone).isoformat(timespec="seconds")
    approved_by = approval.approved_by.email if approval.approved_by else ""
    rows = []
    for statement in payout.statements.statements:
        rep = reps.get(statement.rep_id)
        rows.append({
            "rep_id": statement.rep_id,
            "period": format_month(payout.month),
            "rep": statement.name,
            "email": rep.email if rep else "",
            "role": statement.role_key,
            "base": _cents(statement.base),
            "commission": _cents(statement.commission),
            "adjustments": statement.adjustments.quantize(CENT),
            "draw_recovery": statement.draw_recovery.quantize(CENT),
            "payout": statement.payout.quantize(CENT),
            "currency": payout.currency,
            "approved_at": approved_at,
            "approved_by": approved_by,
        })
    return rows


def payroll_csv_text(*, payout: PayoutMonth, reps: dict[int, Rep]) -> str:
    """The payroll rows as CSV, through the one CSV writer; PayoutError unless the month is approved."""
    rows = payroll_rows(payout=payout, reps=reps)
    return csv_text([list(PAYROLL_COLUMNS), *([row[column] for column in PAYROLL_COLUMNS] for row in rows)])
