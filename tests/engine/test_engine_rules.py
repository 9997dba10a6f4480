"""Single rules of SPEC sections 3-5, each on the smallest input that shows it."""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest

from oteapp.engine import (
    AcceleratorTier,
    ActiveRep,
    OrgConfig,
    RepMonth,
    RoleConfig,
    accelerated_units,
    compute_report,
    report_to_json,
    report_to_text,
    tenure_month,
)

MONTH = date(2026, 10, 1)
TIERS = (
    AcceleratorTier(from_attainment=D("0"), multiplier=D("1.0")),
    AcceleratorTier(from_attainment=D("1.0"), multiplier=D("1.5")),
    AcceleratorTier(from_attainment=D("1.5"), multiplier=D("2.0")),
)


def role(key: str = "closer", kind: str = "closer", **changes: Any) -> RoleConfig:
    defaults = {
        "closer": (D("60000"), D("5"), D("0.10")),
        "setter": (D("48000"), D("40"), D("0.05")),
        "manager": (D("90000"), D("40"), D("0.03")),
    }[kind]
    base = RoleConfig(
        key=key,
        name=key.replace("_", " ").title() + "s",
        kind=kind,
        annual_ote=defaults[0],
        annual_base=D("0"),
        monthly_quota=defaults[1],
        commission_rate=defaults[2],
    )
    return replace(base, **changes)


def org(*roles: RoleConfig, **changes: Any) -> OrgConfig:
    base = OrgConfig(
        deal_value=D("11340"),
        meeting_to_deal_rate=D("0.25"),
        comp_model="commission_only",
        monthly_operating_expenses=D("9000"),
        roles=roles or (role(),),
    )
    return replace(base, **changes)


def test_accelerator_example_from_the_spec() -> None:
    assert accelerated_units(D("8"), D("5"), TIERS) == D("9.75")
    config = org(role(accelerators=TIERS))
    report = compute_report(config=config, month=MONTH, actuals=[RepMonth(1, "Ana", "closer", deals=D("8"))])
    rep = report.role("closer").reps[0]
    assert rep.commission == D("11056.50")
    assert report.to_dict()["roles"][0]["reps"][0]["earnings"] == 11056.5


def test_accelerators_are_marginal_and_pro_rata() -> None:
    # Below quota nothing changes; a straddling unit is split at the boundary.
    assert accelerated_units(D("4"), D("5"), TIERS) == D("4")
    assert accelerated_units(D("5.5"), D("5"), TIERS) == D("5") + D("0.5") * D("1.5")
    # Unsorted tiers are read in band order; units below the first band pay x1.
    assert accelerated_units(D("10"), D("5"), (TIERS[2], TIERS[1])) == D("5") + D("2.5") * D("1.5") + D("2.5") * 2
    # With no quota the bands are undefined: no acceleration.
    assert accelerated_units(D("3"), D("0"), TIERS) == D("3")


def test_accelerators_use_the_ramped_quota() -> None:
    config = org(role(ramp=(D("0.5"),), accelerators=TIERS))
    row = RepMonth(1, "New", "closer", start_date=date(2026, 10, 20), deals=D("4"))
    rep = compute_report(config=config, month=MONTH, actuals=[row]).role("closer").reps[0]
    # Ramped quota 2.5: 2.5 x1 + 1.25 x1.5 + 0.25 x2 = 4.875 weighted deals.
    assert rep.quota == D("2.5")
    assert rep.commission == D("4.875") * D("1134")


def test_closer_with_entered_revenue_and_accelerators() -> None:
    config = org(role(accelerators=TIERS))
    row = RepMonth(1, "Ana", "closer", deals=D("8"), revenue=D("100000"))
    rep = compute_report(config=config, month=MONTH, actuals=[row]).role("closer").reps[0]
    # Pay per unit = 10% of 12,500 average deal, weighted 9.75 units.
    assert rep.commission == D("0.10") * D("100000") * D("9.75") / D("8")
    assert rep.revenue == D("100000")


def test_closer_revenue_without_deals_pays_flat_rate() -> None:
    config = org(role(accelerators=TIERS))
    row = RepMonth(1, "Ana", "closer", deals=D("0"), revenue=D("20000"))
    report = compute_report(config=config, month=MONTH, actuals=[row])
    rep = report.role("closer").reps[0]
    assert rep.commission == D("2000")
    assert rep.quota_attainment == D("0")
    assert report.summary.revenue == D("20000")


def test_closer_revenue_replaces_deals_times_deal_value() -> None:
    config = org()
    rows = [
        RepMonth(1, "Ana", "closer", deals=D("2"), revenue=D("30000")),
        RepMonth(2, "Ben", "closer", deals=D("2")),
    ]
    report = compute_report(config=config, month=MONTH, actuals=rows)
    assert report.summary.revenue == D("30000") + 2 * D("11340")
    assert [rep.commission for rep in report.role("closer").reps] == [D("3000"), D("2268")]


