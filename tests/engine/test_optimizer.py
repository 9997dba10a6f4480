"""Backtest and optimizer (SPEC section 15), checked against an independent reference in exact fractions.

The reference below re-derives every rule from the SPEC's text with ``fractions.Fraction`` and plain loops (no
engine code): ramp by tenure, marginal accelerators by integrating the multiplier over the units, entered revenue
and sourced deals, managers credited with every closer's deals, the type-7 quantile, rates from the target
variable, and the largest scale k / 10000 by scanning k downward.
"""

import random
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal as D
from decimal import localcontext
from fractions import Fraction as F
from itertools import pairwise
from math import floor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oteapp.engine import (
    BINDING_BASE_PAY,
    BINDING_CAP,
    BINDING_NONE,
    COMP_MIXED,
    AcceleratorTier,
    InsufficientHistoryError,
    MonthActuals,
    OptimizerInputError,
    OrgConfig,
    PlanError,
    RepMonth,
    RepPlan,
    RoleConfig,
    backtest,
    compute_report,
    optimization_to_dict,
    optimize,
    quantile,
    validate_plan,
)
from oteapp.engine.numbers import ENGINE_CONTEXT
from oteapp.engine.optimizer import _candidate, _unscaled, ramp_adjusted_units

DEAL_VALUE, MEETING_TO_DEAL, OPEX = D("11340"), D("0.25"), D("9000")


def tiers(*pairs: tuple[str, str]) -> tuple[AcceleratorTier, ...]:
    return tuple(AcceleratorTier(from_attainment=D(a), multiplier=D(m)) for a, m in pairs)


def history_config() -> OrgConfig:
    return OrgConfig(
        deal_value=DEAL_VALUE,
        meeting_to_deal_rate=MEETING_TO_DEAL,
        comp_model=COMP_MIXED,
        monthly_operating_expenses=OPEX,
        roles=(
            RoleConfig(
                key="closer", name="Closers", kind="closer", annual_ote=D("72000"), annual_base=D("12000"),
                monthly_quota=D("5"), commission_rate=D("0.10"), ramp=(D("0.5"), D("0.75")),
                accelerators=tiers(("0", "1.0"), ("1.0", "1.5"), ("1.5", "2.0")),
            ),
            RoleConfig(
                key="senior_closer", name="Senior closers", kind="closer", annual_ote=D("96000"),
                annual_base=D("24000"), monthly_quota=D("7"), commission_rate=D("0.09"),
                accelerators=tiers(("1.2", "1.25")),
            ),
            RoleConfig(
                key="setter", name="Setters", kind="setter", annual_ote=D("48000"), annual_base=D("6000"),
                monthly_quota=D("40"), commission_rate=D("0.05"), ramp=(D("0.5"),),
                accelerators=tiers(("0", "1"), ("1", "1.2")),
            ),
            RoleConfig(
                key="manager", name="Managers", kind="manager", annual_ote=D("90000"), annual_base=D("30000"),
                monthly_quota=D("40"), commission_rate=D("0.03"),
            ),
        ),
    )


