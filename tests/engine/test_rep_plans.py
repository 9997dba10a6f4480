"""Per-rep plans, role draws and per-rep status (SPEC sections 12 and 14), and their snapshot JSON."""

import json
from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from decimal import localcontext

from hypothesis import given

from oteapp.engine import (
    COMP_MIXED,
    OrgConfig,
    RepMonth,
    RepPlan,
    compute_report,
    config_from_dict,
    config_to_dict,
    effective_role,
    plan_economics,
    rep_plan_economics,
    report_to_json,
)
from oteapp.engine.examples import WORKED_EXAMPLE_MONTH, worked_example_actuals, worked_example_config
from oteapp.engine.numbers import ENGINE_CONTEXT
from tests.engine.strategies import MONTH, configs_rows_and_plans, engine_settings


def ratio(numerator: D, denominator: D) -> D:
    """numerator / denominator in the engine's context (34 digits), as the engine divides."""
    return ENGINE_CONTEXT.divide(numerator, denominator)


SENIOR = RepPlan(annual_ote=D("90000"), monthly_quota=D("8"))


def example_with_plans(**plans: RepPlan) -> OrgConfig:
    ids = {row.name: row.rep_id for row in worked_example_actuals()}
    return replace(worked_example_config(), rep_plans={ids[name]: plan for name, plan in plans.items()})


def test_a_reps_plan_sets_their_quota_ote_and_status_and_the_role_row_sums_their_own_figures():
    config = example_with_plans(Ana=SENIOR)  # Ana: 6 deals
    report = compute_report(config=config, month=WORKED_EXAMPLE_MONTH, actuals=worked_example_actuals())
    closers = report.role("closer")
    ana = next(rep for rep in closers.reps if rep.name == "Ana")
    assert (ana.quota, ana.ote, ana.earnings) == (D("8"), D("7500"), D("6804.00"))
    assert ana.quota_attainment == D("0.75")
    assert ana.ote_attainment == ratio(D("6804"), D("7500"))
    assert ana.status == "at_risk"  # 0.9072
    # Role rows: the reps' own ramped OTE and quota (Ana's 7,500 and 8, the others' 5,000 and 5).
    assert closers.team_ote == D("22500")
    assert closers.team_quota == D("23")
    assert closers.quota_attainment == ratio(D("18"), D("23"))
    # The role's configured figures stay the role's.
    assert (closers.monthly_ote, closers.monthly_quota) == (D("5000"), D("5"))
    assert closers.required_commission_per_unit == D("1000")
    assert closers.recommended_annual_ote == D("68040.00")
    plain = compute_report(config=worked_example_config(), month=WORKED_EXAMPLE_MONTH, actuals=worked_example_actuals())
    assert closers.break_even_units == plain.role("closer").break_even_units
    # Everyone else is untouched.
    others = [rep for rep in closers.reps if rep.name != "Ana"]
    assert others == [rep for rep in plain.role("closer").reps if rep.name != "Ana"]


def test_a_commission_rate_override_pays_the_rep_at_their_rate():
    config = example_with_plans(Ben=RepPlan(commission_rate=D("0.12")))  # Ben: 4 deals
    report = compute_report(config=config, month=WORKED_EXAMPLE_MONTH, actuals=worked_example_actuals())
    ben = next(rep for rep in report.role("closer").reps if rep.name == "Ben")
    assert ben.earnings == D("0.12") * D("11340") * 4
    assert report.role("closer").configured_commission_per_unit == D("1134.00")


def test_a_base_override_counts_only_in_the_mixed_model():
    plan = RepPlan(annual_base=D("24000"))
    config = example_with_plans(Cy=plan)
    rows = worked_example_actuals()

    def cy(cfg):
        report = compute_report(config=cfg, month=MONTH, actuals=rows)
        return next(rep for rep in report.role("closer").reps if rep.name == "Cy")

    assert cy(config).base == 0
    mixed = replace(config, comp_model=COMP_MIXED)
    assert cy(mixed).base == D("2000")
    assert cy(mixed).ote == D("5000")  # OTE stays; the variable shrinks to 3,000


def test_every_rep_has_a_status_by_the_organizations_thresholds_in_the_contract():
    config, rows = worked_example_config(), worked_example_actuals()
    report = compute_report(config=config, month=WORKED_EXAMPLE_MONTH, actuals=rows)
    statuses = {rep["name"]: rep["status"] for role in report.to_dict()["roles"] for rep in role["reps"]}
    # Ana 6,804 / 5,000; Ben 4,536 (0.9072); Cy 3,402 (0.6804); Dee 5,670; Eli 5,670 / 4,000; Fay 4,252.50;
    # Gus 6,123.60 / 7,500 (0.8165)
    assert statuses == {
        "Ana": "on_target", "Ben": "at_risk", "Cy": "off_target", "Dee": "on_target",
        "Eli": "on_target", "Fay": "on_target", "Gus": "off_target",
    }
    rep_keys = list(report.to_dict()["roles"][0]["reps"][0])
    assert rep_keys[-1] == "status" and rep_keys[:-1] == [
        "rep_id", "name", "role_key", "units", "ramp_factor", "quota", "ote", "earnings", "base", "commission",
        "ote_attainment", "quota_attainment",
    ]
    json.loads(report_to_json(report))