def test_ramp_scales_quota_and_variable_not_base() -> None:
    config = org(role(annual_base=D("24000"), ramp=(D("0.5"), D("0.75"))), comp_model="mixed")
    start = date(2026, 9, 15)  # tenure month 1 = September, so October is month 2
    rows = [
        RepMonth(1, "Sep", "closer", start_date=start, deals=D("3")),
        RepMonth(2, "Vet", "closer", start_date=date(2020, 1, 1), deals=D("3")),
        RepMonth(3, "Nod", "closer", deals=D("3")),
        RepMonth(4, "Fut", "closer", start_date=date(2027, 1, 1), deals=D("3")),
    ]
    reps = {rep.name: rep for rep in compute_report(config=config, month=MONTH, actuals=rows).role("closer").reps}
    assert reps["Sep"].ramp_factor == D("0.75")
    assert reps["Sep"].quota == D("3.75")
    # Base 2,000 unscaled; target variable 3,000 scaled by 0.75.
    assert reps["Sep"].ote == D("2000") + D("3000") * D("0.75")
    assert reps["Sep"].base == D("2000")
    assert reps["Vet"].ramp_factor == D("1") and reps["Nod"].ramp_factor == D("1")
    # A month before the start date counts as tenure month 1.
    assert reps["Fut"].ramp_factor == D("0.5")
    assert reps["Fut"].quota_attainment == D("3") / D("2.5")


def test_tenure_month() -> None:
    assert tenure_month(None, MONTH) is None
    assert tenure_month(date(2026, 10, 31), MONTH) == 1
    assert tenure_month(date(2025, 12, 1), MONTH) == 11
    assert tenure_month(date(2027, 3, 1), MONTH) == 1


def test_mixed_model_pays_base() -> None:
    config = org(role(annual_base=D("24000")), comp_model="mixed")
    report = compute_report(config=config, month=MONTH, actuals=[RepMonth(1, "Ana", "closer", deals=D("2"))])
    closer = report.role("closer")
    assert closer.monthly_base == D("2000")
    assert closer.required_commission_per_unit == D("600")  # (5,000 - 2,000) / 5
    assert report.to_dict()["roles"][0]["break_even_units"] == 2.65  # 3,000 / 1,134
    assert closer.recommended_annual_ote == D("1134") * 5 * 12 + D("24000")
    rep = closer.reps[0]
    assert (rep.base, rep.commission, rep.earnings) == (D("2000"), D("2268"), D("4268"))


def test_commission_only_ignores_a_stored_base() -> None:
    config = org(role(annual_base=D("24000")))
    report = compute_report(config=config, month=MONTH, actuals=[RepMonth(1, "Ana", "closer", deals=D("2"))])
    closer = report.role("closer")
    assert closer.monthly_base == D("0")
    assert closer.recommended_annual_ote == D("68040")
    assert closer.reps[0].earnings == D("2268")


def test_manager_blank_team_deals_sums_all_closers() -> None:
    config = org(role(), role("senior_closer", "closer"), role("manager", "manager"))
    rows = [
        RepMonth(1, "Ana", "closer", deals=D("6")),
        RepMonth(2, "Ben", "senior_closer", deals=D("4")),
        RepMonth(3, "Cy", "closer"),  # blank deals count as 0
        RepMonth(4, "Gus", "manager"),
        RepMonth(5, "Hal", "manager", team_deals=D("7")),
    ]
    manager = compute_report(config=config, month=MONTH, actuals=rows).role("manager")
    units = {rep.name: rep.units for rep in manager.reps}
    assert units == {"Gus": D("10"), "Hal": D("7")}
    assert manager.reps[0].commission == D("0.03") * D("11340") * 10


def test_setters_sourced_deals_or_meetings_times_rate() -> None:
    config = org(role("setter", "setter"))
    rows = [
        RepMonth(1, "Eli", "setter", meetings=D("42"), deals=D("10")),
        RepMonth(2, "Fay", "setter", meetings=D("30")),
        RepMonth(3, "Gia", "setter", meetings=D("0"), deals=D("2")),
    ]
    setter = compute_report(config=config, month=MONTH, actuals=rows).role("setter")
    reps = {rep.name: rep for rep in setter.reps}
    assert reps["Eli"].commission == D("5670")
    assert reps["Eli"].units == D("42")
    assert reps["Fay"].commission == D("4252.5")
    # No meetings but sourced deals: paid flat, and nothing counts as closer revenue.
    assert reps["Gia"].commission == D("1134")
    assert setter.revenue == D("0")
    assert setter.configured_commission_per_unit == D("141.75")


