"""Statements, adjustments and draws (SPEC section 12): worked example B to the cent, and the rules as properties."""

from dataclasses import replace
from datetime import date
from decimal import Decimal as D
from decimal import localcontext
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from oteapp.engine import (
    COMP_MIXED,
    AcceleratorTier,
    Adjustment,
    AdjustmentError,
    MonthInputs,
    OrgConfig,
    RepMonth,
    RepPlan,
    apply_draw,
    compute_report,
    compute_statements,
    statements_over,
    statements_to_dict,
    validate_adjustment,
)
from oteapp.engine.examples import worked_example_config
from oteapp.engine.numbers import ENGINE_CONTEXT, MONEY, quantize
from tests.engine.strategies import MONTH, configs_rows_and_plans, decimals, engine_settings

AUG, SEP, OCT = date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)
TIERS = (
    AcceleratorTier(from_attainment=D("0"), multiplier=D("1.0")),
    AcceleratorTier(from_attainment=D("1.0"), multiplier=D("1.5")),
    AcceleratorTier(from_attainment=D("1.5"), multiplier=D("2.0")),
)
STATEMENT_KEYS = [
    "rep", "role", "base", "commission", "adjustments", "earned", "draw", "draw_recovery", "payout", "balance_after",
    "ote_attainment", "quota_attainment", "pace", "lines", "rep_id", "ote", "ramp_note",
]
LINE_KEYS = ["kind", "label", "units", "pay_per_unit", "multiplier", "amount"]


def example_b_config() -> OrgConfig:
    closer, *others = worked_example_config().roles
    closer = replace(closer, accelerators=TIERS, monthly_draw=D("2000"), draw_recoverable=True)
    return replace(worked_example_config(), roles=(closer, *others))


def ana(deals: int, month: date) -> tuple[RepMonth, ...]:
    return (RepMonth(rep_id=1, name="Ana", role_key="closer", start_date=date(2026, 1, 12), deals=D(deals)),)


def adjustment(month: date, kind: str, amount: str, reason: str, reverses: date | None = None) -> Adjustment:
    return Adjustment(
        rep_id=1, name="Ana", role_key="closer", month=month, kind=kind, amount=D(amount), reason=reason,
        reverses_month=reverses,
    )


def example_b_months() -> list[MonthInputs]:
    config = example_b_config()
    return [
        MonthInputs(month=AUG, config=config, actuals=ana(1, AUG)),
        MonthInputs(
            month=SEP, config=config, actuals=ana(8, SEP),
            adjustments=(adjustment(SEP, "bonus", "500", "Q3 SPIFF"),),
        ),
        MonthInputs(
            month=OCT, config=config, actuals=ana(2, OCT),
            adjustments=(adjustment(OCT, "clawback", "-1134", "policy lapsed", SEP),),
        ),
    ]


@pytest.fixture
def example_b() -> list[dict[str, Any]]:
    return [statements_to_dict(month, state="closed") for month in statements_over(example_b_months())]


def test_worked_example_b_month_by_month(example_b):
    figures = [
        {key: data["statements"][0][key] for key in ("commission", "adjustments", "earned", "draw_recovery", "payout",
                                                    "balance_after")}
        for data in example_b
    ]
    assert figures == [
        {"commission": 1134.0, "adjustments": 0.0, "earned": 1134.0, "draw_recovery": 0.0, "payout": 2000.0,
         "balance_after": 866.0},
        {"commission": 11056.5, "adjustments": 500.0, "earned": 11556.5, "draw_recovery": 866.0, "payout": 10690.5,
         "balance_after": 0.0},
        {"commission": 2268.0, "adjustments": -1134.0, "earned": 1134.0, "draw_recovery": 0.0, "payout": 2000.0,
         "balance_after": 866.0},
    ]
    assert [data["month"] for data in example_b] == ["2026-08", "2026-09", "2026-10"]
    assert {data["currency"] for data in example_b} == {"USD"}


def test_worked_example_b_september_lines_explain_every_dollar(example_b):
    september = example_b[1]["statements"][0]
    assert list(september) == STATEMENT_KEYS
    assert september["ote_attainment"] == 2.2113  # 11,056.50 / 5,000: the bonus is not performance
    assert september["quota_attainment"] == 1.6
    assert september["draw"] == 2000.0
    assert [list(line) for line in september["lines"]] == [LINE_KEYS] * 5
    assert [(line["kind"], line["units"], line["pay_per_unit"], line["multiplier"], line["amount"])
            for line in september["lines"]] == [
        ("commission", 5.0, 1134.0, 1.0, 5670.0),
        ("commission", 2.5, 1134.0, 1.5, 4252.5),
        ("commission", 0.5, 1134.0, 2.0, 1134.0),
        ("adjustment", None, None, None, 500.0),
        ("draw", None, None, None, -866.0),
    ]
    assert september["lines"][1]["label"] == "2.5 deals \u00d7 $1,134.00 \u00d7 1.5 = $4,252.50"
    assert september["lines"][3]["label"] == "Bonus: Q3 SPIFF"
    assert sum(line["amount"] for line in september["lines"]) == september["payout"]


