"""A closed month says so on every tab (issue 14, item 18): "Closed — figures frozen on <day>", with a link to
reopen it for owners and admins."""

from datetime import UTC, date, datetime

import pytest

from accounts.models import MemberRole
from oteapp.jobs.snapshots import snapshots_compute
from tests.oteapp.test_configuration_view import member_client, worked_example_actuals, worked_example_configure

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)
TABS = [
    "", "performance/", "leaderboard/", "actuals/", "pnl/", "what-if/", "configuration/", "history/", "actuals/upload/"
]
BANNER = "<strong>Closed</strong> — figures frozen on 1 November 2026"


@pytest.fixture
def closed_october(organization):
    worked_example_configure(organization)  # in New York
    worked_example_actuals(organization)
    # 02:00 UTC on 2 November is still 1 November in New York: the day is the organization's.
    snapshots_compute(months_by_organization={organization.pk: [OCTOBER]}, now=datetime(2026, 11, 2, 2, tzinfo=UTC))
    return organization


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_says_a_closed_month_is_closed_with_a_link_to_reopen_it(owner_client, closed_october, tab):
    for headers in ({}, {"HX-Request": "true"}):
        body = owner_client.get(f"/o/{closed_october.slug}/{tab}?month=2026-10", headers=headers).content.decode()

        assert BANNER in body, (tab, headers)
        assert f'href="/o/{closed_october.slug}/snapshots/2026-10/reopen/">Reopen October 2026</a>' in body


def test_an_open_month_has_no_banner(owner_client, closed_october):
    body = owner_client.get(f"/o/{closed_october.slug}/performance/?month=2026-11").content.decode()
    assert "Closed</strong>" not in body and "Reopen" not in body


@pytest.mark.parametrize("role", [MemberRole.MANAGER, MemberRole.VIEWER])
def test_others_are_told_but_not_offered_to_reopen(client, closed_october, role):
    member_client(client, closed_october, role)

    body = client.get(f"/o/{closed_october.slug}/performance/?month=2026-10").content.decode()

    assert BANNER in body and "Reopen October 2026" not in body
