"""Statements: what each rep is paid for a month, and why (SPEC section 12).

A statement is computed from the same inputs as the report (the report's own rep figures, in fact), so its
commission IS the report's: ``Statement.commission == RepReport.commission`` at full precision.

A statement is also a payroll document, so its money moves in cents: base, commission and each adjustment are
rounded half up to the cent, earned is the sum of those cents, and the draw rule runs on cents. Every figure on
a statement (and in the payroll export) therefore adds up exactly: base + commission + adjustments = earned, and
earned + the draw line = payout.

Commission lines: one per accelerator band reached, ``units x pay per unit x multiplier``. Each line's exact
amount is rounded to cents by the largest remainder method so that the lines add up to the rounded commission:
every line is first rounded down to the cent, then the cents still missing go one each to the lines with the
largest remainders (on equal remainders, the lower band first). No line moves by more than a cent from its exact
amount.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import Any

from .calc import commission_bands, compute_report, effective_role, tenure_month
from .insights import UNIT_NOUNS
from .numbers import EDGE_CONTEXT, ENGINE_CONTEXT, HUNDRED, MONEY, ONE, RATIO, UNITS, ZERO, as_float, dec, quantize
from .pace import RepPace, compute_pace
from .report import Report, RepReport
from .types import (
    ADJUSTMENT_BONUS,
    ADJUSTMENT_CLAWBACK,
    ADJUSTMENT_CORRECTION,
    ADJUSTMENT_KINDS,
    KIND_CLOSER,
    KIND_SETTER,
    Adjustment,
    MonthInputs,
    OrgConfig,
    RepMonth,
    RoleConfig,
)

LINE_BASE = "base"
LINE_COMMISSION = "commission"
LINE_ADJUSTMENT = "adjustment"
LINE_DRAW = "draw"

STATE_OPEN = "open"
STATE_CLOSED = "closed"
STATE_APPROVED = "approved"
MONTH_STATES = (STATE_OPEN, STATE_CLOSED, STATE_APPROVED)

TIMES = "\u00d7"  # the multiplication sign of the SPEC's labels ("2.5 deals x $1,134.00 x 1.5")

SINGULAR_NOUNS = {"deals": "deal", "meetings": "meeting", "team deals": "team deal"}


class AdjustmentError(ValueError):
    """An adjustment the rules refuse; ``field`` names the offending field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _month_of(day: date) -> tuple[int, int]:
    return day.year, day.month


def validate_adjustment(adjustment: Adjustment) -> None:
    """Raise AdjustmentError unless the adjustment is valid: a known kind, a reason, a non-zero amount (a bonus
    positive, a clawback negative, a correction either sign), a clawback naming the month it reverses, which is
    not after the month it is entered in (a bonus reverses nothing)."""
    if adjustment.kind not in ADJUSTMENT_KINDS:
        raise AdjustmentError("kind", f"must be one of {', '.join(ADJUSTMENT_KINDS)}, not {adjustment.kind!r}")
    if not (adjustment.reason or "").strip():
        raise AdjustmentError("reason", "a reason is required")
    try:
        amount = dec(adjustment.amount)
    except (ArithmeticError, TypeError, ValueError):
        amount = None
    if amount is None or not amount.is_finite() or amount == 0:
        raise AdjustmentError("amount", "must be a non-zero amount")
    if adjustment.kind == ADJUSTMENT_BONUS and amount < 0:
        raise AdjustmentError("amount", "a bonus is positive")
    if adjustment.kind == ADJUSTMENT_CLAWBACK and amount > 0:
        raise AdjustmentError("amount", "a clawback is negative")
    reverses = adjustment.reverses_month
    if adjustment.kind == ADJUSTMENT_CLAWBACK and reverses is None:
        raise AdjustmentError("reverses_month", "a clawback names the month it reverses")
    if adjustment.kind == ADJUSTMENT_BONUS and reverses is not None:
        raise AdjustmentError("reverses_month", "a bonus reverses no month")
    if reverses is not None and _month_of(reverses) > _month_of(adjustment.month):
        raise AdjustmentError(
            "reverses_month", f"{_label(reverses)} is after the adjustment's month {_label(adjustment.month)}"
        )