def test_worked_example_b_october_clawback_and_advance(example_b):
    october = example_b[2]["statements"][0]
    labels = [line["label"] for line in october["lines"]]
    assert labels[1] == "Clawback of 2026-09: policy lapsed"
    assert [line["amount"] for line in october["lines"]] == [2268.0, -1134.0, 866.0]
    assert october["ote_attainment"] == 0.4536  # 2,268 / 5,000: the clawback is not performance either


def test_a_reps_own_statements_carry_the_same_balances_as_everyones():
    months = example_b_months()
    others = [
        replace(inputs, actuals=(*inputs.actuals, RepMonth(rep_id=2, name="Ben", role_key="closer", deals=D("1"))))
        for inputs in months
    ]
    everyone = statements_over(others)
    ana_only = statements_over(others, rep_ids={1})
    assert [m.statements for m in ana_only] == [(m.for_rep(1),) for m in everyone]


def test_the_statement_commission_is_the_reports_to_full_precision():
    months = example_b_months()
    for inputs, month_statements in zip(months, statements_over(months), strict=True):
        report = compute_report(config=inputs.config, month=inputs.month, actuals=inputs.actuals)
        rep = report.role("closer").reps[0]
        statement = month_statements.statements[0]
        assert statement.commission == ENGINE_CONTEXT.subtract(rep.earnings, rep.base) == rep.commission


def test_a_ramped_rep_gets_a_ramp_note_and_a_base_line_that_is_never_ramped():
    closer, *others = worked_example_config().roles
    closer = replace(closer, annual_base=D("24000"), ramp=(D("0.5"), D("0.75")))
    config = replace(worked_example_config(), comp_model=COMP_MIXED, roles=(closer, *others))
    row = RepMonth(rep_id=3, name="Cy", role_key="closer", start_date=date(2026, 9, 20), deals=D("2"))
    statement = compute_statements(config=config, month=OCT, actuals=[row]).statements[0]
    assert statement.ramp_note == "tenure month 2 of 2: quota and variable \u00d7 0.75"
    lines = [(line.kind, line.amount) for line in statement.lines]
    assert lines == [("base", D("2000.00")), ("commission", D("2268.00"))]
    assert statement.ote == D("2000") + D("3000") * D("0.75")
    assert statement.quota == D("3.75")


def test_entered_revenue_sets_the_pay_per_unit_and_revenue_without_deals_is_paid_flat():
    config = worked_example_config()
    rows = [
        RepMonth(rep_id=1, name="Ana", role_key="closer", deals=D("3"), revenue=D("40000")),
        RepMonth(rep_id=2, name="Ben", role_key="closer", deals=D("0"), revenue=D("12000")),
        RepMonth(rep_id=3, name="Eli", role_key="setter", meetings=D("40"), deals=D("12")),
    ]
    statements = {s.name: s for s in compute_statements(config=config, month=OCT, actuals=rows).statements}
    (line,) = statements["Ana"].lines
    assert line.pay_per_unit == ENGINE_CONTEXT.divide(D("4000.000"), D("3")) and line.amount == D("4000.00")
    assert line.label == "3 deals \u00d7 $1,333.33 = $4,000.00"
    (flat,) = statements["Ben"].lines
    assert (flat.units, flat.pay_per_unit, flat.amount) == (None, None, D("1200.00"))
    assert flat.label == "10% of $12,000.00 revenue = $1,200.00"
    (sourced,) = statements["Eli"].lines
    assert sourced.pay_per_unit == D("567") * 12 / 40  # rate x deal value x sourced / meetings


def test_rounded_lines_add_up_to_the_rounded_commission_by_largest_remainder():
    # Entered revenue of $1,000.01 over 9 deals: a pay per unit of $11.11122..., so every band's amount has
    # fractions of a cent (55.5561..., 41.6670..., 33.3336...), which round to the commission's $130.56.
    closer, *others = worked_example_config().roles
    config = replace(worked_example_config(), roles=(replace(closer, accelerators=TIERS), *others))
    row = RepMonth(rep_id=1, name="Ana", role_key="closer", deals=D("9"), revenue=D("1000.01"))
    statement = compute_statements(config=config, month=OCT, actuals=[row]).statements[0]
    amounts = [line.amount for line in statement.lines]
    assert sum(amounts) == quantize(statement.commission, MONEY)
    for line in statement.lines:
        assert abs(line.amount - line.exact_amount) < MONEY