def test_zero_headcount_role_is_reported_with_nulls() -> None:
    config = org(role(), role("setter", "setter"))
    report = compute_report(config=config, month=MONTH, actuals=[RepMonth(1, "Ana", "closer", deals=D("5"))])
    setter = report.to_dict()["roles"][1]
    assert setter["key"] == "setter"
    assert setter["headcount"] == 0
    assert setter["status"] is None
    for key in ("actual_units_per_person", "quota_attainment", "ote_attainment", "gap_per_person"):
        assert setter[key] is None
    assert (setter["team_ote"], setter["team_actual"], setter["team_gap"], setter["actual_units"]) == (0, 0, 0, 0)
    assert setter["configured_commission_per_unit"] == 141.75
    assert setter["reps"] == []
    assert not any(
        i["code"] in ("below_ote", "above_ote") and i["role"] == "setter" for i in report.to_dict()["insights"]
    )


def test_empty_month_and_zero_configuration_never_raise() -> None:
    zero_role = role(annual_ote=D("0"), monthly_quota=D("0"), commission_rate=D("0"))
    config = org(
        zero_role, role("setter", "setter", monthly_quota=D("0")), role("manager", "manager"), deal_value=D("0")
    )
    for rows in ([], [RepMonth(1, "Ana", "closer", deals=D("0")), RepMonth(2, "Gus", "manager")]):
        report = compute_report(config=config, month=MONTH, actuals=rows)
        data = report.to_dict()
        closer = data["roles"][0]
        assert closer["required_commission_per_unit"] is None
        assert closer["break_even_units"] is None
        assert data["summary"]["revenue_per_ote_dollar"] is None or rows
        assert data["summary"]["ote_pct_of_revenue"] is None
        report_to_json(report)
        report_to_text(report)


def test_missing_actuals_lists_active_reps_without_a_row() -> None:
    config = org(role(), role("setter", "setter"))
    rows = [RepMonth(1, "Ana", "closer", deals=D("0"))]  # a row of zeros counts
    active = [
        ActiveRep(3, "Zed", "closer"),
        ActiveRep(2, "Eli", "setter"),
        ActiveRep(1, "Ana", "closer"),
        ActiveRep(4, "Bob", "closer"),
    ]
    report = compute_report(config=config, month=MONTH, actuals=rows, active_reps=active)
    assert [rep.name for rep in report.missing_actuals] == ["Bob", "Zed", "Eli"]
    assert report.to_dict()["missing_actuals"] == [
        {"rep": "Bob", "role": "closer"},
        {"rep": "Zed", "role": "closer"},
        {"rep": "Eli", "role": "setter"},
    ]
    assert report.role("closer").headcount == 1
    assert "Missing actuals" in report_to_text(report)


def test_below_ote_message_of_the_brief() -> None:
    # Aligned closers (deal 10,000 x 10% = 1,000/deal, quota 5, OTE 5,000/month), ten of them at 3.75 deals.
    config = org(role(), deal_value=D("10000"))
    rows = [RepMonth(i, f"R{i:02d}", "closer", deals=D("3.5") if i % 2 else D("4")) for i in range(10)]
    report = compute_report(config=config, month=MONTH, actuals=rows)
    below = report.insights[0]
    assert (below.code, below.severity, below.role) == ("below_ote", "critical", "closer")
    assert below.message == (
        "Closers: 25% below OTE · Need 1.25 more deals/closer/month"
        " · or raise close rate by 33% · or add 3.3 more closers"
    )
    values = below.to_dict()["values"]
    assert values == {"pct_below": 0.25, "more_units_per_person": 1.25, "rate_increase": 0.3333, "add_headcount": 3.33}


def test_below_ote_is_a_warning_when_at_risk_and_needs_units_for_rate_actions() -> None:
    config = org(role(), deal_value=D("10000"))
    at_risk = compute_report(config=config, month=MONTH, actuals=[RepMonth(1, "Ana", "closer", deals=D("4.5"))])
    assert [(i.code, i.severity) for i in at_risk.insights if i.code == "below_ote"] == [("below_ote", "warning")]
    idle = compute_report(config=config, month=MONTH, actuals=[RepMonth(1, "Ana", "closer", deals=D("0"))])
    below = next(i for i in idle.insights if i.code == "below_ote")
    assert below.values["rate_increase"] is None and below.values["add_headcount"] is None
    assert below.message == "Closers: 100% below OTE · Need 5.00 more deals/closer/month"