@dataclass(frozen=True)
class DrawOutcome:
    """One month of the draw rule (SPEC section 12), in cents."""

    earned: Decimal  # E
    draw: Decimal  # D
    balance_before: Decimal  # B before the month
    advanced: Decimal  # D - E when E < D (added to B only when recoverable), else 0
    recovered: Decimal  # min(B, E - D) when E >= D and recoverable, else 0
    payout: Decimal
    balance_after: Decimal


def apply_draw(*, earned: Decimal, draw: Decimal, recoverable: bool, balance: Decimal) -> DrawOutcome:
    """The draw rule of SPEC section 12 for one month: with E = earned and D = draw, if E < D the rep is paid D
    (and B grows by D - E when the draw is recoverable); otherwise recovered = min(B, E - D) (0 when not
    recoverable), payout = E - recovered, and B shrinks by it. A negative E (a clawback larger than the month's
    pay) with no draw is paid 0 and, the draw not being recoverable, not carried: that is the rule as written."""
    if draw < 0 or balance < 0:
        raise ValueError("a draw and a balance are never negative")
    if earned < draw:
        advanced = draw - earned
        return DrawOutcome(
            earned=earned,
            draw=draw,
            balance_before=balance,
            advanced=advanced,
            recovered=ZERO,
            payout=draw,
            balance_after=balance + advanced if recoverable else balance,
        )
    recovered = min(balance, earned - draw) if recoverable else ZERO
    return DrawOutcome(
        earned=earned,
        draw=draw,
        balance_before=balance,
        advanced=ZERO,
        recovered=recovered,
        payout=earned - recovered,
        balance_after=balance - recovered,
    )


@dataclass(frozen=True)
class StatementLine:
    kind: str  # base | commission | adjustment | draw
    label: str
    amount: Decimal  # in cents; the lines of a statement add up to its payout
    units: Decimal | None = None  # commission lines: the units in the band
    pay_per_unit: Decimal | None = None
    multiplier: Decimal | None = None
    exact_amount: Decimal | None = None  # commission lines: units x pay per unit x multiplier, full precision

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "label": self.label,
            "units": as_float(self.units, UNITS),
            "pay_per_unit": as_float(self.pay_per_unit, MONEY),
            "multiplier": as_float(self.multiplier, RATIO),
            "amount": as_float(self.amount, MONEY),
        }


@dataclass(frozen=True)
class Statement:
    rep_id: int | str
    name: str
    role_key: str
    month: date
    has_actuals: bool  # False: the month has only adjustments for the rep (base and commission 0)
    base: Decimal  # monthly base, never ramped, full precision (the report's)
    commission: Decimal  # full precision, equal to the report's rep commission
    adjustments: Decimal  # Σ adjustments, cents
    earned: Decimal  # cents(base) + cents(commission) + adjustments
    draw: Decimal  # D, cents
    draw_advanced: Decimal  # D - E when E < D, cents
    draw_recovery: Decimal  # cents
    payout: Decimal  # cents
    balance_before: Decimal
    balance_after: Decimal
    ote: Decimal | None  # ramped monthly OTE (None without actuals)
    ote_attainment: Decimal | None  # (base + commission) / ramped OTE: performance only, adjustments excluded
    quota_attainment: Decimal | None
    units: Decimal
    quota: Decimal | None  # ramped
    ramp_factor: Decimal
    ramp_note: str | None  # "tenure month 2 of 2: quota and variable x 0.75" when ramped
    lines: tuple[StatementLine, ...]
    adjustment_items: tuple[Adjustment, ...] = ()
    pace: RepPace | None = None

    def lines_of(self, kind: str) -> tuple[StatementLine, ...]:
        return tuple(line for line in self.lines if line.kind == kind)

    def to_dict(self) -> dict[str, Any]:
        """One statement of the statements contract (SPEC section 12): its keys in the contract's order, then
        ``rep_id``, ``ote`` (ramped monthly OTE) and ``ramp_note``."""
        return {
            "rep": self.name,
            "role": self.role_key,
            "base": as_float(self.base, MONEY),
            "commission": as_float(self.commission, MONEY),
            "adjustments": as_float(self.adjustments, MONEY),
            "earned": as_float(self.earned, MONEY),
            "draw": as_float(self.draw, MONEY),
            "draw_recovery": as_float(self.draw_recovery, MONEY),
            "payout": as_float(self.payout, MONEY),
            "balance_after": as_float(self.balance_after, MONEY),
            "ote_attainment": as_float(self.ote_attainment, RATIO),
            "quota_attainment": as_float(self.quota_attainment, RATIO),
            "pace": None if self.pace is None else self.pace.to_dict(),
            "lines": [line.to_dict() for line in self.lines],
            "rep_id": self.rep_id,
            "ote": as_float(self.ote, MONEY),
            "ramp_note": self.ramp_note,
        }