def test_a_month_with_only_adjustments_has_a_statement_with_no_base_or_commission():
    config = replace(worked_example_config(), comp_model=COMP_MIXED)
    clawback = Adjustment(
        rep_id=9, name="Hal", role_key="closer", month=OCT, kind="clawback", amount=D("-300"),
        reason="cancelled", reverses_month=AUG,
    )
    (statement,) = compute_statements(config=config, month=OCT, actuals=[], adjustments=[clawback]).statements
    assert (statement.has_actuals, statement.base, statement.commission, statement.earned) == (
        False, 0, 0, D("-300.00")
    )
    assert statement.ote_attainment is None and statement.pace is None
    # No draw: earned below zero is paid 0 and (the draw not being recoverable) not carried.
    assert (statement.payout, statement.balance_after) == (0, 0)


def test_statements_are_ordered_by_role_then_name_and_the_contract_names_the_state():
    rows = [
        RepMonth(rep_id=5, name="Eli", role_key="setter", meetings=D("42")),
        RepMonth(rep_id=2, name="Ben", role_key="closer", deals=D("4")),
        RepMonth(rep_id=1, name="Ana", role_key="closer", deals=D("6")),
    ]
    month = compute_statements(config=worked_example_config(), month=OCT, actuals=rows)
    assert [s.name for s in month.statements] == ["Ana", "Ben", "Eli"]
    only_ben = compute_statements(config=worked_example_config(), month=OCT, actuals=rows, rep_ids={2})
    assert only_ben.statements == (month.for_rep(2),)
    assert statements_to_dict(month, state="approved")["state"] == "approved"
    with pytest.raises(ValueError, match="state"):
        statements_to_dict(month, state="done")


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"kind": "gift"}, "kind"),
        ({"reason": "  "}, "reason"),
        ({"amount": D("0")}, "amount"),
        ({"amount": "ten"}, "amount"),
        ({"amount": D("NaN")}, "amount"),
        ({"kind": "bonus", "amount": D("-5")}, "amount"),
        ({"kind": "clawback", "amount": D("5"), "reverses_month": AUG}, "amount"),
        ({"kind": "clawback", "amount": D("-5")}, "reverses_month"),
        ({"kind": "clawback", "amount": D("-5"), "reverses_month": date(2026, 11, 1)}, "reverses_month"),
        ({"kind": "bonus", "reverses_month": AUG}, "reverses_month"),
    ],
)
def test_invalid_adjustments_are_refused_naming_the_field(changes, field):
    valid = adjustment(OCT, "bonus", "5", "contest")
    validate_adjustment(valid)
    with pytest.raises(AdjustmentError) as error:
        validate_adjustment(replace(valid, **changes))
    assert error.value.field == field
    with pytest.raises(AdjustmentError):
        compute_statements(
            config=worked_example_config(), month=OCT, actuals=[], adjustments=[replace(valid, **changes)]
        )


def test_a_correction_may_have_either_sign_and_a_clawback_may_reverse_its_own_month():
    validate_adjustment(adjustment(OCT, "correction", "-20", "typo"))
    validate_adjustment(adjustment(OCT, "correction", "20", "typo", SEP))
    validate_adjustment(adjustment(OCT, "clawback", "-20", "same month", OCT))


def test_an_adjustment_of_another_month_is_refused():
    with pytest.raises(ValueError, match="2026-09"):
        compute_statements(
            config=worked_example_config(), month=OCT, actuals=[], adjustments=[adjustment(SEP, "bonus", "5", "x")]
        )


def test_a_rep_plan_sets_the_draw():
    config = replace(example_b_config(), rep_plans={1: RepPlan(monthly_draw=D("3000"))})
    statement = compute_statements(config=config, month=AUG, actuals=ana(1, AUG)).statements[0]
    assert (statement.draw, statement.payout, statement.balance_after) == (D("3000.00"), D("3000.00"), D("1866.00"))


# --- properties ---------------------------------------------------------------------------------------------


