"""The month selector asks for its tab's own address with one of each parameter (issue 14, item 12): htmx adds
a GET form's fields to the request's URL, so an empty `hx-get` (the current URL, query included) added `month=`
again on every change, and What-If's scenario once more per change. The tabs with a period selector (issue 17
item 3) send `period` in place of `month`, once."""

import re

import pytest

from tests.oteapp.test_configuration_view import worked_example_actuals, worked_example_configure

pytestmark = pytest.mark.django_db

TABS = {
    "": "?month=2026-10",
    "performance/": "?month=2026-10",
    "actuals/": "?month=2026-10",
    "actuals/upload/": "?month=2026-10",
    "pnl/": "?month=2026-10",
    "what-if/": "?month=2026-10&deal_value=12000&role-closer-headcount=5",
    "configuration/": "?month=2026-10",
    "history/": "?month=2026-10&months=24",
    "leaderboard/": "?period=2026-Q4",
}
PERIOD_TABS = {"performance/", "history/", "leaderboard/"}


@pytest.mark.parametrize(("tab", "query"), TABS.items())
def test_the_selector_requests_its_tab_with_one_of_each_parameter(owner_client, organization, tab, query):
    worked_example_configure(organization)
    worked_example_actuals(organization)
    for headers in ({}, {"HX-Request": "true"}):
        body = owner_client.get(f"/o/{organization.slug}/{tab}{query}", headers=headers).content.decode()

        form = re.search(r'<form class="month-selector[^>]*>(.*?)</form>', body, re.S)
        tag = form[0][: form[0].index(">") + 1]
        assert f'action="/o/{organization.slug}/{tab}"' in tag and f'hx-get="/o/{organization.slug}/{tab}"' in tag
        names = re.findall(r'<(?:input|select)[^>]* name="([^"]+)"', form[1])
        chosen = "period" if tab in PERIOD_TABS else "month"
        others = [
            part.split("=")[0] for part in query.lstrip("?").split("&") if part.split("=")[0] not in ("month", "period")
        ]
        assert sorted(names) == sorted([chosen, *others]), names


def test_the_audit_filter_requests_its_own_address(owner_client, organization):
    body = owner_client.get(f"/o/{organization.slug}/audit/?kind=actuals&page=1").content.decode()

    tag = re.search(r'<form [^>]*class="row audit-filter"[^>]*>', body)[0]
    assert f'hx-get="/o/{organization.slug}/audit/"' in tag and f'action="/o/{organization.slug}/audit/"' in tag
