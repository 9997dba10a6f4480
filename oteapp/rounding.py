"""Rounding half up, the way every figure the product shows or writes is rounded (SPEC section 6: cents, ratios to
4 places, units to 2).

The engine computes with 34 significant digits, so a figure whose exact value ends in a 5 at the rounding place
can come out a few units of the 30th decimal below it: three months of a ramped OTE of 2,593.791666… a month
add up to exactly 7,781.375, which 34 digits hold as 7,781.374999…9. Rounding that straight to cents
gives 7,781.37 where the exact figure rounds to 7,781.38. So a value is first snapped to 20 decimals (half even),
which removes what the finite precision added, then rounded half up. The snap cannot move an exact value across
a boundary: the product's figures are fractions whose denominators (twelfths, ramp and rate fractions, units
counts) are far too small for one to lie within 10^-20 of a rounding boundary without being on it.
"""

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal

SNAP = Decimal("1e-20")
# Room for the snap's 20 decimals on top of any figure's integer digits.
ROUNDING_CONTEXT = Context(prec=80, rounding=ROUND_HALF_EVEN)


def round_half_up(value: Decimal, exp: Decimal) -> Decimal:
    """`value` rounded half up (away from zero) to the places of `exp`, as its exact value rounds."""
    return value.quantize(SNAP, ROUND_HALF_EVEN, ROUNDING_CONTEXT).quantize(exp, ROUND_HALF_UP, ROUNDING_CONTEXT)