@engine_settings
@given(case=configs_rows_and_plans())
def test_commission_lines_explain_the_reports_commission_for_every_rep(case):
    config, rows = case
    report = compute_report(config=config, month=MONTH, actuals=rows)
    month = compute_statements(config=config, month=MONTH, actuals=rows, report=report)
    by_id = {statement.rep_id: statement for statement in month.statements}
    reps = [rep for role in report.roles for rep in role.reps]
    assert len(by_id) == len(reps)
    for rep in reps:
        statement = by_id[rep.rep_id]
        # The report's commission itself, the very Decimal of earnings = base + commission.
        assert statement.commission == rep.commission
        assert rep.earnings == ENGINE_CONTEXT.add(rep.base, statement.commission)
        lines = statement.lines_of("commission")
        assert sum((line.amount for line in lines), D(0)) == quantize(rep.commission, MONEY)
        with localcontext(ENGINE_CONTEXT):
            exact = sum((line.exact_amount for line in lines), D(0))
        assert abs(exact - rep.commission) <= abs(rep.commission) * D("1e-25") + D("1e-25")
        for line in lines:
            assert abs(line.amount - line.exact_amount) < MONEY  # each line moves by less than a cent
            if line.units is not None:
                with localcontext(ENGINE_CONTEXT):
                    assert line.exact_amount == line.units * line.pay_per_unit * line.multiplier
        assert sum((line.amount for line in statement.lines_of("base")), D(0)) == quantize(rep.base, MONEY)
        assert quantize(rep.base, MONEY) + quantize(rep.commission, MONEY) + statement.adjustments == statement.earned
        assert sum((line.amount for line in statement.lines), D(0)) == statement.payout
        assert statement.ote_attainment == rep.ote_attainment


adjustment_amounts = decimals("-3000", "3000", 2).filter(lambda amount: amount != 0)


@st.composite
def rep_history(draw: st.DrawFn) -> tuple[list[MonthInputs], D, bool]:
    """One closer over up to 8 months (some without a statement), random deals, draws and adjustments."""
    draw_amount = draw(decimals("0", "4000", 2))
    recoverable = draw(st.booleans())
    closer, *others = worked_example_config().roles
    config = replace(
        worked_example_config(),
        roles=(replace(closer, accelerators=TIERS, monthly_draw=draw_amount, draw_recoverable=recoverable), *others),
    )
    months = []
    for index in range(draw(st.integers(1, 8))):
        month = date(2026, index + 1, 1)
        has_row = draw(st.booleans())
        amounts = draw(st.lists(adjustment_amounts, max_size=2))
        rows = ana(draw(st.integers(0, 10)), month) if has_row else ()
        adjustments = tuple(
            adjustment(month, "correction", str(amount), f"fix {n}") for n, amount in enumerate(amounts)
        )
        months.append(MonthInputs(month=month, config=config, actuals=rows, adjustments=adjustments))
    return months, draw_amount, recoverable


@engine_settings
@given(case=rep_history())
def test_the_draw_balance_rules_hold_over_any_run_of_months(case):
    months, draw_amount, recoverable = case
    history = statements_over(months)
    balance = D(0)
    paid = earned = D(0)
    for inputs, month in zip(months, history, strict=True):
        has_statement = bool(inputs.actuals or inputs.adjustments)
        assert len(month.statements) == int(has_statement)
        if not has_statement:
            continue
        (statement,) = month.statements
        assert statement.balance_before == balance  # carried over months without a statement
        assert statement.balance_after >= 0
        assert statement.draw == draw_amount
        if statement.earned < statement.draw:
            assert statement.payout == statement.draw >= statement.earned
            assert statement.draw_recovery == 0
        else:
            assert statement.draw_recovery <= balance
            assert statement.draw_recovery <= statement.earned - statement.draw
            assert statement.payout == statement.earned - statement.draw_recovery >= statement.draw
        if not recoverable:
            assert statement.balance_after == 0 and statement.draw_recovery == 0
        assert statement.payout - statement.earned == statement.balance_after - statement.balance_before or (
            not recoverable and statement.earned < statement.draw
        )
        balance = statement.balance_after
        paid += statement.payout
        earned += statement.earned
    if recoverable:
        assert paid == earned + balance


@engine_settings
@given(
    earned=decimals("-5000", "20000", 2),
    draw=decimals("0", "5000", 2),
    balance=decimals("0", "10000", 2),
    recoverable=st.booleans(),
)
def test_apply_draw_is_the_rule_of_section_12(earned, draw, balance, recoverable):
    outcome = apply_draw(earned=earned, draw=draw, recoverable=recoverable, balance=balance)
    if earned < draw:
        assert outcome.payout == draw
        assert outcome.balance_after == (balance + draw - earned if recoverable else balance)
    else:
        recovered = min(balance, earned - draw) if recoverable else D(0)
        assert (outcome.recovered, outcome.payout, outcome.balance_after) == (
            recovered, earned - recovered, balance - recovered
        )
    assert outcome.balance_after >= 0


def test_apply_draw_refuses_negative_draws_and_balances():
    with pytest.raises(ValueError):
        apply_draw(earned=D(1), draw=D(-1), recoverable=True, balance=D(0))
    with pytest.raises(ValueError):
        apply_draw(earned=D(1), draw=D(1), recoverable=True, balance=D(-1))
