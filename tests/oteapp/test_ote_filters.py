"""The display filters take a Decimal as it is (no str() round trip): the text must be what it was."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from oteapp.templatetags.ote import bar_width, money, pct, ratio, signed_money, units

FILTERS = (money, signed_money, pct, units, ratio)

numbers = (
    st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=6)
    | st.decimals(min_value=Decimal("-1"), max_value=Decimal("1"), allow_nan=False, places=40)
    | st.sampled_from([Decimal(text) for text in ("0", "-0", "-0.000", "1E+3", "0.005", "-0.005", "-0.004")])
)


@settings(max_examples=300, deadline=None)
@given(value=numbers, places=st.integers(0, 8))
def test_a_decimal_is_formatted_as_its_text_was(value, places):
    for formatter in FILTERS:
        # The text of a Decimal is exactly that Decimal again: what these filters used to format.
        assert formatter(value, places) == formatter(str(value), places), formatter.__name__
    assert bar_width(value) == bar_width(str(value))


def test_known_figures():
    assert money(Decimal("12345.6")) == "$12,345.60"
    assert money(Decimal("-1.005")) == "\N{MINUS SIGN}$1.01"
    assert signed_money(Decimal("412")) == "+$412.00"
    assert pct(Decimal("0.9")) == "90.0%"
    assert pct(Decimal("0.12345"), 2) == "12.35%"
    assert units(Decimal("4.5"), 0) == "5"
    assert ratio(Decimal("5.7499")) == "$5.75"
    assert units(None) == money("") == "—"
    assert money(1234) == "$1,234.00" and pct(0.5) == "50.0%"  # not a Decimal: through its text, as before
