"""Periods on the screens (issue 17 items 2-4): Team Performance, History and the leaderboard for a month, a fiscal
quarter or the year to date, with one `?period=` parameter; per-rep status; the leaderboard's order and its rep-safe
rendering; queries constant in months and reps."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import MemberRole, Membership
from accounts.tenancy import organization_context
from oteapp import engine
from oteapp.models import OrganizationSettings, Rep
from oteapp.selectors import leaderboard, period_report_get, rep_safe_leaderboard
from tests.factories import UserFactory, actual_create, organization_with_members, rep_create, team_bulk_create

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)


def page(client, organization, tail: str, **headers) -> str:
    response = client.get(f"/o/{organization.slug}/{tail}", headers=headers)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def quarter(organization):
    """Three closers and a setter over August to October 2026."""
    reps = {
        name: rep_create(organization, name=name, role=role, start_date=date(2025, 1, 1))
        for name, role in (("Ana", "closer"), ("Ben", "closer"), ("Cy", "closer"), ("Eli", "setter"))
    }
    OrganizationSettings.unscoped.filter(organization=organization).update(deal_value=Decimal(11340))
    for month, units in (
        (date(2026, 8, 1), (5, 2, 5, 40)),
        (date(2026, 9, 1), (5, 4, 5, 40)),
        (OCTOBER, (6, 4, 3, 42)),
    ):
        for (name, rep), count in zip(reps.items(), units, strict=True):
            field = "meetings" if name == "Eli" else "deals"
            actual_create(organization, rep=rep, month=month, **{field: count})
    return reps


def test_team_performance_shows_a_quarter_as_the_engine_adds_it_up(owner_client, organization, quarter):
    body = page(owner_client, organization, "performance/?period=2026-Q3")

    with organization_context(organization):
        expected = period_report_get(
            organization=organization, period=engine.parse_period("2026-Q3", as_of=date(2026, 12, 4))
        )
    assert expected.months == (date(2026, 8, 1), date(2026, 9, 1))
    assert "Team Performance <small>· Q3 2026 (Jul\N{EN DASH}Sep)</small>" in body
    assert "Total OTE (2 months)" in body and "$38,000.00" in body  # 2 months x (3 x 5,000 + 4,000)
    assert f"{expected.summary.team_ote_attainment * 100:.1f}%" in body
    assert "Strategic insights are about one month" in body and "selected>Q3 2026 (Jul\N{EN DASH}Sep)</option>" in body
    # The tabs carry the period's last month with actuals.
    assert f'href="/o/{organization.slug}/pnl/?month=2026-09"' in body


def test_every_rep_table_shows_each_reps_own_status(owner_client, organization, quarter):
    body = page(owner_client, organization, "performance/?period=2026-10")
    closers = body[body.index("<summary>Closers") :]
    rows = re.findall(r'<th scope="row">(\w+).*?status-(\w+)', closers, re.S)
    assert rows[:3] == [("Ana", "on_target"), ("Ben", "at_risk"), ("Cy", "off_target")]
    assert "Team avg OTE attainment" in body


def test_a_period_that_cannot_be_read_is_said_and_the_month_shown(owner_client, organization, quarter):
    body = page(owner_client, organization, "performance/?period=2026-Q5")
    assert "“2026-Q5”: &#x27;2026-Q5&#x27; is not a period" in body and "; showing October 2026." in body


def test_quarters_follow_the_fiscal_year_start(owner_client, organization, quarter):
    OrganizationSettings.unscoped.filter(organization=organization).update(fiscal_year_start=4)
    body = page(owner_client, organization, "performance/?period=2027-Q2")
    # FY2027 starts in April 2026: its second quarter is July to September 2026.
    assert "Q2 FY2027 (Jul\N{EN DASH}Sep 2026)" in body and "Total OTE (2 months)" in body
    assert "FY2027 to date" in body  # offered in the selector


def test_history_by_quarter_lists_each_quarters_attainment(owner_client, organization, quarter):
    body = page(owner_client, organization, "history/?period=2026-Q4&months=12")
    assert "OTE attainment by quarter" in body
    labels = re.findall(r'<th scope="row" class="nowrap"><a href="\?period=(2026-Q\d)', body)
    assert labels == ["2026-Q4", "2026-Q3"]  # newest first; earlier quarters have no actuals
    with organization_context(organization):
        q4 = period_report_get(organization=organization, period=engine.parse_period("2026-Q4"))
    assert f"{q4.summary.team_ote_attainment * 100:.1f}%" in body


# --- the leaderboard -----------------------------------------------------------------------------------------


def test_the_leaderboard_ranks_by_quota_attainment_then_units_then_name(organization):
    reps = {
        name: rep_create(organization, name=name, role=role, start_date=date(2025, 1, 1))
        for name, role in (("Cy", "closer"), ("Ana", "closer"), ("Eli", "setter"), ("Ben", "closer"))
    }
    for name, units in (("Cy", {"deals": 5}), ("Ana", {"deals": 5}), ("Eli", {"meetings": 40}), ("Ben", {"deals": 6})):
        actual_create(organization, rep=reps[name], month=OCTOBER, **units)
    with organization_context(organization):
        report = period_report_get(organization=organization, period=engine.parse_period("2026-10"))
    board = leaderboard(report)
    # Ben 120%; then three at 100%: Eli with 40 meetings, then Ana and Cy with 5 deals each, by name.
    assert [(entry.rank, entry.name) for entry in board] == [(1, "Ben"), (2, "Eli"), (3, "Ana"), (4, "Cy")]
    safe = rep_safe_leaderboard(board)
    assert [entry.name for entry in safe] == ["Ben", "Eli", "Ana", "Cy"]
    assert not any(hasattr(entry, name) for entry in safe for name in ("earnings", "ote_attainment", "quota"))


def test_managers_see_earnings_on_the_leaderboard(client, organization, quarter):
    manager = UserFactory()
    with organization_context(organization):
        Membership.objects.create(organization=organization, user=manager, role=MemberRole.MANAGER)
    client.force_login(manager)
    body = page(client, organization, "leaderboard/?period=2026-Q3")
    assert "Leaderboard <small>· Q3 2026 (Jul\N{EN DASH}Sep)</small>" in body
    assert ">Earnings</th>" in body and "$11,340.00" in body  # Ana: 10 deals over the quarter x 1,134
    order = re.findall(r'<th scope="row">(\w+)', body)
    assert order == ["Eli", "Ana", "Cy", "Ben"]  # 100% (80 meetings), 100% (10 deals), 100%, 60%


def test_viewers_have_no_leaderboard(client, organization):
    viewer = UserFactory()
    with organization_context(organization):
        Membership.objects.create(organization=organization, user=viewer, role=MemberRole.VIEWER)
    client.force_login(viewer)
    assert client.get(f"/o/{organization.slug}/leaderboard/").status_code == 403
    assert "/leaderboard/" not in client.get(f"/o/{organization.slug}/performance/").content.decode()


@pytest.fixture
def ana_client(client, organization, quarter):
    """Ana, signed in with the rep access level and linked to her rep."""
    user = UserFactory()
    with organization_context(organization):
        membership = Membership.objects.create(organization=organization, user=user, role=MemberRole.REP)
        Rep.objects.filter(pk=quarter["Ana"].pk).update(membership=membership)
    client.force_login(user)
    return client


def test_reps_see_the_rep_safe_board_only_when_the_organization_allows_it(ana_client, organization):
    statement = page(ana_client, organization, "me/statement/")
    assert "/me/leaderboard/" not in statement
    assert ana_client.get(f"/o/{organization.slug}/me/leaderboard/").status_code == 403

    OrganizationSettings.unscoped.filter(organization=organization).update(leaderboard_visible_to_reps=True)

    assert f'href="/o/{organization.slug}/me/leaderboard/' in page(ana_client, organization, "me/statement/")
    body = page(ana_client, organization, "me/leaderboard/?period=2026-Q3")
    table = body[body.index('<table class="leaderboard">') : body.index("</table>")]
    assert "Ana <small>(you)</small>" in table and "100.0%" in table and "Eli" in table
    assert "$" not in table and "Earnings" not in table and "OTE attainment" not in table
    # Its period selector stays on the rep's board.
    assert f'action="/o/{organization.slug}/me/leaderboard/"' in body


def test_a_rep_reads_their_own_period_figures_on_my_history(ana_client, organization, quarter):
    body = page(ana_client, organization, "me/history/?period=2026-Q3")

    with organization_context(organization):
        report = period_report_get(
            organization=organization, period=engine.parse_period("2026-Q3", as_of=date(2026, 12, 4))
        )
    ana = next(rep for rep in report.role("closer").reps if rep.rep_id == quarter["Ana"].pk)
    panel = body[body.index('id="period-title"') : body.index("</section>")]
    assert "Q3 2026 (Jul\N{EN DASH}Sep)" in panel and "selected>Q3 2026 (Jul\N{EN DASH}Sep)</option>" in body
    assert f"{ana.quota_attainment * 100:.1f}%" in panel and f"{ana.ote_attainment * 100:.1f}%" in panel
    assert f"${ana.earnings:,.2f}" in panel and ">10 <small" in panel  # 5 deals in August and 5 in September
    assert "Ben" not in body and "Eli" not in body


def test_my_history_opens_on_the_year_to_date(ana_client, organization):
    body = page(ana_client, organization, "me/history/?month=2026-10")
    assert "selected>2026 to date (Jan\N{EN DASH}" in body


# --- queries constant in months and reps ---------------------------------------------------------------------


def count(client, url: str) -> int:
    client.get(url)
    caches["fragments"].clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize(
    "tail",
    ["performance/?period=2026-ytd", "leaderboard/?period=2026-Q4", "history/?period=2026-Q3&months=36"],
)
def test_period_screens_run_constant_queries_in_months_and_reps(client, tail):
    owner = UserFactory()
    client.force_login(owner)
    counts = []
    for reps, months in ((5, 2), (120, 10)):
        organization = organization_with_members(f"Co {reps} {months}", owner=owner)
        team_bulk_create(organization, reps=reps, months=months, last_month=OCTOBER)
        Rep.unscoped.filter(organization=organization, name="Rep 0001").update(monthly_quota=Decimal(3))
        counts.append(count(client, f"/o/{organization.slug}/{tail}"))
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize("text", ["2026-10", "2026-ytd"])
def test_a_period_report_is_six_queries_for_any_number_of_months(organization, django_assert_num_queries, text):
    team_bulk_create(organization, reps=30, months=10, last_month=OCTOBER)
    period = engine.parse_period(text, as_of=OCTOBER)
    with organization_context(organization), django_assert_num_queries(6):
        report = period_report_get(organization=organization, period=period)
    assert len(report.months) == len(period.months)
