"""Team Performance: SPEC section 11's month shows exactly its figures; page, partial and empty state."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils.html import escape

from accounts.models import MemberRole, Membership, Organization
from accounts.tenancy import organization_context
from oteapp.models import OrganizationSettings, SalesRole
from oteapp.selectors import month_report_get
from tests.factories import UserFactory, actual_create, rep_create

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)
EXAMPLE_ROLES = {
    "closer": {"annual_ote": "60000", "monthly_quota": "5", "commission_rate": "0.10"},
    "setter": {"annual_ote": "48000", "monthly_quota": "40", "commission_rate": "0.05"},
    "manager": {"annual_ote": "90000", "monthly_quota": "40", "commission_rate": "0.03"},
}
EXAMPLE_ACTUALS = (
    ("Ana", "closer", {"deals": 6}),
    ("Ben", "closer", {"deals": 4}),
    ("Cy", "closer", {"deals": 3}),
    ("Dee", "closer", {"deals": 5}),
    ("Eli", "setter", {"meetings": 42, "deals": 10}),
    ("Fay", "setter", {"meetings": 30}),
    ("Gus", "manager", {"team_deals": 18}),
)


def worked_example(organization: Organization, months: tuple[date, ...] = (OCTOBER,)) -> None:
    """SPEC section 11, worked example A: its settings, roles and reps, and its actuals in each of `months`."""
    OrganizationSettings.unscoped.filter(organization=organization).update(
        deal_value=Decimal("11340"),
        meeting_to_deal_rate=Decimal("0.25"),
        comp_model="commission_only",
        monthly_operating_expenses=Decimal("9000"),
    )
    for key, values in EXAMPLE_ROLES.items():
        SalesRole.unscoped.filter(organization=organization, key=key).update(
            **{field: Decimal(value) for field, value in values.items()}
        )
    for name, role, units in EXAMPLE_ACTUALS:
        rep = rep_create(organization, name=name, role=role, start_date=date(2024, 1, 1))
        for month in months:
            actual_create(organization, rep=rep, month=month, **units)


def tab(response) -> str:
    return response.content.decode()


def section(html: str, start: str, end: str) -> str:
    """The part of `html` from the marker `start` to the next `end`."""
    begin = html.index(start)
    return html[begin : html.index(end, begin)]


@pytest.fixture
def example(organization):
    worked_example(organization)
    return organization


@pytest.fixture
def performance(owner_client, example):
    return tab(owner_client.get(f"/o/{example.slug}/performance/?month=2026-10"))


def test_summary_row_shows_the_worked_example(performance):
    kpis = section(performance, 'aria-label="Performance summary"', "</section>")
    for figure in ("105.4%", "$35,500.00", "$36,458.10", "+$958.10", "$5.75", "102.7%", "$204,120.00"):
        assert figure in kpis, figure


@pytest.mark.parametrize(
    ("key", "figures"),
    [
        ("closer", ["✅ On target", "18 of 20 deals", "90.0%", "$20,412.00 of $20,000.00", "102.1%",
                    "<dd>4</dd>", "+$103.00", "+$412.00", "$5,000.00 per person"]),
        ("setter", ["✅ On target", "72 of 80 meetings", "90.0%", "$9,922.50 of $8,000.00", "124.0%",
                    "<dd>2</dd>", "+$961.25", "+$1,922.50"]),
        ("manager", ["🚨 Off target", "18 of 40 team deals", "45.0%", "$6,123.60 of $7,500.00", "81.6%",
                     "<dd>1</dd>", "\u2212$1,376.40"]),
    ],
)
def test_each_role_card_shows_its_figures(performance, key, figures):
    card = section(performance, f'aria-labelledby="role-{key}"', "</article>")
    for figure in figures:
        assert figure in card, figure
    assert 'class="bar' in card and "style=\"width: " in card


def test_break_even_table_and_recommended_ote(performance):
    table = section(performance, '<table class="breakeven">', "</table>")
    for figure in ("$1,000.00", "$1,134.00", "4.41 deals", "$100.00", "$141.75", "28.22 meetings",
                   "$187.50", "$340.20", "22.05 team deals", "$68,040.00", "$163,296.00"):
        assert figure in table, figure
    # All three break-evens are below quota in the example: the engine flags each, the table says so.
    assert table.count("OTE reached before quota") == 3


def test_insights_in_engine_order_split_into_headline_and_actions(performance, example):
    with organization_context(example):
        insights = month_report_get(organization=example, month=OCTOBER).report.insights
    assert [(i.code, i.role) for i in insights][:2] == [("below_ote", "manager"), ("quota_misaligned", "manager")]
    listing = section(performance, '<ol class="insights">', "</ol>")
    positions = []
    for insight in insights:
        headline, *actions = insight.message.split(" · ")
        assert f'<strong class="headline">{escape(headline)}</strong>' in listing
        positions.append(listing.index(escape(headline)))
        for action in actions:
            assert f"<li>{escape(action)}</li>" in listing
    assert positions == sorted(positions)
    assert "Managers: 18% below OTE" in listing
    assert "Need 4.05 more team deals/manager/month" in listing
    assert "or add 0.9 more closers" in listing
    assert "Setters: Exceeding OTE by 24%" in listing
    assert (
        "Paying full OTE would cost 17.4% of this month&#x27;s revenue; comp actually earned is 17.9%: "
        "OTE is healthy (under 20%)" in listing
    )
    assert listing.index("🚨 Critical") < listing.index("⚠️ Warning") < listing.index("✅ Good")


def test_comparison_table_and_rep_tables(performance):
    compare = section(performance, '<table class="compare">', "</table>")
    for figure in ("$20,000.00", "$20,412.00", "102.1%", "20 deals", "90.0%", "80 meetings", "40 team deals",
                   "81.6%", "45.0%", "🚨 Off target"):
        assert figure in compare, figure
    reps = performance[performance.index("<h2>Reps</h2>") :]
    for name, earnings in (("Ana", "$6,804.00"), ("Eli", "$5,670.00"), ("Fay", "$4,252.50"), ("Gus", "$6,123.60")):
        row = section(reps, f'<th scope="row">{name}', "</tr>")
        assert earnings in row, name


def test_missing_actuals_are_listed_not_counted(owner_client, example):
    rep_create(example, name="Hal", role="closer", start_date=date(2024, 1, 1))
    html = tab(owner_client.get(f"/o/{example.slug}/performance/?month=2026-10"))
    notice = section(html, '<aside class="notice warning"', "</aside>")
    assert "Hal" in notice and "not counted" in notice
    assert "18 of 20 deals" in html  # Hal is not a zero in the closers' figures


def test_a_month_without_actuals_shows_a_helpful_empty_state(owner_client, example):
    html = tab(owner_client.get(f"/o/{example.slug}/performance/?month=2026-11"))
    assert "No actuals for November 2026 yet" in html
    assert f'href="/o/{example.slug}/actuals/?month=2026-11"' in html
    assert f'href="/o/{example.slug}/configuration/?month=2026-11"' in html
    assert 'href="?month=2026-10"' in html  # the latest month with actuals
    assert "Strategic insights" not in html


def test_defaults_to_the_latest_month_with_actuals(owner_client, example):
    html = tab(owner_client.get(f"/o/{example.slug}/performance/"))
    assert "October 2026" in html and "102.1%" in html


def test_full_page_partial_history_restore_and_vary(owner_client, example):
    url = f"/o/{example.slug}/performance/?month=2026-10"
    full = owner_client.get(url)
    partial = owner_client.get(url, headers={"HX-Request": "true"})
    restore = owner_client.get(url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in tab(full) and "<html" in tab(restore)
    assert "<html" not in tab(partial) and tab(partial).lstrip().startswith('<div id="tab">')
    assert "102.1%" in tab(partial)
    for response in (full, partial, restore):
        assert response.status_code == 200
        assert "HX-Request" in response["Vary"]
    assert full.context["active_tab"] == "performance"
    assert full.context["month_choice"].param == "2026-10"


def test_a_viewer_sees_it_and_posting_is_refused(client, example):
    viewer = UserFactory()
    Membership.unscoped.create(organization=example, user=viewer, role=MemberRole.VIEWER)
    client.force_login(viewer)
    assert "102.1%" in tab(client.get(f"/o/{example.slug}/performance/?month=2026-10"))
    assert client.post(f"/o/{example.slug}/performance/").status_code == 405


def test_a_large_teams_rep_table_loads_when_opened(owner_client, organization):
    for index in range(13):
        rep = rep_create(organization, name=f"Closer {index:02d}", role="closer", start_date=date(2025, 1, 1))
        actual_create(organization, rep=rep, month=date(2026, 10, 1), deals=index)
    base = f"/o/{organization.slug}/performance/"

    page = owner_client.get(f"{base}?month=2026-10").content.decode()
    section = owner_client.get(f"{base}reps/closer/?month=2026-10", headers={"HX-Request": "true"})
    standalone = owner_client.get(f"{base}reps/closer/?month=2026-10")

    assert "Closer 07" not in page  # not rendered until asked for
    assert 'hx-trigger="toggle once"' in page and f'href="{base}reps/closer/?period=2026-10"' in page
    assert "Closer 07" in section.content.decode() and "<html" not in section.content.decode()
    assert "Closer 07" in standalone.content.decode() and "<html" in standalone.content.decode()
    assert owner_client.get(f"{base}reps/nobody/?month=2026-10").status_code == 404
