"""Plain-text rendering of a report for the command line (``report --format text``)."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from oteapp.number_format import format_money

from .numbers import HUNDRED, MONEY, RATIO, UNITS, quantize
from .periods import PeriodReport
from .report import Insight, Report, RoleReport, Summary

STATUS_LABELS = {"on_target": "on target", "at_risk": "at risk", "off_target": "off target"}
UNIT_LABELS = {"closer": "deals", "setter": "meetings", "manager": "team deals"}


def _money(value: Decimal | None, currency: str, *, signed: bool = False) -> str:
    """The screens' money format (oteapp/number_format.py: Babel, the report's currency)."""
    rounded = quantize(value, MONEY)
    if rounded is None:
        return "n/a"
    return format_money(rounded, currency=currency, signed=signed and rounded != 0)


def _pct(value: Decimal | None) -> str:
    rounded = quantize(value, RATIO)
    return "n/a" if rounded is None else f"{rounded * HUNDRED:.1f}%"


def _units(value: Decimal | None) -> str:
    rounded = quantize(value, UNITS)
    return "n/a" if rounded is None else f"{rounded:,}"


def _role_line(role: RoleReport, currency: str) -> str:
    status = STATUS_LABELS.get(role.status or "", "no actuals")
    reps = "rep" if role.headcount == 1 else "reps"
    return (
        f"  {role.name}: {role.headcount} {reps} · "
        f"{_units(role.actual_units)} {UNIT_LABELS.get(role.kind, 'units')} "
        f"(quota {_units(role.team_quota)}, {_pct(role.quota_attainment)}) · "
        f"earned {_money(role.team_actual, currency)} of OTE {_money(role.team_ote, currency)} "
        f"({_pct(role.ote_attainment)}) · gap {_money(role.team_gap, currency, signed=True)} · {status}"
    )


def _body(
    title: str, summary: Summary, roles: Sequence[RoleReport], insights: Sequence[Insight], c: str, *, total_ote: str
) -> list[str]:
    s = summary
    unit = format_money(1, currency=c, places=0)
    figures = [
        ("Team avg OTE attainment", _pct(s.team_avg_attainment)),
        ("Team OTE attainment", _pct(s.team_ote_attainment)),
        (total_ote, _money(s.total_ote, c)),
        ("Total actual earnings", _money(s.total_actual, c)),
        ("OTE gap", _money(s.ote_gap, c, signed=True)),
        ("Revenue", _money(s.revenue, c)),
        (f"Revenue per {unit} OTE", _money(s.revenue_per_ote_dollar, c)),
        ("OTE % of revenue", _pct(s.ote_pct_of_revenue)),
        ("Comp % of revenue", _pct(s.comp_pct_of_revenue)),
        ("EBITDA", _money(s.ebitda, c, signed=True)),
    ]
    lines = [
        title,
        "",
        "Summary",
        *(f"  {label + ':':<25}{value}" for label, value in figures),
        "",
        "Roles",
        *(_role_line(role, c) for role in roles),
        "",
        "Insights",
        *(f"  [{insight.severity}] {insight.message}" for insight in insights),
    ]
    if not insights:
        lines.append("  none")
    return lines


def report_to_text(report: Report) -> str:
    title = f"OTE report {report.month.year:04d}-{report.month.month:02d}"
    monthly = "Total OTE (monthly)"
    lines = _body(title, report.summary, report.roles, report.insights, report.currency, total_ote=monthly)
    if report.missing_actuals:
        lines += ["", "Missing actuals (not counted)"]
        lines += [f"  {rep.name} ({rep.role_key})" for rep in report.missing_actuals]
    return "\n".join(lines) + "\n"


def period_report_to_text(report: PeriodReport) -> str:
    """A period report (SPEC section 14) as text: the month report's layout over the period's months."""
    months = ", ".join(f"{month.year:04d}-{month.month:02d}" for month in report.months) or "none with actuals"
    title = f"OTE report {report.period} (months: {months})"
    lines = _body(title, report.summary, report.roles, report.insights, report.currency, total_ote="Total OTE")
    return "\n".join(lines) + "\n"
