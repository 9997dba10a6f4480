"""Periods (SPEC section 14): fiscal quarters and year to date, and the period report."""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from decimal import localcontext

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oteapp.engine import (
    MonthInputs,
    PeriodError,
    RepMonth,
    RepPlan,
    compute_period_report,
    compute_report,
    fiscal_quarter_of,
    fiscal_year_of,
    parse_period,
    period_containing,
    period_report,
)
from oteapp.engine.examples import worked_example_actuals, worked_example_config
from oteapp.engine.numbers import ENGINE_CONTEXT
from tests.engine.strategies import (
    MONTH,
    configs_rows_and_plans,
    engine_settings,
    money,
    org_configs,
    role_configs,
    rows_for,
)


def months(*pairs: tuple[int, int]) -> tuple[date, ...]:
    return tuple(date(year, month, 1) for year, month in pairs)


def test_calendar_quarters_and_year_to_date_by_default():
    assert parse_period("2026-Q3").months == months((2026, 7), (2026, 8), (2026, 9))
    assert parse_period("2026-q1").label == "2026-Q1"
    assert parse_period("2026-ytd", as_of=date(2026, 4, 17)).months == months(
        (2026, 1), (2026, 2), (2026, 3), (2026, 4)
    )
    assert len(parse_period("2026-YTD").months) == 12  # no as-of: the whole year
    assert len(parse_period("2025-ytd", as_of=date(2026, 4, 17)).months) == 12  # a year that is over
    assert parse_period("2026-10").months == months((2026, 10))


def test_a_fiscal_year_is_named_by_the_calendar_year_in_which_it_ends():
    # A February start (Salesforce's): FY2026 runs February 2025 to January 2026.
    assert parse_period("2026-Q1", fiscal_year_start=2).months == months((2025, 2), (2025, 3), (2025, 4))
    assert parse_period("2026-Q4", fiscal_year_start=2).months == months((2025, 11), (2025, 12), (2026, 1))
    assert fiscal_year_of(date(2025, 2, 1), 2) == 2026 and fiscal_year_of(date(2026, 1, 1), 2) == 2026
    assert fiscal_quarter_of(date(2025, 12, 1), 2) == (2026, 4)
    assert parse_period("2027-ytd", fiscal_year_start=7, as_of=date(2026, 9, 3)).months == months(
        (2026, 7), (2026, 8), (2026, 9)
    )
    assert period_containing(date(2026, 9, 1), "quarter", fiscal_year_start=7).label == "2027-Q1"
    assert period_containing(date(2026, 9, 1), "ytd").months[-1] == date(2026, 9, 1)


@pytest.mark.parametrize(
    ("text", "kwargs", "field"),
    [
        ("2026-Q5", {}, "period"),
        ("2026-13", {}, "period"),
        ("Q3 2026", {}, "period"),
        ("", {}, "period"),
        ("2026-Q1", {"fiscal_year_start": 13}, "fiscal_year_start"),
        ("2027-ytd", {"as_of": date(2026, 3, 1)}, "period"),  # the fiscal year has not begun
    ],
)
def test_bad_periods_are_refused_naming_the_input(text, kwargs, field):
    with pytest.raises(PeriodError) as error:
        parse_period(text, **kwargs)
    assert error.value.field == field


def quarter_inputs() -> list[MonthInputs]:
    """Q3 2026: July with the worked example, August with a higher closer OTE and Ana on her own plan,
    September with no actuals at all."""
    config = worked_example_config()
    closer, *others = config.roles
    august_config = replace(
        config, roles=(replace(closer, annual_ote=D("72000")), *others), rep_plans={2: RepPlan(monthly_quota=D("4"))}
    )
    rows = worked_example_actuals()
    august_rows = (*rows, RepMonth(rep_id=8, name="Hal", role_key="closer", deals=D("7")))
    return [
        MonthInputs(month=date(2026, 7, 1), config=config, actuals=rows),
        MonthInputs(month=date(2026, 8, 1), config=august_config, actuals=august_rows),
        MonthInputs(month=date(2026, 9, 1), config=august_config, actuals=()),
    ]


def test_a_quarter_sums_its_months_and_takes_ratios_of_the_sums():
    inputs = quarter_inputs()
    reports = [compute_report(config=i.config, month=i.month, actuals=i.actuals) for i in inputs]
    period = compute_period_report(period="2026-Q3", months=inputs)
    assert period.months == months((2026, 7), (2026, 8))  # September has no actuals
    july, august = reports[0], reports[1]
    closers = period.role("closer")
    assert closers.headcount == 5  # Ana, Ben, Cy, Dee and Hal: distinct reps
    assert closers.team_ote == D("20000") + D("30000")
    assert closers.team_quota == D("20") + D("24")  # Ben's own quota of 4 in August
    assert closers.actual_units == D("18") + D("25")
    assert closers.actual_units_per_person == D("43") / 5
    assert closers.team_actual == july.role("closer").team_actual + august.role("closer").team_actual
    assert closers.ote_attainment == ENGINE_CONTEXT.divide(closers.team_actual, closers.team_ote)
    # Configured figures are the role's in the last month counted (August).
    assert closers.monthly_ote == D("6000") and closers.required_commission_per_unit == D("1200")
    summary = period.summary
    assert summary.total_actual == july.summary.total_actual + august.summary.total_actual
    assert summary.ebitda == july.summary.ebitda + august.summary.ebitda  # operating expenses twice, not thrice
    assert summary.headcount == 8
    ana = next(rep for rep in closers.reps if rep.name == "Ana")
    assert (ana.units, ana.quota, ana.earnings) == (D("12"), D("10"), D("13608.00"))
    assert ana.status == "on_target"
    with localcontext(ENGINE_CONTEXT):  # the mean over the 8 reps of their own period attainment
        attainments = [rep.ote_attainment for role in period.roles for rep in role.reps]
        assert len(attainments) == 8
        assert summary.team_avg_attainment == sum(attainments, D(0)) / 8
    data = period.to_dict()
    assert list(data) == ["period", "months", "summary", "roles", "insights"]
    assert data["period"] == "2026-Q3" and data["months"] == ["2026-07", "2026-08"] and data["insights"] == []
    assert list(data["roles"][0])[:18] == list(july.to_dict()["roles"][0])[:18]


