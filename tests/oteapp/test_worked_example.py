"""SPEC section 11, worked example A, end to end: the committed files imported by the commands, then
`manage.py report --format json`, every figure of the section checked."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command

from tests.spec_example import assert_matches_spec_section_11

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


def test_the_report_matches_spec_section_11(report):
    assert_matches_spec_section_11(report)


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


def test_text_format_reports_the_same_month():
    run("createorg", SLUG, "--name", "Worked example A")
    run("importconfig", SLUG, str(FILES / "worked_example_config.json"))
    run("importactuals", SLUG, str(FILES / "worked_example_actuals.csv"))
    text = run("report", SLUG, "--month", "2026-10", "--format", "text")
    assert text.startswith("OTE report 2026-10\n")
    assert "$36,458.10" in text and "Managers: 1 rep" in text and "off target" in text
