"""The What-If results as a person reads them: every figure of a recalculation, formatted.

The results partial is rendered on every keystroke, so its figures are formatted once in Python
(`oteapp/views/whatif.py`) and its forms and baseline are built once per data version; these tests pin
the HTML the partial shows (figures, classes, the attributes the browser tests use) to what the
template's filters gave, so a shortcut cannot change what is shown.
"""

import re
from collections import OrderedDict

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from oteapp.models import OrganizationSettings, SalesRole
from oteapp.number_format import MINUS
from oteapp.views import whatif
from tests.oteapp.test_configuration_view import worked_example_actuals, worked_example_configure
from tests.oteapp.test_whatif_view import scenario_params, url

pytestmark = pytest.mark.django_db

RESULTS = {"HX-Request": "true", "HX-Target": "whatif-results"}
ROW = re.compile(
    r'<tr>\s*<th scope="row">([^<]*)</th>\s*<td class="num">([^<]*)</td><td class="num"((?: data-scenario="[^"]*")?)>'
    r'([^<]*)</td>\s*<td class="num delta ([a-z]+)">([^<]*)</td>\s*</tr>'
)
KPI = re.compile(
    r'<div class="label">([^<]*)</div>\s*<div class="value" data-kpi="([^"]*)">([^<]*)</div>\s*'
    r'<div class="was">baseline ([^<]*?)\s*<span class="delta ([a-z]+)">([^<]*)</span></div>'
)
STATUS = re.compile(r'<th scope="row">Status</th>\s*<td class="num status-(\w+)">([^<]*)</td>\s*'
                    r'<td class="num status-(\w+)">([^<]*)</td>')


def _results(client, organization, params) -> str:
    response = client.get(url(organization), params, headers=RESULTS)
    assert response.status_code == 200
    return response.content.decode()


def _text(html: str) -> str:
    return re.sub(r"\s+", " ", html)


def _minus(expected):
    """The expected texts below write the typographic minus sign as "~"."""
    if isinstance(expected, str):
        return expected.replace("~", MINUS)
    return type(expected)(_minus(item) for item in expected)


@pytest.fixture(autouse=True)
def ready_baselines(monkeypatch):
    """This process's ready baselines, empty for each test."""
    monkeypatch.setattr(whatif, "_ready", OrderedDict())
    monkeypatch.setattr(whatif, "_ready_rows", 0)


@pytest.fixture
def worked_example(organization):
    worked_example_configure(organization)
    worked_example_actuals(organization)
    return organization