REPS = [  # (id, name, role, start)
    (1, "Ana", "closer", date(2024, 3, 4)),
    (2, "Ben", "closer", date(2024, 6, 1)),
    (3, "Cy", "closer", date(2026, 2, 16)),  # ramps inside the history
    (4, "Dee", "closer", date(2025, 12, 1)),
    (5, "Sam", "senior_closer", date(2023, 1, 9)),
    (6, "Tia", "senior_closer", None),
    (7, "Eli", "setter", date(2024, 1, 1)),
    (8, "Fay", "setter", date(2026, 5, 3)),
    (9, "Gus", "manager", date(2022, 5, 1)),
]
MONTHS = [date(2025 + (10 + i) // 12, (10 + i) % 12 + 1, 1) for i in range(12)]  # 2025-11 .. 2026-10


def build_history(seed: int = 20261) -> list[MonthActuals]:
    rnd = random.Random(seed)
    history = []
    for month in MONTHS:
        rows = []
        for rep_id, name, role, start in REPS:
            if start is not None and (start.year, start.month) > (month.year, month.month):
                continue
            row = RepMonth(rep_id=rep_id, name=name, role_key=role, start_date=start)
            if role in ("closer", "senior_closer"):
                deals = D(rnd.randint(0, 10))
                revenue = None
                if name == "Ana" and rnd.random() < 0.5:
                    revenue = (deals * D("11340") + D(rnd.randint(-3000, 9000))).max(D(0)) + D("0.37")
                row = replace(row, deals=deals, revenue=revenue)
            elif role == "setter":
                meetings = D(rnd.randint(10, 60))
                sourced = D(rnd.randint(0, 15)) if name == "Eli" and rnd.random() < 0.6 else None
                row = replace(row, meetings=meetings, deals=sourced)
            rows.append(row)
        history.append(MonthActuals(month=month, actuals=tuple(rows)))
    return history


# --- the independent reference ----------------------------------------------------------------------------


def fr(value) -> F:
    return F(str(value))


def half_up(value: F, places: int) -> F:
    scale = 10**places
    return F(floor(value * scale + F(1, 2)), scale)


@dataclass
class RefRole:
    kind: str
    annual_ote: F
    annual_base: F
    quota: F
    rate: F
    ramp: list[F]
    tiers: list[tuple[F, F]]


def ref_roles(config: OrgConfig) -> dict[str, RefRole]:
    return {
        role.key: RefRole(
            role.kind, fr(role.annual_ote), fr(role.annual_base), fr(role.monthly_quota), fr(role.commission_rate),
            [fr(step) for step in role.ramp],
            sorted((fr(tier.from_attainment), fr(tier.multiplier)) for tier in role.accelerators),
        )
        for role in config.roles
    }


def ref_ramp(role: RefRole, start: date | None, month: date) -> F:
    if start is None:
        return F(1)
    tenure = max((month.year - start.year) * 12 + month.month - start.month + 1, 1)
    return role.ramp[tenure - 1] if tenure <= len(role.ramp) else F(1)


def ref_weighted(units: F, quota: F, role_tiers: list[tuple[F, F]]) -> F:
    """∫ multiplier over [0, units], the multiplier at x being the last tier whose start (x quota) is <= x."""
    if not role_tiers or quota <= 0 or units <= 0:
        return units
    cuts = sorted({F(0), units} | {start * quota for start, _ in role_tiers if 0 < start * quota < units})
    total = F(0)
    for low, high in pairwise(cuts):
        middle = (low + high) / 2
        multiplier = F(1)
        for start, tier_multiplier in role_tiers:
            if middle >= start * quota:
                multiplier = tier_multiplier
        total += (high - low) * multiplier
    return total


@dataclass
class RefRepMonth:
    role: str
    units: F
    ramp: F
    base: F  # monthly
    ote: F  # ramped monthly
    commission_per_rate: F  # commission at a rate of 1 (commission is linear in the rate)
    revenue: F


def ref_rep_months(roles: dict[str, RefRole], history: list[MonthActuals], quotas: dict[str, F]) -> list[RefRepMonth]:
    """Every rep-month under the roles (OTE and rate are applied by the caller); ``quotas`` replace the roles'."""
    dv, m2d = fr(DEAL_VALUE), fr(MEETING_TO_DEAL)
    result = []
    for month in history:
        closer_deals = sum((fr(row.deals) for row in month.actuals if roles[row.role_key].kind == "closer"), F(0))
        for row in month.actuals:
            role = roles[row.role_key]
            ramp = ref_ramp(role, row.start_date, month.month)
            quota = quotas[row.role_key] * ramp
            base = role.annual_base / 12
            revenue = F(0)
            if role.kind == "closer":
                units = fr(row.deals)
                weighted = ref_weighted(units, quota, role.tiers)
                if row.revenue is None:
                    revenue = units * dv
                    per_rate = dv * weighted
                else:
                    revenue = fr(row.revenue)
                    per_rate = revenue * weighted / units if units else revenue
            elif role.kind == "setter":
                units = fr(row.meetings)
                weighted = ref_weighted(units, quota, role.tiers)
                if row.deals is None:
                    per_rate = dv * m2d * weighted
                else:
                    per_rate = dv * fr(row.deals) * weighted / units if units else dv * fr(row.deals)
            else:
                units = closer_deals if row.team_deals is None else fr(row.team_deals)
                per_rate = dv * ref_weighted(units, quota, role.tiers)
            result.append(RefRepMonth(row.role_key, units, ramp, base, F(0), per_rate, revenue))
    return result


def ref_median(values: list[F]) -> F:
    values = sorted(values)
    middle = len(values) // 2
    return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def ref_totals(rep_months: list[RefRepMonth], rates: dict[str, F], otes: dict[str, F]) -> dict:
    comp = revenue = F(0)
    attainments = []
    at_or_above = 0
    for rm in rep_months:
        earned = rm.base + rates[rm.role] * rm.commission_per_rate
        ote = rm.base + (otes[rm.role] / 12 - rm.base) * rm.ramp
        comp += earned
        revenue += rm.revenue
        attainments.append(earned / ote)
        at_or_above += earned >= ote
    return {
        "comp": comp, "revenue": revenue, "comp_pct_of_revenue": comp / revenue,
        "ebitda": revenue - comp - fr(OPEX) * len(MONTHS), "rep_months_at_or_above_ote": at_or_above,
        "median_rep_ote_attainment": ref_median(attainments),
    }


def ref_quantile(values: list[F], p: F) -> F:
    ordered = sorted(values)
    h = (len(ordered) - 1) * p
    low = floor(h)
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (h - low) * (ordered[low + 1] - ordered[low])


def reference_optimize(config: OrgConfig, history: list[MonthActuals], share: F, cap: F, targets: dict[str, F]):
    roles = ref_roles(config)
    current = ref_rep_months(roles, history, {key: role.quota for key, role in roles.items()})
    current_totals = ref_totals(
        current, {k: r.rate for k, r in roles.items()}, {k: r.annual_ote for k, r in roles.items()}
    )
    quotas, full_rates = {}, {}
    for key, role in roles.items():
        adjusted = [rm.units / rm.ramp for rm in current if rm.role == key]
        quotas[key] = half_up(ref_quantile(adjusted, 1 - share), 2)
        unit_value = fr(DEAL_VALUE) * (fr(MEETING_TO_DEAL) if role.kind == "setter" else 1)
        full_rates[key] = (targets[key] / 12 - role.annual_base / 12) / quotas[key] / unit_value
    candidate = ref_rep_months(roles, history, quotas)
    revenue = sum((rm.revenue for rm in candidate), F(0))
    base_pay = sum((rm.base for rm in candidate), F(0))
    per_rate = {key: sum((rm.commission_per_rate for rm in candidate if rm.role == key), F(0)) for key in roles}

    def rates_at(k: int) -> dict[str, F]:
        return {key: half_up(full_rates[key] * F(k, 10000), 4) for key in roles}

    def comp_at(k: int) -> F:
        rates = rates_at(k)
        return base_pay + sum((rates[key] * per_rate[key] for key in roles), F(0))

    k = 10000
    while comp_at(k) > cap * revenue:
        k -= 1
        assert k >= 0, "base pay alone exceeds the cap"
    scale = F(k, 10000)
    otes = {
        key: half_up(role.annual_base + scale * (targets[key] - role.annual_base), 2) for key, role in roles.items()
    }
    return {
        "scale": scale, "quotas": quotas, "rates": rates_at(k), "otes": otes,
        "candidate": ref_totals(candidate, rates_at(k), otes), "current": current_totals,
    }


def assert_totals_match(engine_totals, reference: dict) -> None:
    for key in ("comp", "revenue", "ebitda"):
        assert fr(engine_totals[key]) == half_up(reference[key], 2), key
    for key in ("comp_pct_of_revenue", "median_rep_ote_attainment"):
        assert fr(engine_totals[key]) == half_up(reference[key], 4), key
    assert engine_totals["rep_months_at_or_above_ote"] == reference["rep_months_at_or_above_ote"]


@pytest.mark.parametrize(
    ("share", "cap", "target_changes", "binding"),
    [
        ("0.5", "0.15", {}, BINDING_CAP),
        ("0.5", "0.20", {}, BINDING_NONE),
        ("0.35", "0.12", {"closer": "84000", "setter": "60000"}, BINDING_CAP),
        ("0.8", "0.30", {"manager": "120000"}, BINDING_CAP),
    ],
)
def test_the_optimizer_matches_the_reference_to_the_cent(share, cap, target_changes, binding):
    config, history = history_config(), build_history()
    targets = {role.key: fr(role.annual_ote) for role in config.roles} | {k: F(v) for k, v in target_changes.items()}
    result = optimize(
        config=config, history=history, share=D(share), cap=D(cap),
        targets={key: D(value) for key, value in target_changes.items()},
    )
    reference = reference_optimize(config, history, F(share), F(cap), targets)
    data = optimization_to_dict(result)
    if binding is not None:
        assert result.binding == binding
    assert result.binding == (BINDING_NONE if reference["scale"] == 1 else BINDING_CAP)
    assert fr(result.scale) == reference["scale"]
    assert data["months"] == [f"{month:%Y-%m}" for month in MONTHS]
    for key, proposal in result.roles.items():
        assert fr(proposal.monthly_quota) == reference["quotas"][key], key
        assert fr(proposal.commission_rate) == reference["rates"][key], key
        assert fr(proposal.annual_ote) == reference["otes"][key], key
        assert proposal.annual_base == config.role(key).annual_base
    assert_totals_match(data["backtest"]["candidate"], reference["candidate"])
    assert_totals_match(data["backtest"]["current"], reference["current"])
    assert fr(data["backtest"]["candidate"]["comp_pct_of_revenue"]) <= F(cap) + F(1, 20000)
    # The candidate is a plan the engine runs like any other: its own backtest gives the same totals.
    assert backtest(result.candidate, history).total == result.proposed.total


def test_the_optimize_contract():
    result = optimize(config=history_config(), history=build_history())
    data = optimization_to_dict(result)
    assert list(data) == [
        "months", "share", "cap", "scale", "binding", "roles", "backtest", "message", "unchanged_roles",
    ]
    assert (data["share"], data["cap"]) == (0.5, 0.2)
    assert list(data["roles"]) == ["closer", "senior_closer", "setter", "manager"]
    assert list(data["roles"]["closer"]) == ["monthly_quota", "commission_rate", "annual_ote", "annual_base"]
    assert list(data["backtest"]) == ["current", "candidate"]
    assert list(data["backtest"]["current"]) == [
        "comp", "revenue", "comp_pct_of_revenue", "ebitda", "rep_months_at_or_above_ote", "median_rep_ote_attainment",
    ]
    assert "binds" in data["message"]


def test_bisection_finds_the_largest_scale_and_comp_never_falls_as_the_scale_grows():
    config, history = history_config(), build_history()[-4:]
    result = optimize(config=config, history=history, cap=D("0.15"), months=4)
    assert result.binding == BINDING_CAP
    k = int(result.scale * 10000)
    reports = [compute_report(config=config, month=m.month, actuals=m.actuals) for m in history]
    unscaled = {
        role.key: _unscaled(role, config, reports, D("0.5"), role.annual_ote) for role in config.roles
    }
    rep_roles = {rep.rep_id: role.key for r in reports for role in r.roles for rep in role.reps}

    def comp(k: int) -> D:
        return backtest(_candidate(config, unscaled, D(k) / 10000, rep_roles), history).total.comp

    limit = D("0.15") * result.current.total.revenue
    assert comp(k) <= limit < comp(k + 1)


@settings(max_examples=40, deadline=None)
@given(ks=st.lists(st.integers(0, 10000), min_size=2, max_size=4, unique=True))
def test_comp_is_monotone_in_the_scale(ks):
    config = replace(history_config(), rep_plans={1: RepPlan(commission_rate=D("0.12345"), annual_ote=D("80000"))})
    history = build_history()[-3:]
    reports = [compute_report(config=config, month=m.month, actuals=m.actuals) for m in history]
    unscaled = {role.key: _unscaled(role, config, reports, D("0.5"), role.annual_ote) for role in config.roles}
    rep_roles = {rep.rep_id: role.key for r in reports for role in r.roles for rep in role.reps}
    comps = [
        backtest(_candidate(config, unscaled, D(k) / 10000, rep_roles), history).total.comp for k in sorted(ks)
    ]
    assert comps == sorted(comps)


def test_ramp_adjusted_units_count_a_half_ramped_reps_deals_twice():
    config, history = history_config(), build_history()
    cy_first = next(m for m in history if any(r.name == "Cy" for r in m.actuals))  # 2026-02: tenure 1, ramp 0.5
    report = compute_report(config=config, month=cy_first.month, actuals=cy_first.actuals)
    cy = next(rep for rep in report.role("closer").reps if rep.name == "Cy")
    assert cy.ramp_factor == D("0.5")
    assert cy.units * 2 in ramp_adjusted_units([report], "closer")


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([1, 2, 3, 4], "0.5", "2.5"),  # numpy.quantile / Excel PERCENTILE.INC
        ([1, 2, 3, 4], "0.25", "1.75"),
        ([7, 1, 3], "0.5", "3"),
        ([5], "0.9", "5"),
        ([1, 2, 3, 4], "0", "1"),
        ([1, 2, 3, 4], "1", "4"),
        ([0, 10], "0.37", "3.7"),
    ],
)
def test_quantile_is_linear_between_order_statistics(values, p, expected):
    assert quantile([D(v) for v in values], D(p)) == D(expected)


