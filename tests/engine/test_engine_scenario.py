"""What-if scenarios and goal-seek, on the worked example and as properties."""

from dataclasses import replace
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oteapp.engine import (
    OrgConfig,
    RepMonth,
    Report,
    RoleOverride,
    Scenario,
    apply_scenario,
    closers_needed,
    compute_report,
    compute_scenario,
)
from oteapp.engine.examples import WORKED_EXAMPLE_MONTH as MONTH
from oteapp.engine.examples import worked_example_actuals, worked_example_config


def baseline() -> Report:
    return compute_report(config=worked_example_config(), month=MONTH, actuals=worked_example_actuals())


def scenario(
    scenario: Scenario, actuals: tuple[RepMonth, ...] | None = None, config: OrgConfig | None = None
) -> Report:
    return compute_scenario(
        config=config or worked_example_config(),
        month=MONTH,
        actuals=worked_example_actuals() if actuals is None else actuals,
        scenario=scenario,
    )


@pytest.mark.parametrize(
    "neutral",
    [
        Scenario(),
        Scenario(roles={"closer": RoleOverride(), "manager": RoleOverride()}),
        Scenario(roles={"closer": RoleOverride(headcount=4, productivity=D("1"))}),
    ],
)
def test_neutral_scenario_equals_baseline(neutral: Scenario) -> None:
    assert scenario(neutral) == baseline()
    assert scenario(neutral).to_dict() == baseline().to_dict()


def test_raising_closer_headcount_adds_average_reps() -> None:
    _config, rows = apply_scenario(
        config=worked_example_config(),
        actuals=worked_example_actuals(),
        scenario=Scenario(roles={"closer": RoleOverride(headcount=6)}),
    )
    added = [row for row in rows if str(row.rep_id).startswith("scenario-")]
    assert [row.rep_id for row in added] == ["scenario-closer-1", "scenario-closer-2"]
    assert all(row.deals == D("4.5") and row.revenue is None for row in added)
    report = scenario(Scenario(roles={"closer": RoleOverride(headcount=6)}))
    base = baseline()
    assert report.summary.revenue == D("6") * D("4.5") * D("11340") > base.summary.revenue
    assert report.role("closer").team_ote == D("30000") > base.role("closer").team_ote
    assert report.summary.total_ote > base.summary.total_ote
    assert report.role("closer").headcount == 6


def test_lowering_headcount_drops_the_role_average() -> None:
    report = scenario(Scenario(roles={"closer": RoleOverride(headcount=3)}))
    closer = report.role("closer")
    assert closer.headcount == 3
    assert closer.actual_units == D("13.5")  # 18 - 4.5
    assert report.summary.revenue == D("13.5") * D("11340")


def test_productivity_scales_every_rep() -> None:
    report = scenario(Scenario(roles={"closer": RoleOverride(productivity=D("1.2"))}))
    assert [rep.units for rep in report.role("closer").reps] == [D("7.2"), D("4.8"), D("3.6"), D("6.0")]
    assert report.summary.revenue == D("21.6") * D("11340")
    both = scenario(Scenario(roles={"closer": RoleOverride(headcount=5, productivity=D("1.2"))}))
    assert both.role("closer").actual_units == D("21.6") + D("4.5") * D("1.2")


def test_config_overrides() -> None:
    report = scenario(
        Scenario(
            deal_value=D("12000"),
            meeting_to_deal_rate=D("0.5"),
            monthly_operating_expenses=D("0"),
            roles={"closer": RoleOverride(annual_ote=D("68040"), monthly_quota=D("6"), commission_rate=D("0.12"))},
        )
    )
    closer = report.role("closer")
    assert report.summary.revenue == D("18") * D("12000")
    assert closer.monthly_ote == D("5670") and closer.monthly_quota == D("6")
    assert closer.configured_commission_per_unit == D("1440")
    # Fay has no sourced deals entered: 30 meetings now convert at 0.5.
    fay = next(rep for rep in report.role("setter").reps if rep.name == "Fay")
    assert fay.commission == D("0.05") * D("12000") * D("15")
    assert report.summary.ebitda == report.summary.revenue - report.summary.total_actual


def test_managers_with_blank_team_deals_follow_added_closers() -> None:
    rows = tuple(
        replace(row, team_deals=None) if row.role_key == "manager" else row for row in worked_example_actuals()
    )
    report = scenario(Scenario(roles={"closer": RoleOverride(headcount=6), "manager": RoleOverride(headcount=2)}), rows)
    manager = report.role("manager")
    assert manager.headcount == 2
    assert [rep.units for rep in manager.reps] == [D("27"), D("27")]


