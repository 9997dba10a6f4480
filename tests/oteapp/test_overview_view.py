"""Overview, the investor-update page and the CSV/JSON downloads of a month's report."""

import csv
import io
import json
from datetime import date

import pytest

from accounts.tenancy import organization_context
from oteapp import engine
from oteapp.selectors import month_report_get
from oteapp.views.overview import ROLE_COLUMNS
from tests.factories import rep_create
from tests.oteapp.test_performance_view import OCTOBER, section, tab, worked_example

pytestmark = pytest.mark.django_db

SEPTEMBER = date(2026, 9, 1)


@pytest.fixture
def example(organization):
    worked_example(organization)
    return organization


def test_key_numbers_attention_and_trend(owner_client, example):
    html = tab(owner_client.get(f"/o/{example.slug}/?month=2026-10"))
    kpis = section(html, 'class="kpis"', "</section>")
    for figure in ("$204,120", "$158,662", "102.7%", "$5.75", "17.4%"):
        assert figure in kpis, figure
    assert "Last month" not in kpis  # September has no actuals

    attention = section(html, 'id="attention-title"', "</section>")
    assert "Managers: 18% below OTE" in attention
    assert "OTE is reached at 4.4 deals but quota is 5.0" in attention  # warnings too
    assert "Exceeding OTE" not in attention and "healthy" not in attention  # not positives

    trend = section(html, 'id="trend-title"', "</section>")
    assert '<svg class="chart-svg" viewBox="0 0 ' in trend and 'width="100%"' in trend and 'role="img"' in trend
    assert '<title id="overview-trend-title">' in trend and '<desc id="overview-trend-desc">' in trend
    assert "Revenue, Oct 2026: $204,120.00" in trend  # the bar's tooltip
    assert "src=" not in trend and "<script" not in trend  # nothing from another host, no script
    table = section(trend, '<table class="trend-table">', "</table>")
    assert table.count("<tr>") == 13  # header + twelve months, Nov 2025 to Oct 2026
    assert "Nov 2025" in table and "Oct 2026" in table and "$158,661.90" in table
    assert table.count("No actuals") == 11


def test_last_month_is_shown_beside_the_numbers(owner_client, organization):
    worked_example(organization, months=(SEPTEMBER, OCTOBER))
    html = tab(owner_client.get(f"/o/{organization.slug}/?month=2026-10"))
    kpis = section(html, 'class="kpis"', "</section>")
    assert "Last month $204,120" in kpis


def test_nothing_needs_attention_and_missing_actuals(owner_client, example):
    rep_create(example, name="Hal", role="setter", start_date=date(2024, 1, 1))
    html = tab(owner_client.get(f"/o/{example.slug}/?month=2026-10"))
    attention = section(html, 'id="attention-title"', "</section>")
    assert "Missing actuals" in attention and "Hal" in attention


def test_empty_month(owner_client, example):
    html = tab(owner_client.get(f"/o/{example.slug}/?month=2027-03"))
    assert "No actuals for March 2027 yet" in html
    assert 'id="attention-title"' not in html
    assert "Last twelve months" in html  # October 2026 is within the twelve months


def test_overview_is_a_page_and_a_partial(owner_client, example):
    url = f"/o/{example.slug}/?month=2026-10"
    full, partial = owner_client.get(url), owner_client.get(url, headers={"HX-Request": "true"})
    assert "<html" in tab(full) and "<html" not in tab(partial) and '<div id="tab">' in tab(partial)
    assert "HX-Request" in full["Vary"] and "HX-Request" in partial["Vary"]
    assert full.context["active_tab"] == "overview"


def test_investor_update_is_one_printable_page(owner_client, example):
    response = owner_client.get(f"/o/{example.slug}/investor/?month=2026-10")
    html = tab(response)
    assert response.status_code == 200
    assert "Acme Insurance: sales team update" in html and "October 2026" in html
    for figure in ("$204,120", "$158,662", "102.7%", "105.4%", "$5.75", "17.4%", "$35,500/month"):
        assert figure in html, figure
    roles = section(html, "<h2>Roles</h2>", "</table>")
    assert "Closers" in roles and "102.1%" in roles and "🚨 Off target" in roles
    assert '<svg class="chart-svg"' in html and '<table class="trend-table">' in html
    assert "data-print" in section(html, '<div class="no-print">', "</div>")
    assert "/static/js/print.js" in html
    assert 'class="tabs"' not in html  # not a tab: no navigation to print


