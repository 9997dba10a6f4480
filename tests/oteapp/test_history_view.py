"""History: attainment per role over time, from snapshots where stored and live otherwise."""

import copy
import re
from datetime import date

import pytest
from django.utils import timezone

from accounts.tenancy import organization_context
from oteapp.models import MonthlySnapshot
from oteapp.selectors import SOURCE_LIVE, SOURCE_SNAPSHOT, attainment_history_get, month_report_get
from tests.oteapp.test_performance_view import OCTOBER, section, tab, worked_example

pytestmark = pytest.mark.django_db

AUGUST, SEPTEMBER = date(2026, 8, 1), date(2026, 9, 1)


def snapshot_create(organization, month: date, report: dict) -> MonthlySnapshot:
    return MonthlySnapshot.unscoped.create(
        organization=organization, month=month, report=report, config={}, computed_at=timezone.now()
    )


@pytest.fixture
def history_org(organization):
    """August: a snapshot only (with a role since removed); September: actuals and a snapshot that
    differs from what today's configuration would compute; October: actuals only (live)."""
    worked_example(organization, months=(SEPTEMBER, OCTOBER))
    with organization_context(organization):
        contract = month_report_get(organization=organization, month=OCTOBER).report.to_dict()
    august = copy.deepcopy(contract)
    august["month"] = "2026-08"
    august["roles"][0]["ote_attainment"] = 0.95
    august["roles"].append({**copy.deepcopy(contract["roles"][0]), "key": "junior", "name": "Junior closers"})
    september = copy.deepcopy(contract)
    september["month"] = "2026-09"
    september["roles"][0]["ote_attainment"] = 0.5
    september["roles"][0]["quota_attainment"] = 0.6
    september["summary"]["team_ote_attainment"] = 0.9
    snapshot_create(organization, AUGUST, august)
    snapshot_create(organization, SEPTEMBER, september)
    return organization


def test_selector_reads_snapshots_and_computes_the_rest_live(history_org):
    with organization_context(history_org):
        history = attainment_history_get(organization=history_org, month=OCTOBER, span=12)
    assert len(history.window) == 12 and history.window[-1] == OCTOBER
    sources = [(entry.month, entry.source) for entry in history.months]
    assert sources == [(AUGUST, SOURCE_SNAPSHOT), (SEPTEMBER, SOURCE_SNAPSHOT), (OCTOBER, SOURCE_LIVE)]
    assert [key for key, _name in history.roles] == ["closer", "setter", "manager", "junior"]
    august, september, october = history.months
    closer = 0
    assert str(september.roles[closer].ote_attainment) == "0.5"  # the snapshot wins over a live recomputation
    assert str(october.roles[closer].ote_attainment) == "1.0206"
    assert str(september.roles[closer].ote_change) == "-0.45"
    assert str(october.roles[closer].ote_change) == "0.5206"
    assert str(october.roles[closer].quota_change) == "0.3"
    assert august.roles[closer].ote_change is None  # July has no data
    assert october.roles[3] is None  # the junior role only exists in August's snapshot
    assert str(october.team.ote_change) == "0.127"
    series = dict(history.ote_series())
    assert series["Closers"][-3:] == [entry.roles[closer].ote_attainment for entry in history.months]
    assert series["Closers"][:-3] == [None] * 9


def test_history_page_chart_tables_and_live_marks(owner_client, history_org):
    html = tab(owner_client.get(f"/o/{history_org.slug}/history/?month=2026-10"))
    chart = section(html, '<svg class="chart-svg"', "</svg>")
    assert '<title id="history-chart-title">OTE attainment per role, Nov 2025 to Oct 2026</title>' in chart
    assert "<desc" in chart and 'role="img"' in chart and "viewBox" in chart
    assert chart.count("<polyline") == 3  # closers, setters, managers (junior: a single point, no line)
    assert "Closers, Oct 2026: 102.1%" in chart and "Junior closers, Aug 2026: 102.1%" in chart
    legend = section(html, '<ul class="chart-legend">', "</ul>")
    assert all(name in legend for name in ("Closers", "Setters", "Managers", "Junior closers"))

    ote_table = section(html, '<table class="history">', "</table>")
    rows = re.findall(r"<tr>(.*?)</tr>", section(ote_table, "<tbody>", "</tbody>"), re.S)
    assert len(rows) == 3
    october, september, august = rows  # newest first
    assert "Oct 2026" in october and "live" in october and "102.1%" in october and "+52.1 pts" in october
    assert "Sep 2026" in september and "live" not in september and "50.0%" in september
    assert "\u221245.0 pts" in september
    assert "Aug 2026" in august and "95.0%" in august
    assert "+12.7 pts" in october  # team: 90.0% to 102.7%
    quota_table = html[html.index("<h2>Quota attainment</h2>") :]
    assert "60.0%" in quota_table and "+30.0 pts" in quota_table


def test_span_selector(owner_client, history_org):
    html = tab(owner_client.get(f"/o/{history_org.slug}/history/?month=2026-10&months=24"))
    assert "Nov 2024 to Oct 2026" in html
    assert re.search(r'months=24"[^>]*aria-current="true"', html)
    html = tab(owner_client.get(f"/o/{history_org.slug}/history/?month=2026-10&months=7"))
    assert "Nov 2025 to Oct 2026" in html  # not an offered span: the default twelve


def test_history_empty_and_partial(owner_client, organization):
    response = owner_client.get(f"/o/{organization.slug}/history/?month=2026-10", headers={"HX-Request": "true"})
    html = tab(response)
    assert "<html" not in html and "No actuals for October 2026 yet" in html
    assert "HX-Request" in response["Vary"] and response.context["active_tab"] == "history"


def test_changing_the_period_keeps_the_chosen_span(owner_client, organization):
    page = owner_client.get(f"/o/{organization.slug}/history/?month=2026-10&months=24").content.decode()
    selector = page.split('class="month-selector', 1)[1].split("</form>", 1)[0]
    assert '<input type="hidden" name="months" value="24">' in selector
    assert '<select name="period">' in selector and 'name="month"' not in selector