# (label, baseline, data-scenario attribute, scenario, change's class, change) of every table row, in order.
SCENARIO_ROWS = [
    ("Revenue", "$204,120.00", ' data-scenario="revenue"', "$297,000.00", "good", "+$92,880.00"),
    ("Commissions · Closers", "$20,412.00", ' data-scenario="commissions-closers"', "$29,700.00", "bad", "+$9,288.00"),
    ("Commissions · Setters", "$9,922.50", ' data-scenario="commissions-setters"', "$12,600.00", "bad", "+$2,677.50"),
    ("Commissions · Managers", "$6,123.60", ' data-scenario="commissions-managers"', "$6,480.00", "bad", "+$356.40"),
    ("Total compensation", "$36,458.10", ' data-scenario="total-compensation"', "$48,780.00", "bad", "+$12,321.90"),
    ("Operating expenses", "$9,000.00", ' data-scenario="operating-expenses"', "$9,500.50", "bad", "+$500.50"),
    ("EBITDA", "$158,661.90", ' data-scenario="ebitda"', "$238,719.50", "good", "+$80,057.60"),
    ("EBITDA margin", "77.7%", "", "80.4%", "good", "+2.6 pts"),
    ("Comp % of revenue", "17.9%", "", "16.4%", "good", "~1.4 pts"),
    ("Revenue per $1 OTE", "$5.75", "", "$7.26", "good", "+$1.51"),
    ("Team OTE attainment", "102.7%", "", "119.2%", "good", "+16.5 pts"),
    ("Headcount", "4", ' data-scenario="headcount"', "5", "flat", "+1"),
    ("Deals", "18.00", "", "24.75", "good", "+6.75"),
    ("Quota attainment", "90.0%", "", "99.0%", "good", "+9.0 pts"),
    ("OTE attainment", "102.1%", "", "118.8%", "good", "+16.7 pts"),
    ("Team earnings", "$20,412.00", "", "$29,700.00", "flat", "+$9,288.00"),
    ("Gap to team OTE", "$412.00", "", "$4,700.00", "good", "+$4,288.00"),
    ("Break-even (deals/person)", "4.41", "", "4.17", "flat", "~0.24"),
    ("Monthly quota (deals)", "5.00", "", "5.00", "flat", "0.00"),
    ("Headcount", "2", ' data-scenario="headcount"', "2", "flat", "0"),
    ("Meetings", "72.00", "", "72.00", "flat", "0.00"),
    ("Quota attainment", "90.0%", "", "90.0%", "flat", "0.0 pts"),
    ("OTE attainment", "124.0%", "", "157.5%", "good", "+33.5 pts"),
    ("Team earnings", "$9,922.50", "", "$12,600.00", "flat", "+$2,677.50"),
    ("Gap to team OTE", "$1,922.50", "", "$4,600.00", "good", "+$2,677.50"),
    ("Break-even (meetings/person)", "28.22", "", "22.22", "flat", "~6.00"),
    ("Monthly quota (meetings)", "40.00", "", "40.00", "flat", "0.00"),
    ("Headcount", "1", ' data-scenario="headcount"', "1", "flat", "0"),
    ("Team deals", "18.00", "", "18.00", "flat", "0.00"),
    ("Quota attainment", "45.0%", "", "45.0%", "flat", "0.0 pts"),
    ("OTE attainment", "81.6%", "", "81.9%", "good", "+0.2 pts"),
    ("Team earnings", "$6,123.60", "", "$6,480.00", "flat", "+$356.40"),
    ("Gap to team OTE", "~$1,376.40", "", "~$1,436.67", "bad", "~$60.27"),
    ("Break-even (team deals/person)", "22.05", "", "21.99", "flat", "~0.06"),
    ("Monthly quota (team deals)", "40.00", "", "40.00", "flat", "0.00"),
]


def test_a_recalculation_shows_every_figure_formatted(owner_client, worked_example):
    params = scenario_params(
        **{
            "role-closer-headcount": "5",
            "role-closer-productivity_change": "10",
            "deal_value": "12000",
            "role-setter-commission_rate": "0.06",
            "role-manager-annual_ote": "95000",
            "target_revenue": "300000",
            "monthly_operating_expenses": "9500.5",
        }
    )

    html = _results(owner_client, worked_example, params)

    assert html.lstrip().startswith('<section id="whatif-results"')
    assert "Scenario vs baseline · October 2026</h2>" in html
    assert ROW.findall(html) == _minus(SCENARIO_ROWS)
    assert KPI.findall(html) == [
        ("Revenue", "revenue", "$297,000.00", "$204,120.00", "good", "+$92,880.00"),
        ("EBITDA", "ebitda", "$238,719.50", "$158,661.90", "good", "+$80,057.60"),
        ("Team OTE attainment", "team-ote-attainment", "119.2%", "102.7%", "good", "+16.5 pts"),
    ]
    assert STATUS.findall(html) == [
        ("on_target", "✅ On target", "on_target", "✅ On target"),
        ("on_target", "✅ On target", "on_target", "✅ On target"),
        ("off_target", "🚨 Off target", "off_target", "🚨 Off target"),
    ]
    text = _text(html)
    assert (
        "To reach <strong>$300,000.00</strong> revenue/month you need <strong data-closers-needed>6 closers</strong>."
        in text
    )
    assert (
        "Exactly 5.05, at $59,400.00 revenue per closer (4.95 deals each). "
        "This scenario has 5 closers: 0.05 more needed." in text
    )
    changes = re.findall(r"<li>([^<]*)<strong>([^<]*)</strong>\s*</li>", html)
    assert [(_text(before).strip(), after) for before, after in changes] == [
        ("Organization · Deal value: $11,340.00 →", "$12,000.00"),
        ("Organization · Operating expenses / month: $9,000.00 →", "$9,500.50"),
        ("Setters · Commission rate: 5.0% →", "6.0%"),
        ("Managers · Annual OTE: $90,000.00 →", "$95,000.00"),
    ]
    apply_url = (
        f"/o/{worked_example.slug}/what-if/apply/?month=2026-10&amp;deal_value=12000"
        "&amp;monthly_operating_expenses=9500.5&amp;role-setter-commission_rate=0.06&amp;role-manager-annual_ote=95000"
    )
    assert f'href="{apply_url}"' in html and f'hx-get="{apply_url}"' in html