def test_overview_links_to_the_exports(owner_client, example):
    html = tab(owner_client.get(f"/o/{example.slug}/?month=2026-10"))
    assert f'href="/o/{example.slug}/investor/?month=2026-10"' in html
    assert f'href="/o/{example.slug}/report.csv?month=2026-10"' in html
    assert f'href="/o/{example.slug}/report.json?month=2026-10"' in html


def example_report(organization) -> engine.Report:
    with organization_context(organization):
        return month_report_get(organization=organization, month=OCTOBER).report


def test_json_download_is_exactly_the_report_contract(owner_client, example):
    response = owner_client.get(f"/o/{example.slug}/report.json?month=2026-10")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"] == 'attachment; filename="acme-insurance-2026-10-report.json"'
    report = example_report(example)
    assert response.content.decode() == engine.report_to_json(report)
    data = json.loads(response.content)
    assert data == report.to_dict()
    assert data["summary"]["ebitda"] == 158661.90 and data["summary"]["revenue_per_ote_dollar"] == 5.7499


def test_csv_download_has_a_row_per_role_and_the_summary(owner_client, example):
    response = owner_client.get(f"/o/{example.slug}/report.csv?month=2026-10")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="acme-insurance-2026-10-report.csv"'
    roles_block, summary_block = response.content.decode().split("\n\n")
    roles = list(csv.DictReader(io.StringIO(roles_block)))
    assert [row["key"] for row in roles] == ["closer", "setter", "manager"]
    closer, setter, manager = roles
    assert closer["month"] == "2026-10" and closer["name"] == "Closers"
    assert float(closer["ote_attainment"]) == 1.0206 and float(closer["team_gap (USD)"]) == 412.00
    assert float(closer["break_even_units"]) == 4.41 and float(closer["required_commission_per_unit (USD)"]) == 1000
    assert float(setter["configured_commission_per_unit (USD)"]) == 141.75 and setter["status"] == "on_target"
    assert float(manager["team_gap (USD)"]) == -1376.40 and manager["status"] == "off_target"
    assert float(manager["recommended_annual_ote (USD)"]) == 163296
    summary = {row["metric"]: row["value"] for row in csv.DictReader(io.StringIO(summary_block))}
    assert float(summary["total_actual (USD)"]) == 36458.10 and float(summary["ebitda (USD)"]) == 158661.90
    assert float(summary["team_avg_attainment"]) == 1.0542 and float(summary["ote_pct_of_revenue"]) == 0.1739
    assert [metric.removesuffix(" (USD)") for metric in summary] == list(example_report(example).summary.to_dict())


def test_csv_columns_are_the_contract_role_keys():
    contract = {"key", "kind", "headcount", "monthly_ote", "monthly_quota", "required_commission_per_unit",
                "configured_commission_per_unit", "break_even_units", "recommended_annual_ote", "actual_units",
                "actual_units_per_person", "quota_attainment", "ote_attainment", "team_ote", "team_actual",
                "team_gap", "gap_per_person", "status"}
    assert set(ROLE_COLUMNS) == contract | {"name"}


def test_undefined_figures_are_blank_in_the_csv(owner_client, organization):
    response = owner_client.get(f"/o/{organization.slug}/report.csv?month=2026-10")
    roles = list(csv.DictReader(io.StringIO(response.content.decode().split("\n\n")[0])))
    assert roles[0]["headcount"] == "0" and roles[0]["ote_attainment"] == "" and roles[0]["status"] == ""


def test_a_download_of_a_bad_month_is_refused(owner_client, example):
    for name in ("report.csv", "report.json"):
        response = owner_client.get(f"/o/{example.slug}/{name}?month=2026-13")
        assert response.status_code == 400
        assert b"not a month" in response.content