@dataclass(frozen=True)
class MonthStatements:
    month: date
    currency: str
    statements: tuple[Statement, ...]  # by role (configuration order), then name

    def for_rep(self, rep_id: int | str) -> Statement | None:
        return next((statement for statement in self.statements if statement.rep_id == rep_id), None)

    def balances_after(self) -> dict[int | str, Decimal]:
        return {statement.rep_id: statement.balance_after for statement in self.statements}

    def to_dict(self, *, state: str) -> dict[str, Any]:
        return statements_to_dict(self, state=state)


def statements_to_dict(statements: MonthStatements, *, state: str) -> dict[str, Any]:
    """The statements contract (SPEC section 12); ``state`` is the month's: open, closed or approved."""
    if state not in MONTH_STATES:
        raise ValueError(f"state must be one of {', '.join(MONTH_STATES)}, not {state!r}")
    return {
        "month": _label(statements.month),
        "state": state,
        "currency": statements.currency,
        "statements": [statement.to_dict() for statement in statements.statements],
    }


def statements_to_json(statements: MonthStatements, *, state: str) -> str:
    return json.dumps(statements_to_dict(statements, state=state), indent=2)


# --- formatting of labels ------------------------------------------------------------------------


def _label(month: date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


def _cents(value: Decimal) -> Decimal:
    return quantize(value, MONEY)  # type: ignore[return-value]


def _money(value: Decimal, currency: str) -> str:
    rounded = _cents(value)
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{'-' if rounded < 0 else ''}{symbol}{rounded.copy_abs():,}"


def _plain(value: Decimal, exp: Decimal = UNITS) -> str:
    """A number as people write it: at most two places, no trailing zeros (8, 2.5, 0.75)."""
    text = f"{quantize(value, exp):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _units_text(units: Decimal, kind: str) -> str:
    noun = UNIT_NOUNS.get(kind, "units")
    return f"{_plain(units)} {SINGULAR_NOUNS.get(noun, noun) if units == ONE else noun}"


# --- the statement -------------------------------------------------------------------------------


def _pay_per_unit(role: RoleConfig, config: OrgConfig, row: RepMonth | None, units: Decimal) -> Decimal | None:
    """A rep's pay per unit (SPEC section 3): closer rate x (revenue / deals), setter rate x deal value x
    (sourced deals / meetings), manager rate x deal value; an entered figure without units has none (paid flat)."""
    per_deal = role.commission_rate * config.deal_value
    if role.kind == KIND_CLOSER:
        if row is None or row.revenue is None:
            return per_deal
        return None if units == 0 else role.commission_rate * (dec(row.revenue) or ZERO) / units
    if role.kind == KIND_SETTER:
        if row is None or row.deals is None:
            return per_deal * config.meeting_to_deal_rate
        return None if units == 0 else per_deal * (dec(row.deals) or ZERO) / units
    return per_deal


def _allocate(exact: Sequence[Decimal], total: Decimal) -> list[Decimal]:
    """Cents that add up to ``total`` (a whole number of cents), each within a cent of its exact amount: the
    largest remainder method (see the module's docstring)."""
    floors = [amount.quantize(MONEY, ROUND_FLOOR, EDGE_CONTEXT) for amount in exact]
    missing = int((total - sum(floors, ZERO)) / MONEY)
    if not floors or missing == 0:
        return floors
    by_remainder = sorted(range(len(exact)), key=lambda i: (-(exact[i] - floors[i]), i))
    step = MONEY if missing > 0 else -MONEY
    order = by_remainder if missing > 0 else by_remainder[::-1]
    for count in range(abs(missing)):
        floors[order[count % len(order)]] += step
    return floors


def _commission_lines(
    *, rep: RepReport, role: RoleConfig, config: OrgConfig, row: RepMonth | None
) -> list[StatementLine]:
    kind, units, currency = role.kind, rep.units, config.currency
    pay = _pay_per_unit(role, config, row, units)
    if pay is None:  # an entered figure with no units: paid flat, without accelerators
        if rep.commission == 0 or row is None:
            return []
        if kind == KIND_CLOSER:
            rate = _plain(role.commission_rate * HUNDRED, RATIO)
            label = f"{rate}% of {_money(dec(row.revenue) or ZERO, currency)} revenue"
        else:
            per_deal = _money(role.commission_rate * config.deal_value, currency)
            label = f"{_plain(dec(row.deals) or ZERO)} sourced deals {TIMES} {per_deal}"
        amount = _cents(rep.commission)
        label = f"{label} = {_money(amount, currency)}"
        return [StatementLine(LINE_COMMISSION, label, amount, exact_amount=rep.commission)]
    bands = commission_bands(units, rep.quota, role.accelerators)
    exact = [band_units * pay * multiplier for band_units, multiplier in bands]
    amounts = _allocate(exact, _cents(rep.commission))
    lines = []
    for (band_units, multiplier), amount, exact_amount in zip(bands, amounts, exact, strict=True):
        times = f" {TIMES} {_plain(multiplier, RATIO)}" if role.accelerators else ""
        label = f"{_units_text(band_units, kind)} {TIMES} {_money(pay, currency)}{times} = {_money(amount, currency)}"
        lines.append(
            StatementLine(
                LINE_COMMISSION,
                label,
                amount,
                units=band_units,
                pay_per_unit=pay,
                multiplier=multiplier,
                exact_amount=exact_amount,
            )
        )
    return lines


def _adjustment_line(adjustment: Adjustment, currency: str) -> StatementLine:
    reason = adjustment.reason.strip()
    reverses = adjustment.reverses_month
    if adjustment.kind == ADJUSTMENT_CLAWBACK:
        label = f"Clawback of {_label(reverses)}: {reason}"  # type: ignore[arg-type]
    elif adjustment.kind == ADJUSTMENT_CORRECTION:
        label = f"Correction{f' of {_label(reverses)}' if reverses else ''}: {reason}"
    else:
        label = f"Bonus: {reason}"
    return StatementLine(LINE_ADJUSTMENT, label, _cents(dec(adjustment.amount) or ZERO))


def _draw_line(outcome: DrawOutcome, recoverable: bool, currency: str) -> StatementLine | None:
    draw, earned = outcome.draw, outcome.earned
    amount = outcome.payout - earned
    if outcome.recovered:
        label = (
            f"Draw recovery: {_money(outcome.recovered, currency)} of the "
            f"{_money(outcome.balance_before, currency)} advanced earlier"
        )
    elif outcome.advanced:
        then = "to be recovered from later earnings" if recoverable else "not recovered"
        label = (
            f"Draw: {_money(draw, currency)} guaranteed, {_money(earned, currency)} earned; "
            f"{_money(outcome.advanced, currency)} advanced, {then}"
        )
    elif draw:
        label = f"Draw: {_money(draw, currency)} guaranteed, covered by earnings"
    else:
        return None
    return StatementLine(LINE_DRAW, label, amount)


def _ramp_note(rep: RepReport, role: RoleConfig, start_date: date | None, month: date) -> str | None:
    if rep.ramp_factor == ONE:
        return None
    tenure = tenure_month(start_date, month)
    return f"tenure month {tenure} of {len(role.ramp)}: quota and variable {TIMES} {_plain(rep.ramp_factor, RATIO)}"


def _statement(
    *,
    rep_id: int | str,
    name: str,
    role_key: str,
    month: date,
    config: OrgConfig,
    rep: RepReport | None,
    row: RepMonth | None,
    adjustments: Sequence[Adjustment],
    balance: Decimal,
    pace: RepPace | None,
) -> Statement:
    currency = config.currency
    role = effective_role(config.role(role_key), config.rep_plans.get(rep_id))
    lines: list[StatementLine] = []
    if rep is None:
        base = commission = units = ZERO
        ramp_factor, ramp_note, ote, ote_attainment, quota_attainment, quota = ONE, None, None, None, None, None
    else:
        base, commission, units = rep.base, rep.commission, rep.units
        ramp_factor, ote, quota = rep.ramp_factor, rep.ote, rep.quota
        ote_attainment, quota_attainment = rep.ote_attainment, rep.quota_attainment
        ramp_note = _ramp_note(rep, role, None if row is None else row.start_date, month)
        if base:
            lines.append(StatementLine(LINE_BASE, "Base salary", _cents(base)))
        lines += _commission_lines(rep=rep, role=role, config=config, row=row)
    adjustment_lines = [_adjustment_line(adjustment, currency) for adjustment in adjustments]
    lines += adjustment_lines
    adjusted = sum((line.amount for line in adjustment_lines), ZERO)
    earned = _cents(base) + _cents(commission) + adjusted
    outcome = apply_draw(
        earned=earned, draw=_cents(role.monthly_draw), recoverable=role.draw_recoverable, balance=balance
    )
    draw_line = _draw_line(outcome, role.draw_recoverable, currency)
    if draw_line is not None:
        lines.append(draw_line)
    return Statement(
        rep_id=rep_id,
        name=name,
        role_key=role_key,
        month=month,
        has_actuals=rep is not None,
        base=base,
        commission=commission,
        adjustments=adjusted,
        earned=earned,
        draw=outcome.draw,
        draw_advanced=outcome.advanced,
        draw_recovery=outcome.recovered,
        payout=outcome.payout,
        balance_before=balance,
        balance_after=outcome.balance_after,
        ote=ote,
        ote_attainment=ote_attainment,
        quota_attainment=quota_attainment,
        units=units,
        quota=quota,
        ramp_factor=ramp_factor,
        ramp_note=ramp_note,
        lines=tuple(lines),
        adjustment_items=tuple(adjustments),
        pace=pace,
    )


def compute_statements(
    *,
    config: OrgConfig,
    month: date,
    actuals: Sequence[RepMonth],
    adjustments: Sequence[Adjustment] = (),
    opening_balances: Mapping[int | str, Decimal] | None = None,
    as_of: date | None = None,
    report: Report | None = None,
    rep_ids: Collection[int | str] | None = None,
) -> MonthStatements:
    """Every rep's statement for ``month``: one per rep with an actuals row or an adjustment that month.

    ``opening_balances`` are the reps' outstanding draw balances before the month (0 when absent; see
    ``statements_over`` to carry them over a run of months). With ``as_of`` in the month, each statement of a rep
    with actuals carries its pace. ``report`` (the month's report on the same inputs) saves computing it again;
    ``rep_ids`` limits the statements to those reps (a rep's own page), the report still covering everyone.
    A rep with only adjustments has base and commission 0 (the month's report does not count them). Raises
    AdjustmentError for an invalid adjustment, ValueError for one of another month or an unknown role."""
    balances = opening_balances or {}
    with localcontext(ENGINE_CONTEXT):
        adjustments_of: dict[int | str, list[Adjustment]] = defaultdict(list)
        for adjustment in adjustments:
            validate_adjustment(adjustment)
            if _month_of(adjustment.month) != _month_of(month):
                raise ValueError(
                    f"adjustment for {adjustment.name!r} is for {_label(adjustment.month)}, not {_label(month)}"
                )
            adjustments_of[adjustment.rep_id].append(adjustment)
        if report is None:
            report = compute_report(config=config, month=month, actuals=actuals)
        pace = (
            None
            if as_of is None
            else compute_pace(config=config, month=month, actuals=actuals, as_of=as_of, report=report)
        )
        rows = {row.rep_id: row for row in actuals}
        role_order = {role.key: index for index, role in enumerate(config.roles)}
        entries: list[tuple[tuple, Statement]] = []
        seen: set[int | str] = set()

        def add(rep_id: int | str, name: str, role_key: str, rep: RepReport | None) -> None:
            seen.add(rep_id)
            if rep_ids is not None and rep_id not in rep_ids:
                return
            statement = _statement(
                rep_id=rep_id,
                name=name,
                role_key=role_key,
                month=month,
                config=config,
                rep=rep,
                row=rows.get(rep_id),
                adjustments=adjustments_of.get(rep_id, ()),
                balance=_cents(dec(balances.get(rep_id)) or ZERO),
                pace=None if pace is None or rep is None else pace.reps.get(rep_id),
            )
            entries.append(((role_order[role_key], name, str(rep_id)), statement))

        for role_report in report.roles:
            for rep in role_report.reps:
                add(rep.rep_id, rep.name, rep.role_key, rep)
        for rep_id, items in adjustments_of.items():
            if rep_id not in seen:
                first = items[0]
                if first.role_key not in role_order:
                    raise ValueError(f"adjustment for {first.name!r}: unknown role {first.role_key!r}")
                add(rep_id, first.name, first.role_key, None)
        entries.sort(key=lambda entry: entry[0])
        return MonthStatements(
            month=month, currency=config.currency, statements=tuple(statement for _, statement in entries)
        )


def statements_over(
    months: Sequence[MonthInputs],
    *,
    opening_balances: Mapping[int | str, Decimal] | None = None,
    as_of: date | None = None,
    rep_ids: Collection[int | str] | None = None,
) -> tuple[MonthStatements, ...]:
    """The statements of a run of months in month order, each computed with its own configuration, the draw
    balances carried from one month to the next (a month where a rep has no statement leaves their balance as
    it is). ``opening_balances`` are the balances before the first month; ``rep_ids`` limits the statements to
    those reps. Raises ValueError for a repeated month."""
    ordered = sorted(months, key=lambda inputs: inputs.month)
    labels = [_month_of(inputs.month) for inputs in ordered]
    if len(set(labels)) != len(labels):
        raise ValueError("each month may be given once")
    balances: dict[int | str, Decimal] = dict(opening_balances or {})
    result = []
    for inputs in ordered:
        month_statements = compute_statements(
            config=inputs.config,
            month=inputs.month,
            actuals=inputs.actuals,
            adjustments=inputs.adjustments,
            opening_balances=balances,
            as_of=as_of,
            rep_ids=rep_ids,
        )
        balances.update(month_statements.balances_after())
        result.append(month_statements)
    return tuple(result)


__all__ = [
    "LINE_ADJUSTMENT",
    "LINE_BASE",
    "LINE_COMMISSION",
    "LINE_DRAW",
    "MONTH_STATES",
    "STATE_APPROVED",
    "STATE_CLOSED",
    "STATE_OPEN",
    "AdjustmentError",
    "DrawOutcome",
    "MonthStatements",
    "Statement",
    "StatementLine",
    "apply_draw",
    "compute_statements",
    "statements_over",
    "statements_to_dict",
    "statements_to_json",
    "validate_adjustment",
]
