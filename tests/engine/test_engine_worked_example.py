"""SPEC section 11, worked example A: every figure, read through the JSON contract."""

import json
from decimal import Decimal
from typing import Any

import pytest

from oteapp.engine import ActiveRep, compute_report, report_to_json, report_to_text
from oteapp.engine.examples import WORKED_EXAMPLE_MONTH, worked_example_actuals, worked_example_config
from tests.spec_example import assert_matches_spec_section_11

ROLE_KEYS = [
    "key",
    "kind",
    "headcount",
    "monthly_ote",
    "monthly_quota",
    "required_commission_per_unit",
    "configured_commission_per_unit",
    "break_even_units",
    "recommended_annual_ote",
    "actual_units",
    "actual_units_per_person",
    "quota_attainment",
    "ote_attainment",
    "team_ote",
    "team_actual",
    "team_gap",
    "gap_per_person",
    "status",
]
SUMMARY_KEYS = [
    "team_avg_attainment",
    "team_ote_attainment",
    "total_ote",
    "total_actual",
    "ote_gap",
    "revenue",
    "revenue_per_ote_dollar",
    "ote_pct_of_revenue",
    "comp_pct_of_revenue",
    "ebitda",
]


@pytest.fixture
def report_dict() -> dict[str, Any]:
    report = compute_report(
        config=worked_example_config(),
        month=WORKED_EXAMPLE_MONTH,
        actuals=worked_example_actuals(),
        active_reps=[
            ActiveRep(rep_id=8, name="Hal", role_key="closer"),
            ActiveRep(rep_id=1, name="Ana", role_key="closer"),
        ],
    )
    return report.to_dict()


def roles_by_key(report_dict: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {role["key"]: role for role in report_dict["roles"]}


def test_contract_shape(report_dict: dict[str, Any]) -> None:
    assert list(report_dict) == ["month", "summary", "roles", "insights", "missing_actuals"]
    assert report_dict["month"] == "2026-10"
    assert list(report_dict["summary"]) == SUMMARY_KEYS
    assert [role["key"] for role in report_dict["roles"]] == ["closer", "setter", "manager"]
    for role in report_dict["roles"]:
        assert list(role) == [*ROLE_KEYS, "name", "reps"]
    for insight in report_dict["insights"]:
        assert list(insight) == ["code", "role", "severity", "message", "values"]
    # JSON-native: dumps without a custom encoder, and round-trips.
    assert json.loads(json.dumps(report_dict, allow_nan=False)) == report_dict


def test_every_figure_of_the_section(report_dict: dict[str, Any]) -> None:
    assert_matches_spec_section_11(report_dict)


def test_role_details(report_dict: dict[str, Any]) -> None:
    roles = roles_by_key(report_dict)
    closer, setter, manager = roles["closer"], roles["setter"], roles["manager"]
    assert (closer["headcount"], setter["headcount"], manager["headcount"]) == (4, 2, 1)
    assert (closer["monthly_ote"], setter["monthly_ote"], manager["monthly_ote"]) == (5000.0, 4000.0, 7500.0)
    assert (closer["monthly_quota"], setter["monthly_quota"], manager["monthly_quota"]) == (5.0, 40.0, 40.0)
    assert (closer["actual_units"], setter["actual_units"], manager["actual_units"]) == (18.0, 72.0, 18.0)
    assert closer["actual_units_per_person"] == 4.5
    assert setter["actual_units_per_person"] == 36.0
    assert (closer["team_ote"], setter["team_ote"], manager["team_ote"]) == (20000.0, 8000.0, 7500.0)
    assert closer["gap_per_person"] == 103.0
    assert setter["gap_per_person"] == 961.25
    assert manager["gap_per_person"] == -1376.4
    assert [rep["name"] for rep in closer["reps"]] == ["Ana", "Ben", "Cy", "Dee"]
    assert [rep["earnings"] for rep in closer["reps"]] == [6804.0, 4536.0, 3402.0, 5670.0]
    # Eli is paid on his 10 sourced deals, Fay on 30 meetings x 0.25.
    assert [rep["earnings"] for rep in setter["reps"]] == [5670.0, 4252.5]


def test_insight_messages(report_dict: dict[str, Any]) -> None:
    below, *_misaligned, above, efficiency = report_dict["insights"]
    assert (
        below["message"]
        == "Managers: 18% below OTE · Need 4.05 more team deals/manager/month · or add 0.9 more closers"
    )
    assert above["message"] == (
        "Setters: Exceeding OTE by 24% · Consider raising OTE or quota to retain and scale"
        " · or grow the team to capture demand"
    )
    assert efficiency["message"] == (
        "Paying full OTE would cost 17.4% of this month's revenue; comp actually earned is 17.9%: "
        "OTE is healthy (under 20%)"
    )


def test_missing_actuals_lists_active_reps_without_a_row(report_dict: dict[str, Any]) -> None:
    assert report_dict["missing_actuals"] == [{"rep": "Hal", "role": "closer"}]
    # Hal is listed, not counted as zero.
    assert roles_by_key(report_dict)["closer"]["headcount"] == 4


def test_full_precision_is_kept_until_the_edge() -> None:
    report = compute_report(
        config=worked_example_config(), month=WORKED_EXAMPLE_MONTH, actuals=worked_example_actuals()
    )
    manager = report.role("manager")
    tiny = Decimal("1e-20")
    assert manager.break_even_units is not None
    assert manager.break_even_units.quantize(tiny) == (Decimal("7500") / Decimal("340.20")).quantize(tiny)
    assert manager.ote_attainment == Decimal("6123.60") / Decimal("7500")
    assert report.summary.total_actual == Decimal("36458.10")


def test_json_and_text_renderings() -> None:
    report = compute_report(
        config=worked_example_config(), month=WORKED_EXAMPLE_MONTH, actuals=worked_example_actuals()
    )
    text = report_to_json(report)
    assert json.loads(text) == report.to_dict()
    assert text == report_to_json(report)  # stable
    assert text.index('"summary"') < text.index('"roles"') < text.index('"insights"')

    plain = report_to_text(report)
    assert "2026-10" in plain
    assert "$35,500.00" in plain
    assert "EBITDA" in plain and "$158,661.90" in plain
    assert "Managers: 1 rep" in plain and "off target" in plain
    for insight in report.insights:
        assert insight.message in plain