def test_plan_economics_of_a_rep_use_their_figures_and_name_what_they_override():
    config = example_with_plans(Ana=SENIOR)
    role = plan_economics(config, "closer")
    assert (role.required_commission_per_unit, role.break_even_units) == (D("1000"), ratio(D("5000"), D("1134.00")))
    assert role.overridden == ()
    ana = rep_plan_economics(config, rep_id=1, role_key="closer")
    assert ana.overridden == ("annual_ote", "monthly_quota")
    assert (ana.monthly_ote, ana.monthly_quota, ana.commission_rate) == (D("7500"), D("8"), D("0.10"))
    assert ana.required_commission_per_unit == D("937.5")
    assert ana.break_even_units == ratio(D("7500"), D("1134.00"))
    assert ana.recommended_annual_ote == D("1134.00") * 8 * 12
    # An unsaved plan (live calculation while editing a rep's row).
    draft = plan_economics(config, "setter", RepPlan(monthly_quota=D("50"), monthly_draw=D("1500")))
    assert (draft.required_commission_per_unit, draft.monthly_draw) == (D("80"), D("1500"))


def test_the_snapshot_json_round_trips_draws_and_plans_and_reads_older_configs():
    closer, *others = worked_example_config().roles
    config = replace(
        worked_example_config(),
        roles=(replace(closer, monthly_draw=D("2000"), draw_recoverable=True), *others),
        rep_plans={7: RepPlan(monthly_draw=D("0")), 1: SENIOR, "x": RepPlan()},
    )
    data = json.loads(json.dumps(config_to_dict(config)))
    assert config_from_dict(data) == config
    assert data["roles"][0]["monthly_draw"] == "2000" and data["roles"][0]["draw_recoverable"] is True
    assert data["rep_plans"] == [
        {"rep_id": 1, "annual_ote": "90000", "monthly_quota": "8"},
        {"rep_id": 7, "monthly_draw": "0"},
        {"rep_id": "x"},
    ]
    # A configuration stored before draws and plans existed.
    old = config_to_dict(worked_example_config())
    del old["rep_plans"]
    for role in old["roles"]:
        del role["monthly_draw"], role["draw_recoverable"]
    assert config_from_dict(old) == worked_example_config()
    hash(config)  # still usable as a key


@engine_settings
@given(case=configs_rows_and_plans())
def test_a_plan_gives_the_rep_exactly_the_figures_of_a_role_configured_like_it(case):
    config, rows = case
    with_plans = compute_report(config=config, month=MONTH, actuals=rows)
    without = compute_report(config=replace(config, rep_plans={}), month=MONTH, actuals=rows)
    for role, plain_role in zip(with_plans.roles, without.roles, strict=True):
        configured = ("monthly_ote", "monthly_quota", "required_commission_per_unit",
                      "configured_commission_per_unit", "break_even_units", "recommended_annual_ote")
        assert [getattr(role, name) for name in configured] == [getattr(plain_role, name) for name in configured]
        with localcontext(ENGINE_CONTEXT):  # both sides add alike
            assert role.team_ote == sum((rep.ote for rep in role.reps), D(0))
            assert role.team_quota == sum((rep.quota for rep in role.reps), D(0))
        for rep, plain in zip(role.reps, plain_role.reps, strict=True):
            plan = config.rep_plans.get(rep.rep_id)
            if plan is None:
                assert rep == plain
                continue
            # The same rep under a configuration whose role has the plan's figures.
            alone = replace(
                config,
                rep_plans={},
                roles=tuple(
                    effective_role(r, plan) if r.key == role.key else r for r in config.roles
                ),
            )
            reference = compute_report(config=alone, month=MONTH, actuals=rows).role(role.key)
            assert next(r for r in reference.reps if r.rep_id == rep.rep_id) == rep


def test_a_rep_plan_for_a_rep_without_a_row_changes_nothing():
    config = example_with_plans()
    config = replace(config, rep_plans={99: SENIOR})
    rows = [*worked_example_actuals(), RepMonth(rep_id=98, name="Zed", role_key="closer", start_date=date(2026, 10, 1))]
    assert compute_report(config=config, month=MONTH, actuals=rows) == compute_report(
        config=replace(config, rep_plans={}), month=MONTH, actuals=rows
    )
