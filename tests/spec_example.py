"""SPEC section 11, worked example A, as the report contract (SPEC section 6) must show it. The engine's
own test and the command-line test both check their reports against this one copy."""

from typing import Any

# key: (required/unit, configured/unit, break-even, quota att., OTE att., team actual, team gap, status)
ROLE_TABLE = {
    "closer": (1000.00, 1134.00, 4.41, 0.9000, 1.0206, 20412.00, 412.00, "on_target"),
    "setter": (100.00, 141.75, 28.22, 0.9000, 1.2403, 9922.50, 1922.50, "on_target"),
    "manager": (187.50, 340.20, 22.05, 0.4500, 0.8165, 6123.60, -1376.40, "off_target"),
}
ROLE_TABLE_FIELDS = (
    "required_commission_per_unit", "configured_commission_per_unit", "break_even_units", "quota_attainment",
    "ote_attainment", "team_actual", "team_gap", "status",
)
RECOMMENDED_ANNUAL_OTE = {"closer": 68040.00, "setter": 68040.00, "manager": 163296.00}
SUMMARY = {
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
# Critical, then warnings (worst OTE attainment first: manager 0.82, closer 1.02, setter 1.24), then positive.
INSIGHTS = [
    ("below_ote", "manager", "critical", {"pct_below": 0.1835, "more_units_per_person": 4.05, "add_closers": 0.9}),
    ("quota_misaligned", "manager", "warning", {"break_even_units": 22.05, "quota": 40.0, "direction": "below_quota"}),
    ("quota_misaligned", "closer", "warning", {"break_even_units": 4.41, "quota": 5.0, "direction": "below_quota"}),
    ("quota_misaligned", "setter", "warning", {"break_even_units": 28.22, "quota": 40.0, "direction": "below_quota"}),
    ("above_ote", "setter", "positive", {"pct_above": 0.2403}),
    ("ote_efficiency", None, "positive", {"ote_pct_of_revenue": 0.1739, "comp_pct_of_revenue": 0.1786}),
]


def assert_matches_spec_section_11(report: dict[str, Any]) -> None:
    """Every figure SPEC section 11 states, in a report's contract form (`Report.to_dict()`)."""
    roles = {role["key"]: role for role in report["roles"]}
    assert report["month"] == "2026-10"
    assert {key: tuple(roles[key][field] for field in ROLE_TABLE_FIELDS) for key in ROLE_TABLE} == ROLE_TABLE
    assert {key: roles[key]["recommended_annual_ote"] for key in RECOMMENDED_ANNUAL_OTE} == RECOMMENDED_ANNUAL_OTE
    assert report["summary"] == SUMMARY
    assert [(i["code"], i["role"], i["severity"], i["values"]) for i in report["insights"]] == INSIGHTS