def test_base_pay_above_the_cap_proposes_nothing():
    result = optimize(config=history_config(), history=build_history(), cap=D("0.01"))
    assert (result.binding, result.scale, result.candidate, result.proposed) == (BINDING_BASE_PAY, None, None, None)
    data = optimization_to_dict(result)
    assert data["roles"] == {} and data["backtest"]["candidate"] is None and data["scale"] is None
    assert data["backtest"]["current"]["comp"] > 0
    assert "Base pay alone" in data["message"]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"share": D("0")}, "share"),
        ({"share": D("1")}, "share"),
        ({"share": "half"}, "share"),
        ({"cap": D("1.2")}, "cap"),
        ({"cap": D("-0.1")}, "cap"),
        ({"months": 2}, "months"),
        ({"months": True}, "months"),
        ({"months": 3.5}, "months"),
        ({"targets": {"nobody": D("1")}}, "targets.nobody"),
        ({"targets": {"closer": D("-1")}}, "targets.closer"),
        ({"targets": {"closer": D("11999")}}, "targets.closer"),  # below the closers' base
        ({"share": D("0.999")}, "share"),  # the rep-month units at that share give a quota of 0
    ],
)
def test_bad_optimizer_inputs_are_refused_naming_the_field(kwargs, field):
    with pytest.raises(OptimizerInputError) as error:
        optimize(config=history_config(), history=build_history(), **kwargs)
    assert error.value.field == field