def test_base_pay_fewer_reps_and_a_single_closer_needed(owner_client, worked_example):
    OrganizationSettings.unscoped.filter(organization=worked_example).update(comp_model="mixed")
    SalesRole.unscoped.filter(organization=worked_example, key="closer").update(annual_base=24000)
    params = {
        "month": "2026-10",
        "role-closer-headcount": "2",
        "role-setter-productivity_change": "-25",
        "target_revenue": "1",
        "meeting_to_deal_rate": "0.3",
    }

    html = _results(owner_client, worked_example, params)

    rows = ROW.findall(html)
    assert rows[:14] == _minus([
        ("Revenue", "$204,120.00", ' data-scenario="revenue"', "$102,060.00", "bad", "~$102,060.00"),
        ("Commissions · Closers", "$20,412.00", ' data-scenario="commissions-closers"', "$10,206.00", "good",
         "~$10,206.00"),
        ("Commissions · Setters", "$9,922.50", ' data-scenario="commissions-setters"', "$8,079.75", "good",
         "~$1,842.75"),
        ("Commissions · Managers", "$6,123.60", ' data-scenario="commissions-managers"', "$6,123.60", "flat", "$0.00"),
        ("Base pay · Closers", "$8,000.00", ' data-scenario="base-pay-closers"', "$4,000.00", "good", "~$4,000.00"),
        ("Base pay · Setters", "$0.00", ' data-scenario="base-pay-setters"', "$0.00", "flat", "$0.00"),
        ("Base pay · Managers", "$0.00", ' data-scenario="base-pay-managers"', "$0.00", "flat", "$0.00"),
        ("Total compensation", "$44,458.10", ' data-scenario="total-compensation"', "$28,409.35", "good",
         "~$16,048.75"),
        ("Operating expenses", "$9,000.00", ' data-scenario="operating-expenses"', "$9,000.00", "flat", "$0.00"),
        ("EBITDA", "$150,661.90", ' data-scenario="ebitda"', "$64,650.65", "bad", "~$86,011.25"),
        ("EBITDA margin", "73.8%", "", "63.3%", "bad", "~10.5 pts"),
        ("Comp % of revenue", "21.8%", "", "27.8%", "bad", "+6.1 pts"),
        ("Revenue per $1 OTE", "$5.75", "", "$4.00", "bad", "~$1.75"),
        ("Team OTE attainment", "125.2%", "", "111.4%", "bad", "~13.8 pts"),
    ])
    assert rows[14:16] == _minus([
        ("Headcount", "4", ' data-scenario="headcount"', "2", "flat", "~2"),
        ("Deals", "18.00", "", "9.00", "bad", "~9.00"),
    ])
    assert rows[19] == _minus(("Gap to team OTE", "$8,412.00", "", "$4,206.00", "bad", "~$4,206.00"))
    assert rows[23] == _minus(("Meetings", "72.00", "", "54.00", "bad", "~18.00"))
    text = _text(html)
    assert "you need <strong data-closers-needed>1 closer</strong>." in text
    assert "Exactly 0.00, at $51,030.00 revenue per closer (4.50 deals each). This scenario has 2 closers: enough." in (
        text
    )
    assert re.search(r"Organization · Meeting-to-deal rate:\s*25.0% → <strong>30.0%</strong>\s*</li>", html)


