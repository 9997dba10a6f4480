"""The engine's shortcuts give exactly what the plain code gives (results must not change bit for bit)."""

from dataclasses import fields
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oteapp.engine import Insight, Report, RepReport, RoleReport, Summary, compute_report
from oteapp.engine.calc import _row_sort_key, _sorted_rows
from oteapp.engine.examples import WORKED_EXAMPLE_MONTH, worked_example_actuals, worked_example_config
from oteapp.engine.numbers import EDGE_CONTEXT, MONEY, RATIO, UNITS, as_float, quantize
from oteapp.engine.report import build
from oteapp.engine.types import RepMonth

fast_settings = settings(max_examples=300, deadline=None)


@fast_settings
@given(
    value=st.none() | st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), allow_nan=False, places=8)
    | st.decimals(min_value=Decimal("-0.01"), max_value=Decimal("0.01"), allow_nan=False, places=12),
    exp=st.sampled_from([MONEY, RATIO, UNITS]),
)
def test_as_float_is_the_float_of_the_rounded_value(value, exp):
    """float(quantize(value)), a rounded zero of either sign being 0.0 (repr tells -0.0 apart)."""
    rounded = quantize(value, exp)
    expected = None if rounded is None else float(rounded)
    assert repr(as_float(value, exp)) == repr(expected)
    if value is not None:
        assert rounded == value.quantize(exp, rounding=ROUND_HALF_UP, context=EDGE_CONTEXT)


rows = st.lists(
    st.builds(
        RepMonth,
        rep_id=st.integers(1, 4) | st.sampled_from(["1", "2", "x"]),
        name=st.sampled_from(["Ana", "Ben", "ana"]),
        role_key=st.just("closer"),
        deals=st.none() | st.decimals(min_value=0, max_value=20, places=2),
    ),
    max_size=8,
)


@fast_settings
@given(actuals=rows)
def test_the_row_order_is_the_full_sort_keys_order(actuals):
    assert _sorted_rows(actuals) == sorted(actuals, key=_row_sort_key)


def test_a_repeated_rep_is_ordered_by_the_whole_row():
    one = RepMonth(rep_id=1, name="Ana", role_key="closer", deals=Decimal(3))
    two = RepMonth(rep_id=1, name="Ana", role_key="closer", deals=Decimal(1))
    assert _sorted_rows([one, two]) == sorted([one, two], key=_row_sort_key) == [two, one]


def _hash(instance: object) -> object:
    try:
        return hash(instance)
    except TypeError:  # an insight's values dict, a report's insights: unhashable either way
        return "unhashable"


@pytest.mark.parametrize("cls", [RepReport, RoleReport, Summary, Insight, Report])
def test_build_makes_the_same_frozen_instance_as_the_constructor(cls):
    report = compute_report(
        config=worked_example_config(), month=WORKED_EXAMPLE_MONTH, actuals=worked_example_actuals()
    )
    sample = {
        RepReport: report.roles[0].reps[0], RoleReport: report.roles[0], Summary: report.summary,
        Insight: report.insights[0], Report: report,
    }[cls]
    values = {field.name: getattr(sample, field.name) for field in fields(cls)}
    built, constructed = build(cls, **values), cls(**values)
    assert built == constructed and repr(built) == repr(constructed) and _hash(built) == _hash(constructed)
    with pytest.raises(AttributeError):
        built.name = "changed"  # still frozen
    values.pop(next(iter(values)))
    with pytest.raises(TypeError):
        build(cls, **values)  # short of a field: through __init__, which refuses


def test_a_report_without_insights_has_the_same_figures():
    """What a backtest computes for each month: the report's figures, without the insights none of them reads."""
    config, actuals = worked_example_config(), worked_example_actuals()
    full = compute_report(config=config, month=WORKED_EXAMPLE_MONTH, actuals=actuals)
    figures = compute_report(config=config, month=WORKED_EXAMPLE_MONTH, actuals=actuals, insights=False)
    assert full.insights
    assert figures.insights == ()
    assert (figures.summary, figures.roles, figures.missing_actuals) == (full.summary, full.roles, full.missing_actuals)