def test_too_few_months_of_history_say_how_many_are_needed():
    history = [*build_history()[:2], MonthActuals(month=date(2027, 1, 1), actuals=())]
    with pytest.raises(InsufficientHistoryError) as error:
        optimize(config=history_config(), history=history)
    assert (error.value.needed, error.value.available) == (3, 2)
    assert str(error.value) == "months: the optimizer needs at least 3 months with actuals; there are 2"


def test_the_optimizer_uses_the_last_n_months_with_actuals():
    history = build_history()
    result = optimize(config=history_config(), history=history, months=5)
    assert result.months == tuple(MONTHS[-5:])


def test_a_role_without_history_is_kept_as_it_is():
    config = history_config()
    extra = RoleConfig(
        key="inside", name="Inside", kind="closer", annual_ote=D("50000"), annual_base=D("0"),
        monthly_quota=D("3"), commission_rate=D("0.07"),
    )
    config = replace(config, roles=(*config.roles, extra))
    result = optimize(config=config, history=build_history())
    assert result.unchanged_roles == ("inside",)
    assert result.candidate.role("inside") == extra
    assert not result.roles["inside"].changed


def with_closer(**changes):
    return lambda config: replace(config, roles=(replace(config.roles[0], **changes), *config.roles[1:]))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (with_closer(monthly_quota=D("0")), "roles.closer.monthly_quota"),
        (with_closer(monthly_quota=D("-2")), "roles.closer.monthly_quota"),
        (with_closer(commission_rate=D("-0.1")), "roles.closer.commission_rate"),
        (with_closer(annual_base=D("80000")), "roles.closer.annual_base"),
        (with_closer(monthly_draw=D("-1")), "roles.closer.monthly_draw"),
        (with_closer(accelerators=tiers(("1", "-1"))), "roles.closer.accelerators.0.multiplier"),
        (lambda c: replace(c, roles=(*c.roles, c.roles[0])), "roles.closer"),
        (lambda c: replace(c, meeting_to_deal_rate=D("1.5")), "organization.meeting_to_deal_rate"),
        (lambda c: replace(c, deal_value=D("-1")), "organization.deal_value"),
        (lambda c: replace(c, rep_plans={4: RepPlan(monthly_quota=D("0"))}), "reps.4.plan.monthly_quota"),
    ],
)
def test_a_candidate_plan_that_cannot_be_backtested_is_refused_naming_the_field(change, field):
    candidate = change(history_config())
    with pytest.raises(PlanError) as error:
        validate_plan(candidate)
    assert error.value.field == field
    with pytest.raises(PlanError):
        backtest(candidate, build_history())