def test_quota_misaligned_above_quota_message() -> None:
    # 1,000 per deal and 6,200 a month: OTE needs 6.2 deals against a quota of 5.
    config = org(role(annual_ote=D("74400")), deal_value=D("10000"))
    report = compute_report(config=config, month=MONTH, actuals=[])
    misaligned = [i for i in report.insights if i.code == "quota_misaligned"]
    assert len(misaligned) == 1
    assert misaligned[0].message == (
        "Closers: OTE requires 6.2 deals but quota is 5.0 · OTE may be set too high · or commission rate too low"
    )
    assert misaligned[0].values == {"break_even_units": D("6.2"), "quota": D("5"), "direction": "above_quota"}


def test_quota_within_tolerance_is_not_flagged() -> None:
    config = org(role(annual_ote=D("64800")), deal_value=D("10000"))  # 5.4 deals vs 5: 8% off
    assert not compute_report(config=config, month=MONTH, actuals=[]).insights


@pytest.mark.parametrize(
    ("annual_ote", "severity", "text"),
    [
        (D("60000"), "positive", "healthy (under 20%)"),
        (D("120000"), "warning", "high (20-30%)"),
        (D("240000"), "critical", "too high (over 30%)"),
    ],
)
def test_ote_efficiency_bands(annual_ote: D, severity: str, text: str) -> None:
    # Revenue 50,000 a month from one closer with 5 deals of 10,000.
    config = org(role(annual_ote=annual_ote, commission_rate=annual_ote / 12 / 50000), deal_value=D("10000"))
    report = compute_report(config=config, month=MONTH, actuals=[RepMonth(1, "Ana", "closer", deals=D("5"))])
    efficiency = [i for i in report.insights if i.code == "ote_efficiency"]
    assert len(efficiency) == 1
    assert efficiency[0].severity == severity
    assert text in efficiency[0].message
    assert efficiency[0].values["ote_pct_of_revenue"] == annual_ote / 12 / 50000


def test_ote_efficiency_says_which_figure_is_full_ote_and_which_is_comp_earned() -> None:
    """Issue 14, item 14: full OTE would be 75% of revenue while the comp earned is 20%; the rule still judges
    the OTE, but the text shows both figures and names them."""
    # Revenue 50,000 from 5 deals of 10,000; a 20% rate earns 10,000; the monthly OTE is 37,500.
    config = org(role(annual_ote=D("450000"), commission_rate=D("0.2")), deal_value=D("10000"))
    report = compute_report(config=config, month=MONTH, actuals=[RepMonth(1, "Ana", "closer", deals=D("5"))])

    (efficiency,) = [i for i in report.insights if i.code == "ote_efficiency"]

    assert efficiency.severity == "critical"
    assert efficiency.message.startswith(
        "Paying full OTE would cost 75.0% of this month's revenue; comp actually earned is 20.0%: "
        "OTE is too high (over 30%)"
    )
    assert efficiency.values == {"ote_pct_of_revenue": D("0.75"), "comp_pct_of_revenue": D("0.2")}
    assert efficiency.to_dict()["values"] == {"ote_pct_of_revenue": 0.75, "comp_pct_of_revenue": 0.2}


def test_above_ote_needs_more_than_110_percent() -> None:
    config = org(role(), deal_value=D("10000"))
    just = compute_report(config=config, month=MONTH, actuals=[RepMonth(1, "Ana", "closer", deals=D("5.5"))])
    assert "above_ote" not in [i.code for i in just.insights]
    over = compute_report(config=config, month=MONTH, actuals=[RepMonth(1, "Ana", "closer", deals=D("6"))])
    above = next(i for i in over.insights if i.code == "above_ote")
    assert above.values == {"pct_above": D("0.2")}
    assert above.message.startswith("Closers: Exceeding OTE by 20%")


def test_insights_order_by_severity_then_worst_attainment() -> None:
    config = org(role(), role("senior_closer", "closer"), deal_value=D("10000"))
    rows = [
        RepMonth(1, "Ana", "closer", deals=D("3")),  # 0.60: critical
        RepMonth(2, "Ben", "senior_closer", deals=D("2")),  # 0.40: critical, worse
    ]
    codes = [(i.code, i.role, i.severity) for i in compute_report(config=config, month=MONTH, actuals=rows).insights]
    assert codes[:2] == [("below_ote", "senior_closer", "critical"), ("below_ote", "closer", "critical")]
    assert codes[-1][0] == "ote_efficiency"


def test_invalid_configuration_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown role"):
        compute_report(config=org(), month=MONTH, actuals=[RepMonth(1, "Ana", "nobody")])
    with pytest.raises(ValueError, match="unique"):
        compute_report(config=org(role(), role()), month=MONTH, actuals=[])
    with pytest.raises(ValueError, match="kind"):
        compute_report(config=org(replace(role(), kind="ceo")), month=MONTH, actuals=[])
    with pytest.raises(ValueError, match="comp model"):
        compute_report(config=org(comp_model="equity"), month=MONTH, actuals=[])
