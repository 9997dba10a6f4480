"""Hypothesis properties of the engine: the invariants every report must keep."""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from decimal import localcontext

from hypothesis import given
from hypothesis import strategies as st

from oteapp.engine import (
    AcceleratorTier,
    OrgConfig,
    RepMonth,
    compute_report,
    recommended_annual_ote,
    report_to_json,
    report_to_text,
)
from oteapp.engine.numbers import ENGINE_CONTEXT, MONEY, quantize
from tests.engine.strategies import (
    KINDS,
    MONTH,
    accelerators,
    configs_and_rows,
    decimals,
    engine_settings,
    money,
    org_configs,
    ramps,
    rates,
    rows_for,
    start_dates,
    total,
    units,
)


def single_rep(kind: str, amount: D, start_date: date | None) -> RepMonth:
    """A rep whose amounts all derive from its units (no entered revenue or sourced deals)."""
    row = RepMonth(rep_id=1, name="Rep", role_key="r", start_date=start_date)
    if kind == "closer":
        return replace(row, deals=amount)
    if kind == "setter":
        return replace(row, meetings=amount)
    return replace(row, team_deals=amount)


@engine_settings
@given(
    config=org_configs(),
    kind=st.sampled_from(KINDS),
    low=units,
    extra=units,
    start_date=start_dates,
)
def test_earnings_never_decrease_when_units_grow(
    config: OrgConfig, kind: str, low: D, extra: D, start_date: date | None
) -> None:
    role = replace(config.roles[0], key="r", kind=kind)
    config = replace(config, roles=(role,))
    before = compute_report(config=config, month=MONTH, actuals=[single_rep(kind, low, start_date)])
    after = compute_report(config=config, month=MONTH, actuals=[single_rep(kind, low + extra, start_date)])
    assert after.role("r").reps[0].earnings >= before.role("r").reps[0].earnings


@engine_settings
@given(data=st.data(), config=org_configs())
def test_accelerators_of_at_least_one_never_pay_less(data: st.DataObject, config: OrgConfig) -> None:
    tiers = [data.draw(accelerators(min_multiplier="1")) for _ in config.roles]
    accelerated = replace(
        config, roles=tuple(replace(r, accelerators=t) for r, t in zip(config.roles, tiers, strict=True))
    )
    flat = replace(config, roles=tuple(replace(r, accelerators=()) for r in config.roles))
    rows = data.draw(rows_for(config))
    with_acc = compute_report(config=accelerated, month=MONTH, actuals=rows)
    without = compute_report(config=flat, month=MONTH, actuals=rows)
    for acc_role, flat_role in zip(with_acc.roles, without.roles, strict=True):
        for acc_rep, flat_rep in zip(acc_role.reps, flat_role.reps, strict=True):
            assert acc_rep.earnings >= flat_rep.earnings


@engine_settings
@given(configs_and_rows())
def test_team_figures_are_the_sum_of_rep_figures(case: tuple[OrgConfig, list[RepMonth]]) -> None:
    config, rows = case
    report = compute_report(config=config, month=MONTH, actuals=rows)
    assert sum(role.headcount for role in report.roles) == len(rows)
    with localcontext(ENGINE_CONTEXT):  # both sides round alike
        for role in report.roles:
            assert role.headcount == len(role.reps) == sum(1 for row in rows if row.role_key == role.key)
            assert role.team_actual == total(rep.earnings for rep in role.reps)
            assert role.team_ote == total(rep.ote for rep in role.reps)
            assert role.actual_units == total(rep.units for rep in role.reps)
            assert role.team_quota == total(rep.quota for rep in role.reps)
            assert role.revenue == total(rep.revenue for rep in role.reps)
            assert role.team_gap == role.team_actual - role.team_ote
            for rep in role.reps:
                assert rep.earnings == rep.base + rep.commission