def test_no_closers_means_an_unknown_number_of_closers(owner_client, worked_example):
    html = _results(owner_client, worked_example, {"month": "2026-10", "role-closer-headcount": "0",
                                                   "target_revenue": "5000"})

    assert "you need\n      <strong>an unknown number of closers</strong>." in html
    assert "There is no closer revenue in this month to scale from" in html
    assert "data-closers-needed" not in html


def test_a_new_scenario_recomputes_only_the_scenario(owner_client, worked_example):
    first = _results(owner_client, worked_example, scenario_params(deal_value="12000"))
    assert ROW.findall(first)[0][3] == "$216,000.00"

    with CaptureQueriesContext(connection) as captured:
        again = _results(owner_client, worked_example, scenario_params(deal_value="13000"))
    assert not [query for query in captured if '"oteapp_' in query["sql"]]  # the baseline is kept
    assert ROW.findall(again)[0][1:4] == ("$204,120.00", ' data-scenario="revenue"', "$234,000.00")

    # Dropped from this process's memory (the bound), it is computed again: the same figures.
    whatif._ready.clear()
    whatif._ready_rows = 0
    with CaptureQueriesContext(connection) as captured:
        dropped = _results(owner_client, worked_example, scenario_params(deal_value="14000"))
    assert [query for query in captured if '"oteapp_' in query["sql"]]
    assert ROW.findall(dropped)[0][1:4] == ("$204,120.00", ' data-scenario="revenue"', "$252,000.00")

    # The fragments cache decides how long a baseline lives: cleared, it is computed again.
    caches["fragments"].clear()
    with CaptureQueriesContext(connection) as captured:
        recomputed = _results(owner_client, worked_example, scenario_params(deal_value="15000"))
    assert [query for query in captured if '"oteapp_' in query["sql"]]
    assert ROW.findall(recomputed)[0][1:4] == ("$204,120.00", ' data-scenario="revenue"', "$270,000.00")


def test_a_changed_configuration_is_the_new_baseline(owner_client, worked_example):
    _results(owner_client, worked_example, scenario_params(deal_value="12000"))
    OrganizationSettings.unscoped.filter(organization=worked_example).update(deal_value=10000)

    html = _results(owner_client, worked_example, scenario_params(deal_value="12000"))

    assert ROW.findall(html)[0][1:4] == ("$180,000.00", ' data-scenario="revenue"', "$216,000.00")


def test_the_ready_baselines_are_bounded(monkeypatch, owner_client, worked_example):
    monkeypatch.setattr(whatif, "READY_ROWS_LIMIT", 1)
    for month in ("2026-09", "2026-10", "2026-11"):
        _results(owner_client, worked_example, {"month": month, "deal_value": "12000"})
    assert len(whatif._ready) == 1  # the latest one only
    assert whatif._ready_rows == len(next(iter(whatif._ready.values())).actuals) + 1


def test_each_form_shows_its_own_baseline_as_placeholders(owner_client, worked_example):
    page = owner_client.get(url(worked_example), {"month": "2026-10"}).content.decode()
    assert re.search(r'name="deal_value"[^>]*placeholder="11340"', page)
    assert re.search(r'name="role-closer-monthly_quota"[^>]*placeholder="5"', page)
    assert '<label for="id_role-setter-monthly_quota">Monthly quota (meetings)</label>' in page
    assert '<label for="id_role-closer-productivity_change">Close-rate change (%)</label>' in page

    OrganizationSettings.unscoped.filter(organization=worked_example).update(deal_value=9999)
    SalesRole.unscoped.filter(organization=worked_example, key="closer").update(monthly_quota=7)
    page = owner_client.get(url(worked_example), {"month": "2026-10"}).content.decode()
    assert re.search(r'name="deal_value"[^>]*placeholder="9999"', page)
    assert re.search(r'name="role-closer-monthly_quota"[^>]*placeholder="7"', page)
    assert re.search(r'name="role-setter-monthly_quota"[^>]*placeholder="40"', page)
