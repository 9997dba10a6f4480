"""Pace of the open month (SPEC section 13) and "what if I close N more"."""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oteapp.engine import (
    AcceleratorTier,
    RepMonth,
    RepPlan,
    compute_pace,
    compute_report,
    compute_statements,
    pace_elapsed,
    statements_to_dict,
    what_if_more_units,
)
from oteapp.engine.examples import worked_example_actuals, worked_example_config
from oteapp.engine.numbers import ENGINE_CONTEXT
from tests.engine.strategies import configs_rows_and_plans, engine_settings

DEC = date(2026, 12, 1)
TIERS = (
    AcceleratorTier(from_attainment=D("0"), multiplier=D("1.0")),
    AcceleratorTier(from_attainment=D("1.0"), multiplier=D("1.5")),
    AcceleratorTier(from_attainment=D("1.5"), multiplier=D("2.0")),
)


def accelerated_config():
    closer, *others = worked_example_config().roles
    return replace(worked_example_config(), roles=(replace(closer, accelerators=TIERS), *others))


ANA = RepMonth(rep_id=1, name="Ana", role_key="closer", start_date=date(2026, 1, 12), deals=D("2"))


def test_the_pace_example_of_section_13():
    pace = compute_pace(config=accelerated_config(), month=DEC, actuals=[ANA], as_of=date(2026, 12, 10))
    ana = pace.reps[1]
    assert ana.projected_units == D("6.2")  # 2 / (10 / 31)
    assert ana.projected_earnings == D("7711.20")  # 5 x 1,134 + 1.2 x 1,701
    assert ana.to_dict() == {
        "as_of": "2026-12-10",
        "projected_units": 6.2,
        "projected_earnings": 7711.2,
        "projected_ote_attainment": 1.5422,
        "units_to_quota": 3.0,
    }
    assert pace.elapsed == ENGINE_CONTEXT.divide(D(10), D(31))


def test_the_statement_carries_the_pace_of_the_open_month_only():
    config = accelerated_config()
    open_month = compute_statements(config=config, month=DEC, actuals=[ANA], as_of=date(2026, 12, 10))
    data = statements_to_dict(open_month, state="open")
    assert data["statements"][0]["pace"]["projected_earnings"] == 7711.2
    past = compute_statements(config=config, month=date(2026, 11, 1), actuals=[ANA], as_of=date(2026, 12, 10))
    assert past.statements[0].pace is None


@pytest.mark.parametrize("as_of", [date(2026, 11, 30), date(2027, 1, 1), date(2025, 12, 10)])
def test_a_month_other_than_as_ofs_has_no_pace(as_of):
    assert pace_elapsed(DEC, as_of) is None
    assert compute_pace(config=accelerated_config(), month=DEC, actuals=[ANA], as_of=as_of) is None


def test_on_the_last_day_the_projection_is_the_actuals():
    config = worked_example_config()
    rows = worked_example_actuals()
    month = date(2026, 10, 1)
    pace = compute_pace(config=config, month=month, actuals=rows, as_of=date(2026, 10, 31))
    assert pace.projected == compute_report(config=config, month=month, actuals=rows)


def test_roles_and_team_are_projected_by_the_engine_with_managers_following_the_closers():
    config = worked_example_config()
    rows = [replace(row, team_deals=None) if row.role_key == "manager" else row for row in worked_example_actuals()]
    month = date(2026, 10, 1)
    pace = compute_pace(config=config, month=month, actuals=rows, as_of=date(2026, 10, 15))  # 15 / 31
    closers = pace.roles["closer"]
    assert closers.units == D("18") and closers.projected_units == D("37.2")  # each closer's deals x 31 / 15, added
    assert closers.units_to_quota == D("2")  # 20 - 18
    assert pace.reps[7].projected_units == closers.projected_units  # Gus: blank team deals = the closers' deals
    assert pace.team.projected_earnings == pace.projected.summary.total_actual
    assert pace.roles["setter"].units_to_quota == D("8")  # 80 - 72
    assert set(pace.to_dict()) == {"month", "as_of", "elapsed", "team", "roles", "reps"}


def test_a_reps_plan_applies_to_their_pace():
    config = replace(accelerated_config(), rep_plans={1: RepPlan(monthly_quota=D("4"))})
    pace = compute_pace(config=config, month=DEC, actuals=[ANA], as_of=date(2026, 12, 10))
    # 6.2 deals on a quota of 4: 4 x 1,134 + 2 x 1,701 + 0.2 x 2,268
    assert pace.reps[1].projected_earnings == D("8391.60")
    assert pace.reps[1].units_to_quota == D("2")


def test_what_if_i_close_n_more():
    config = accelerated_config()
    result = what_if_more_units(config=config, month=DEC, actuals=[ANA], rep_id=1, more_units=D("4"))
    assert result.current.earnings == D("2268.00")
    assert result.with_more.units == D("6")
    assert result.with_more.earnings == D("5") * D("1134.00") + D("1701.000")
    assert result.extra_earnings == result.with_more.earnings - D("2268.00")


def test_what_if_with_entered_figures_credits_the_organizations_averages():
    config = worked_example_config()
    rows = [
        RepMonth(rep_id=1, name="Ana", role_key="closer", deals=D("2"), revenue=D("30000")),
        RepMonth(rep_id=5, name="Eli", role_key="setter", meetings=D("20"), deals=D("6")),
        RepMonth(rep_id=7, name="Gus", role_key="manager"),
    ]
    month = date(2026, 10, 1)
    ana = what_if_more_units(config=config, month=month, actuals=rows, rep_id=1, more_units=D("1"))
    assert ana.with_more.revenue == D("41340")
    eli = what_if_more_units(config=config, month=month, actuals=rows, rep_id=5, more_units=D("4"))
    assert eli.extra_earnings == D("0.05") * D("11340") * D("1.00")  # 4 meetings source one more deal
    gus = what_if_more_units(config=config, month=month, actuals=rows, rep_id=7, more_units=D("3"))
    assert gus.with_more.units == D("5")  # the closers' 2 deals + 3


def test_what_if_refuses_a_rep_without_a_row_and_negative_units():
    with pytest.raises(ValueError, match="no actuals row"):
        what_if_more_units(config=accelerated_config(), month=DEC, actuals=[ANA], rep_id=2, more_units=D("1"))
    with pytest.raises(ValueError, match="more_units"):
        what_if_more_units(config=accelerated_config(), month=DEC, actuals=[ANA], rep_id=1, more_units=D("-1"))


@engine_settings
@given(case=configs_rows_and_plans(), day=st.integers(1, 31))
def test_projected_units_are_units_so_far_over_elapsed(case, day):
    config, rows = case
    month = date(2026, 10, 1)
    pace = compute_pace(config=config, month=month, actuals=rows, as_of=date(2026, 10, day))
    report = compute_report(config=config, month=month, actuals=rows)
    for role in report.roles:
        for rep in role.reps:
            projected = pace.reps[rep.rep_id]
            assert abs(projected.projected_units * D(day) / D(31) - rep.units) < D("1e-25")
            assert projected.units_to_quota == max(rep.quota - rep.units, D(0))
            # More units never pay less; days / day rarely terminates, so allow the last of 34 digits.
            assert rep.earnings - projected.projected_earnings <= abs(rep.earnings) * D("1e-30")