@engine_settings
@given(configs_and_rows())
def test_summary_totals_are_the_sum_of_roles(case: tuple[OrgConfig, list[RepMonth]]) -> None:
    config, rows = case
    report = compute_report(config=config, month=MONTH, actuals=rows)
    summary = report.summary
    with localcontext(ENGINE_CONTEXT):  # both sides round alike
        assert summary.total_ote == total(role.team_ote for role in report.roles)
        assert summary.total_actual == total(role.team_actual for role in report.roles)
        assert summary.revenue == total(role.revenue for role in report.roles if role.kind == "closer")
        assert summary.ote_gap == summary.total_actual - summary.total_ote
        assert summary.ebitda == summary.revenue - summary.total_actual - config.monthly_operating_expenses
        assert summary.headcount == len(rows)


@engine_settings
@given(
    config=org_configs(),
    kind=st.sampled_from(KINDS),
    quota=decimals("0.01", "200", 2),
    start_date=start_dates,
    tiers=accelerators(),
)
def test_rep_at_quota_earns_the_aligned_ote(
    config: OrgConfig, kind: str, quota: D, start_date: date | None, tiers: tuple[AcceleratorTier, ...]
) -> None:
    role = replace(config.roles[0], key="r", kind=kind, monthly_quota=quota)
    # Accelerators that start at or above quota do not touch a rep at exactly 100%.
    role = replace(role, accelerators=tuple(t for t in tiers if t.from_attainment >= 1))
    role = replace(role, annual_ote=recommended_annual_ote(role, config))
    config = replace(config, roles=(role,))
    ramp = (
        compute_report(config=config, month=MONTH, actuals=[single_rep(kind, D(0), start_date)])
        .role("r")
        .reps[0]
        .ramp_factor
    )
    report = compute_report(config=config, month=MONTH, actuals=[single_rep(kind, quota * ramp, start_date)])
    rep = report.role("r").reps[0]
    assert rep.units == rep.quota
    if config.comp_model == "commission_only":
        assert rep.earnings == rep.ote
    else:
        # A base like 50,000 / 12 is not a finite decimal: equal to far below a cent.
        assert abs(rep.earnings - rep.ote) < D("1e-20")
        assert quantize(rep.earnings, MONEY) == quantize(rep.ote, MONEY)


@engine_settings
@given(data=st.data(), case=configs_and_rows())
def test_report_does_not_depend_on_row_order(data: st.DataObject, case: tuple[OrgConfig, list[RepMonth]]) -> None:
    config, rows = case
    shuffled = data.draw(st.permutations(rows))
    assert compute_report(config=config, month=MONTH, actuals=shuffled) == compute_report(
        config=config, month=MONTH, actuals=rows
    )


zeroish_money = st.sampled_from([D(0), D("0.00")]) | money


@engine_settings
@given(data=st.data())
def test_division_by_zero_never_raises(data: st.DataObject) -> None:
    config = data.draw(org_configs())
    zero_roles = tuple(
        replace(
            role,
            annual_ote=data.draw(zeroish_money),
            annual_base=data.draw(zeroish_money),
            monthly_quota=data.draw(st.just(D(0)) | units),
            commission_rate=data.draw(st.just(D(0)) | rates),
            ramp=data.draw(st.just((D(0),)) | ramps),
        )
        for role in config.roles
    )
    config = replace(
        config,
        roles=zero_roles,
        deal_value=data.draw(zeroish_money),
        meeting_to_deal_rate=data.draw(st.just(D(0)) | rates),
    )
    rows = data.draw(rows_for(config))
    report = compute_report(config=config, month=MONTH, actuals=rows)
    as_dict = report.to_dict()
    json.dumps(as_dict, allow_nan=False)
    report_to_json(report)
    report_to_text(report)
    for role in as_dict["roles"]:
        assert role["status"] in (None, "on_target", "at_risk", "off_target")
        if role["headcount"] == 0:
            assert role["status"] is None
    for insight in as_dict["insights"]:
        assert insight["severity"] in ("critical", "warning", "positive")