def test_adding_reps_to_an_empty_role_assumes_quota() -> None:
    rows = tuple(row for row in worked_example_actuals() if row.role_key != "setter")
    report = scenario(Scenario(roles={"setter": RoleOverride(headcount=2)}), rows)
    assert report.role("setter").actual_units == D("80")
    assert report.role("setter").quota_attainment == D("1")


def test_invalid_scenarios_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        scenario(Scenario(roles={"ceo": RoleOverride(headcount=1)}))
    with pytest.raises(ValueError, match="negative"):
        scenario(Scenario(roles={"closer": RoleOverride(headcount=-1)}))


def test_goal_seek_on_the_worked_example() -> None:
    config, report = worked_example_config(), baseline()
    today = closers_needed(report=report, config=config, target_monthly_revenue=D("204120"))
    assert today.revenue_per_closer == D("51030")  # 4.5 deals x 11,340
    assert today.deals_per_closer == D("4.5")
    assert (today.closers_needed, today.whole, today.current_closers, today.additional_closers) == (
        D("4.00"),
        4,
        4,
        D("0.00"),
    )
    grow = closers_needed(report=report, config=config, target_monthly_revenue=D("300000"), role_key="closer")
    assert (grow.closers_needed, grow.whole, grow.additional_closers) == (D("5.88"), 6, D("1.88"))
    # Hiring the whole number reaches the target in the what-if.
    hired = scenario(Scenario(roles={"closer": RoleOverride(headcount=grow.whole)}))
    assert hired.summary.revenue >= D("300000")


def test_goal_seek_without_productivity_is_undefined() -> None:
    config = worked_example_config()
    rows = tuple(replace(row, deals=D("0")) if row.role_key == "closer" else row for row in worked_example_actuals())
    idle = closers_needed(
        report=compute_report(config=config, month=MONTH, actuals=rows),
        config=config,
        target_monthly_revenue=D("100000"),
    )
    assert idle.revenue_per_closer == D("0")
    assert (idle.closers_needed, idle.whole, idle.additional_closers) == (None, None, None)
    nobody = closers_needed(
        report=compute_report(config=config, month=MONTH, actuals=()), config=config, target_monthly_revenue=D("1")
    )
    assert nobody.revenue_per_closer is None and nobody.current_closers == 0
    with pytest.raises(ValueError, match="not a closer role"):
        closers_needed(report=baseline(), config=config, target_monthly_revenue=D("1"), role_key="setter")


deals = st.decimals(min_value=D("0"), max_value=D("50"), places=2)


@settings(max_examples=100, deadline=None)
@given(
    closer_deals=st.lists(deals, min_size=1, max_size=6),
    extra=st.integers(min_value=1, max_value=5),
    productivity=st.none() | st.decimals(min_value=D("1"), max_value=D("3"), places=2),
)
def test_more_headcount_never_lowers_revenue_or_team_ote(
    closer_deals: list[D], extra: int, productivity: D | None
) -> None:
    rows = tuple(RepMonth(rep_id=i, name=f"C{i}", role_key="closer", deals=d) for i, d in enumerate(closer_deals))
    base = scenario(Scenario(), rows)
    more = scenario(
        Scenario(roles={"closer": RoleOverride(headcount=len(rows) + extra, productivity=productivity)}), rows
    )
    assert more.role("closer").team_ote > base.role("closer").team_ote
    assert more.summary.revenue >= base.summary.revenue
    if sum(closer_deals) > 0:
        assert more.summary.revenue > base.summary.revenue


@settings(max_examples=100, deadline=None)
@given(
    closer_deals=st.lists(deals, max_size=6),
    setter_meetings=st.lists(deals, max_size=3),
    overrides=st.dictionaries(st.sampled_from(["closer", "setter", "manager"]), st.just(RoleOverride()), max_size=3),
)
def test_a_scenario_without_changes_is_the_baseline(
    closer_deals: list[D], setter_meetings: list[D], overrides: dict[str, RoleOverride]
) -> None:
    rows = tuple(
        RepMonth(rep_id=i, name=f"C{i}", role_key="closer", deals=d) for i, d in enumerate(closer_deals)
    ) + tuple(
        RepMonth(rep_id=f"s{i}", name=f"S{i}", role_key="setter", meetings=m) for i, m in enumerate(setter_meetings)
    )
    base = compute_report(config=worked_example_config(), month=MONTH, actuals=rows)
    assert scenario(Scenario(roles=overrides), rows) == base
