"""SPEC section 11, worked example A, end to end: the committed files imported by the commands, then
`manage.py report --format json`, every figure of the section checked."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
SLUG = "example-a"


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.fixture
def report() -> dict[str, Any]:
    run("createorg", SLUG, "--name", "Worked example A")
    run("importconfig", SLUG, str(FILES / "worked_example_config.json"))
    run("importactuals", SLUG, str(FILES / "worked_example_actuals.csv"))
    return json.loads(run("report", SLUG, "--month", "2026-10", "--format", "json"))


@pytest.fixture
def roles(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {role["key"]: role for role in report["roles"]}


@pytest.mark.parametrize(
    ("key", "required", "configured", "break_even", "quota_att", "ote_att", "team_actual", "team_gap", "status"),
    [
        ("closer", 1000.00, 1134.00, 4.41, 0.9000, 1.0206, 20412.00, 412.00, "on_target"),
        ("setter", 100.00, 141.75, 28.22, 0.9000, 1.2403, 9922.50, 1922.50, "on_target"),
        ("manager", 187.50, 340.20, 22.05, 0.4500, 0.8165, 6123.60, -1376.40, "off_target"),
    ],
)
def test_role_table(roles, key, required, configured, break_even, quota_att, ote_att, team_actual, team_gap, status):
    role = roles[key]
    assert role["required_commission_per_unit"] == required
    assert role["configured_commission_per_unit"] == configured
    assert role["break_even_units"] == break_even
    assert role["quota_attainment"] == quota_att
    assert role["ote_attainment"] == ote_att
    assert role["team_actual"] == team_actual
    assert role["team_gap"] == team_gap
    assert role["status"] == status


def test_role_details(report, roles):
    assert report["month"] == "2026-10"
    assert [role["key"] for role in report["roles"]] == ["closer", "setter", "manager"]
    assert {key: role["headcount"] for key, role in roles.items()} == {"closer": 4, "setter": 2, "manager": 1}
    assert {key: role["monthly_ote"] for key, role in roles.items()} == {
        "closer": 5000.0,
        "setter": 4000.0,
        "manager": 7500.0,
    }
    assert {key: role["team_ote"] for key, role in roles.items()} == {
        "closer": 20000.0,
        "setter": 8000.0,
        "manager": 7500.0,
    }
    assert {key: role["actual_units"] for key, role in roles.items()} == {
        "closer": 18.0,
        "setter": 72.0,
        "manager": 18.0,
    }
    assert report["missing_actuals"] == []


def test_recommended_annual_ote(roles):
    assert roles["closer"]["recommended_annual_ote"] == 68040.00
    assert roles["setter"]["recommended_annual_ote"] == 68040.00
    assert roles["manager"]["recommended_annual_ote"] == 163296.00


def test_summary(report):
    assert report["summary"] == {
        "team_avg_attainment": 1.0542,
        "team_ote_attainment": 1.0270,
        "total_ote": 35500.00,
        "total_actual": 36458.10,
        "ote_gap": 958.10,
        "revenue": 204120.00,
        "revenue_per_ote_dollar": 5.7499,
        "ote_pct_of_revenue": 0.1739,
        "comp_pct_of_revenue": 0.1786,
        "ebitda": 158661.90,
    }


def test_insights(report):
    insights = report["insights"]
    assert [(i["code"], i["role"], i["severity"]) for i in insights] == [
        ("below_ote", "manager", "critical"),
        ("quota_misaligned", "manager", "warning"),
        ("quota_misaligned", "closer", "warning"),
        ("quota_misaligned", "setter", "warning"),
        ("above_ote", "setter", "positive"),
        ("ote_efficiency", None, "positive"),
    ]
    below, *misaligned, above, efficiency = insights
    # 18.35% below, 4.05 more team deals, or 0.9 more closers.
    assert below["values"] == {"pct_below": 0.1835, "more_units_per_person": 4.05, "add_closers": 0.9}
    assert [m["values"] for m in misaligned] == [
        {"break_even_units": 22.05, "quota": 40.0, "direction": "below_quota"},
        {"break_even_units": 4.41, "quota": 5.0, "direction": "below_quota"},
        {"break_even_units": 28.22, "quota": 40.0, "direction": "below_quota"},
    ]
    assert above["values"] == {"pct_above": 0.2403}
    assert efficiency["values"] == {"ote_pct_of_revenue": 0.1739}


def test_text_format_reports_the_same_month():
    run("createorg", SLUG, "--name", "Worked example A")
    run("importconfig", SLUG, str(FILES / "worked_example_config.json"))
    run("importactuals", SLUG, str(FILES / "worked_example_actuals.csv"))
    text = run("report", SLUG, "--month", "2026-10", "--format", "text")
    assert text.startswith("OTE report 2026-10\n")
    assert "$36,458.10" in text and "Managers: 1 rep" in text and "off target" in text
