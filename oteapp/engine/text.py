"""Plain-text rendering of a report for the command line (``report --format text``)."""

from __future__ import annotations

from decimal import Decimal

from oteapp.number_format import format_money

from .numbers import HUNDRED, MONEY, RATIO, UNITS, quantize
from .report import Report, RoleReport

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


def report_to_text(report: Report) -> str:
    s = report.summary
    c = report.currency
    lines = [
        f"OTE report {report.month.year:04d}-{report.month.month:02d}",
        "",
        "Summary",
        f"  Team avg attainment:   {_pct(s.team_avg_attainment)}",
        f"  Team OTE attainment:   {_pct(s.team_ote_attainment)}",
        f"  Total OTE (monthly):   {_money(s.total_ote, c)}",
        f"  Total actual earnings: {_money(s.total_actual, c)}",
        f"  OTE gap:               {_money(s.ote_gap, c, signed=True)}",
        f"  Revenue:               {_money(s.revenue, c)}",
        f"  {f'Revenue per {format_money(1, currency=c, places=0)} OTE:':<23}{_money(s.revenue_per_ote_dollar, c)}",
        f"  OTE % of revenue:      {_pct(s.ote_pct_of_revenue)}",
        f"  Comp % of revenue:     {_pct(s.comp_pct_of_revenue)}",
        f"  EBITDA:                {_money(s.ebitda, c, signed=True)}",
        "",
        "Roles",
        *(_role_line(role, c) for role in report.roles),
        "",
        "Insights",
        *(f"  [{insight.severity}] {insight.message}" for insight in report.insights),
    ]
    if not report.insights:
        lines.append("  none")
    if report.missing_actuals:
        lines += ["", "Missing actuals (not counted)"]
        lines += [f"  {rep.name} ({rep.role_key})" for rep in report.missing_actuals]
    return "\n".join(lines) + "\n"
