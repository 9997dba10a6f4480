"""Decimal helpers: safe division, the engine's arithmetic context and edge rounding."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

from oteapp.rounding import round_half_up

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)

# Output precisions of the report contract (SPEC section 6).
MONEY = Decimal("0.01")
RATIO = Decimal("0.0001")
UNITS = Decimal("0.01")

# A fixed context so results never depend on whatever context the caller left active;
# 34 digits keep cents exact far beyond any realistic sales figure.
ENGINE_CONTEXT = Context(prec=34, rounding=ROUND_HALF_EVEN)
# Rounding at the edge gets extra room so quantize() cannot overflow the precision.
EDGE_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)


def dec(value: Decimal | str | float | None) -> Decimal | None:
    """Coerce a caller's number to Decimal (floats via str, so 0.1 stays 0.1)."""
    if value is None or isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(str(value))
    return Decimal(value)


def div(numerator: Decimal | None, denominator: Decimal | None) -> Decimal | None:
    """numerator / denominator, or None when undefined: the report never raises on zero."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def dsum(values: Iterable[Decimal]) -> Decimal:
    # sum() starts from int 0; starting from Decimal keeps the type even for empty input.
    total = ZERO
    for value in values:
        total += value
    return total


def quantize(value: Decimal | None, exp: Decimal) -> Decimal | None:
    """Round half up to ``exp`` places, as the exact value rounds (oteapp/rounding.py); drops the sign of a
    rounded zero (no "-0.00")."""
    if value is None:
        return None
    # The contexts as arguments, not a `localcontext` block per number: this runs for every figure of
    # every report the snapshot job serializes.
    rounded = round_half_up(value, exp)
    return rounded.copy_abs() if rounded == 0 else rounded


def as_float(value: Decimal | None, exp: Decimal) -> float | None:
    """float(quantize(value, exp)), the hottest line of Report.to_dict: a rounded zero (either sign) is the
    float 0.0, which is what float() of quantize's sign-dropped zero gives; anything else rounds to at
    least one unit of `exp` and so is never a float zero."""
    if value is None:
        return None
    return float(round_half_up(value, exp)) or 0.0
