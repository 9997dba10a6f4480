"""The Advisor: recommendations ranked by their monthly effect in money, each with its evidence and a link to act."""

import re
from datetime import date

import pytest

from tests.oteapp.test_performance_view import OCTOBER, worked_example

pytestmark = pytest.mark.django_db

MONTHS = (date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1), OCTOBER)


def test_recommendations_are_ranked_by_monthly_effect_with_evidence_and_links(owner_client, organization):
    worked_example(organization, months=MONTHS)
    html = owner_client.get(f"/o/{organization.slug}/advisor/").content.decode()

    items = re.findall(r'<li class="panel recommendation" data-source="(\w+)">(.*?)</li>\s*(?=<li class="panel|</ol>)',
                       html, re.S)
    assert {source for source, _ in items} >= {"optimizer", "insight"}
    effects = [
        abs(float(re.search(r"<strong>([^<]+)</strong>", body).group(1).replace("$", "").replace(",", "")
                  .replace("+", "").replace("\u2212", "")))
        for _, body in items
    ]
    assert effects == sorted(effects, reverse=True)
    optimizer = next(body for source, body in items if source == "optimizer")
    assert "No constraint binds" in optimizer or "The comp cap binds" in optimizer
    assert f"/o/{organization.slug}/plans/#optimizer" in optimizer
    insight = next(body for source, body in items if source == "insight")
    assert f"/o/{organization.slug}/what-if/?month=2026-10" in insight


def test_without_actuals_the_page_says_what_it_needs(owner_client, organization):
    html = owner_client.get(f"/o/{organization.slug}/advisor/").content.decode()
    assert "No recommendations yet" in html