def test_a_period_without_actuals_has_its_roles_and_no_figures():
    config = worked_example_config()
    period = period_report(period="2026-Q4", reports=[(config, compute_report(config=config, month=MONTH, actuals=()))])
    assert period.months == () and period.summary.total_actual == 0 and period.summary.ebitda == 0
    assert [role.status for role in period.roles] == [None, None, None]


def test_a_role_of_an_earlier_month_only_is_kept_while_it_has_reps():
    config = worked_example_config()
    without_setters = replace(config, roles=tuple(r for r in config.roles if r.key != "setter"))
    rows = worked_example_actuals()
    july = compute_report(config=config, month=date(2026, 7, 1), actuals=rows)
    august_rows = tuple(row for row in rows if row.role_key != "setter")
    august = compute_report(config=without_setters, month=date(2026, 8, 1), actuals=august_rows)
    period = period_report(period="2026-Q3", reports=[(config, july), (without_setters, august)])
    assert [role.key for role in period.roles] == ["closer", "manager", "setter"]
    assert period.role("setter").headcount == 2


def test_repeated_months_are_refused():
    config = worked_example_config()
    report = compute_report(config=config, month=MONTH, actuals=worked_example_actuals())
    with pytest.raises(ValueError, match="once"):
        period_report(period="x", reports=[(config, report), (config, report)])
    with pytest.raises(ValueError):
        period_report(period="x", reports=[])


@engine_settings
@given(case=configs_rows_and_plans())
def test_a_one_month_period_is_that_months_report(case):
    config, rows = case
    report = compute_report(config=config, month=MONTH, actuals=rows)
    period = period_report(period="2026-10", reports=[(config, report)])
    if rows:
        assert period.roles == report.roles
        assert period.summary == report.summary
        assert period.to_dict()["roles"] == report.to_dict()["roles"]
        assert period.months == (MONTH,)


@st.composite
def month_runs(draw: st.DrawFn) -> list[MonthInputs]:
    """Up to four months of the same roles, each month with its own figures for them (a pinned configuration)
    or today's."""
    config = draw(org_configs())
    result = []
    for index in range(draw(st.integers(1, 4))):
        month_config = config
        if draw(st.booleans()):
            roles = tuple(draw(role_configs(role.key, role.kind)) for role in config.roles)
            month_config = replace(config, roles=roles, monthly_operating_expenses=draw(money))
        rows = draw(rows_for(config, max_size=5))
        result.append(MonthInputs(month=date(2026, index + 1, 1), config=month_config, actuals=tuple(rows)))
    return result


@engine_settings
@given(inputs=month_runs())
def test_period_totals_are_sums_and_ratios_are_ratios_of_sums(inputs):
    reports = [compute_report(config=i.config, month=i.month, actuals=i.actuals) for i in inputs]
    period = compute_period_report(period="p", months=inputs)
    counted = [report for report in reports if report.summary.headcount]
    assert period.months == tuple(report.month for report in counted)
    with localcontext(ENGINE_CONTEXT):
        for role in period.roles:
            month_roles = [r for report in counted for r in report.roles if r.key == role.key]
            assert role.team_actual == sum((r.team_actual for r in month_roles), D(0))
            assert role.team_ote == sum((r.team_ote for r in month_roles), D(0))
            assert role.actual_units == sum((r.actual_units for r in month_roles), D(0))
            assert role.team_quota == sum((r.team_quota for r in month_roles), D(0))
            distinct = {rep.rep_id for r in month_roles for rep in r.reps}
            assert role.headcount == len(distinct) == len(role.reps)
            assert role.ote_attainment == (None if role.team_ote == 0 else role.team_actual / role.team_ote)
            assert role.quota_attainment == (None if role.team_quota == 0 else role.actual_units / role.team_quota)
        summary = period.summary
        assert summary.total_actual == sum((r.summary.total_actual for r in counted), D(0))
        assert summary.revenue == sum((r.summary.revenue for r in counted), D(0))
        assert summary.ebitda == sum((r.summary.ebitda for r in counted), D(0))
        assert summary.comp_pct_of_revenue == (
            None if summary.revenue == 0 else summary.total_actual / summary.revenue
        )