def test_backtest_months_and_total():
    config, history = history_config(), build_history()
    result = backtest(config, history)
    assert [figures.month for figures in result.months] == MONTHS
    first = compute_report(config=config, month=history[0].month, actuals=history[0].actuals)
    assert result.months[0].comp == first.summary.total_actual
    assert result.months[0].ebitda == first.summary.ebitda
    with localcontext(ENGINE_CONTEXT):
        assert result.total.comp == sum((m.comp for m in result.months), D(0))
    assert result.total.rep_months == sum(len(m.actuals) for m in history)
    data = result.to_dict()
    assert list(data) == ["months", "total"] and data["months"][0]["month"] == "2025-11"


def test_the_median_of_an_even_count_is_the_mean_of_the_middle_two():
    config = OrgConfig(
        deal_value=D("1000"), meeting_to_deal_rate=D("0.25"), comp_model="commission_only",
        monthly_operating_expenses=D("0"),
        roles=(RoleConfig(key="c", name="C", kind="closer", annual_ote=D("12000"), annual_base=D("0"),
                          monthly_quota=D("10"), commission_rate=D("0.1")),),
    )
    rows = tuple(RepMonth(rep_id=i, name=f"R{i}", role_key="c", deals=D(d)) for i, d in enumerate([1, 4, 10, 12]))
    total = backtest(config, [MonthActuals(month=date(2026, 1, 1), actuals=rows)]).total
    assert total.median_rep_ote_attainment == D("0.7")  # (0.4 + 1.0) / 2
    assert total.rep_months_at_or_above_ote == 2  # exactly at OTE counts
