"""Pace of the open month on Team Performance (SPEC section 13): per rep, per role and for the team, on the
organization's today; a past month shows actuals only."""

from datetime import date

import pytest

from oteapp.models import SalesRole
from tests.factories import actual_create, rep_create
from tests.oteapp.test_performance_view import section, tab, worked_example

pytestmark = pytest.mark.django_db

DECEMBER = date(2026, 12, 1)
TIERS = [{"from": 0, "multiplier": 1.0}, {"from": 1.0, "multiplier": 1.5}, {"from": 1.5, "multiplier": 2.0}]


@pytest.fixture
def december_10(monkeypatch):
    monkeypatch.setattr("oteapp.views.periods.organization_today", lambda **_: date(2026, 12, 10))


@pytest.fixture
def pace_example(organization, december_10):
    """SPEC section 13's example: Ana (a closer with accelerators) has 2 deals on 10 December."""
    worked_example(organization)
    SalesRole.unscoped.filter(organization=organization, key="closer").update(accelerators=TIERS)
    ana = rep_create(organization, name="Ana Pace", role="closer", start_date=date(2026, 1, 12))
    actual_create(organization, rep=ana, month=DECEMBER, deals=2)
    return organization


def test_the_open_month_shows_each_reps_projection(owner_client, pace_example):
    html = tab(owner_client.get(f"/o/{pace_example.slug}/performance/?month=2026-12"))
    row = section(html[html.index("<h2>Reps</h2>") :], '<th scope="row">Ana Pace', "</tr>")
    assert "6.2" in row  # 2 deals / (10 / 31)
    assert "3 more" in row  # quota 5 - 2 so far
    assert "$7,711.20" in row  # 5 x 1,134 + 1.2 x 1,701


def test_the_open_month_shows_the_roles_and_the_teams_pace(owner_client, pace_example):
    html = tab(owner_client.get(f"/o/{pace_example.slug}/performance/?month=2026-12"))
    pace = section(html, 'aria-labelledby="pace-heading"', "</section>")
    assert "December 10, 32% of the month gone" in pace
    assert "At this pace the team earns <strong>$7,711.20</strong> this month, <strong>154.2%</strong> of OTE" in pace
    closers = section(pace, '<th scope="row">Closers', "</tr>")
    for figure in ("2", "6.2", "5 deals", "3 more", "$7,711.20", "154.2%"):
        assert f">{figure}<" in closers or figure in closers, figure


def test_a_past_month_shows_actuals_never_pace(owner_client, pace_example):
    html = tab(owner_client.get(f"/o/{pace_example.slug}/performance/?month=2026-10"))
    assert "pace-heading" not in html
    assert "Projected" not in html


def test_a_large_roles_table_on_demand_carries_the_pace(owner_client, pace_example):
    url = f"/o/{pace_example.slug}/performance/reps/closer/?month=2026-12"
    response = owner_client.get(url, HTTP_HX_REQUEST="true")
    row = section(response.content.decode(), '<th scope="row">Ana Pace', "</tr>")
    assert "$7,711.20" in row and "3 more" in row
