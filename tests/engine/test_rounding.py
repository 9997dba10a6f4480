"""Figures are rounded as their exact values round, not as 34-digit arithmetic happened to leave them
(oteapp/rounding.py)."""

from decimal import Decimal, localcontext

from oteapp.engine.numbers import ENGINE_CONTEXT, MONEY, RATIO, as_float, quantize
from oteapp.number_format import format_money
from oteapp.templatetags.ote import pct


def three_ramped_months() -> Decimal:
    """A mixed-model rep's ramped monthly OTE (base 1,251/yr, OTE 61,000/yr, ramp 0.5) over three months: exactly
    7,781.375, which the engine's 34 digits hold as 7,781.374999…"""
    with localcontext(ENGINE_CONTEXT):
        base = Decimal(1251) / 12
        month = base + (Decimal(61000) / 12 - base) * Decimal("0.5")
        total = month + month + month
    assert total < Decimal("7781.375")  # what finite precision leaves
    return total


def test_a_figure_on_a_rounding_boundary_rounds_as_its_exact_value():
    total = three_ramped_months()
    assert quantize(total, MONEY) == Decimal("7781.38")
    assert as_float(total, MONEY) == 7781.38
    assert format_money(total) == "$7,781.38"
    assert quantize(-total, MONEY) == Decimal("-7781.38")


def test_values_off_the_boundary_round_as_before():
    assert quantize(Decimal("7781.374"), MONEY) == Decimal("7781.37")
    assert quantize(Decimal("7781.3749999999999"), MONEY) == Decimal("7781.37")
    assert quantize(Decimal("0.00005"), RATIO) == Decimal("0.0001")
    assert quantize(Decimal("-0.004"), MONEY) == Decimal("0.00")  # no negative zero
    with localcontext(ENGINE_CONTEXT):
        third = Decimal(1) / 3
    assert pct(third * 3) == "100.0%"
