"""The backtest's history loads set-based: the same number of queries for 3 months of 5 reps as for 24 months of
300, and exactly the months with actuals it asks for."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import organization_context
from oteapp.selectors import backtest_history_get
from tests.factories import organization_with_members, team_bulk_create

pytestmark = pytest.mark.django_db


def loaded(*, reps: int, months: int, asked: int):
    organization = organization_with_members(f"Company with {reps} reps over {months} months")
    team_bulk_create(organization, reps=reps, months=months, missing_every=0)
    with organization_context(organization), CaptureQueriesContext(connection) as queries:
        result = backtest_history_get(organization=organization, months=asked)
    return result, len(queries)


def test_queries_do_not_grow_with_months_or_reps():
    small, small_queries = loaded(reps=5, months=3, asked=12)
    large, large_queries = loaded(reps=300, months=24, asked=24)

    assert small_queries == large_queries == 6
    assert (len(small.history), small.months_available) == (3, 3)
    assert (len(large.history), large.months_available) == (24, 24)
    assert sum(len(month.actuals) for month in large.history) == 300 * 24


def test_the_last_months_with_actuals_oldest_first():
    result, _ = loaded(reps=6, months=14, asked=12)

    assert [month.month for month in result.history] == [
        date(2025 + (i + 10) // 12, (i + 10) % 12 + 1, 1) for i in range(12)
    ]
    assert result.months_available == 14
    assert [role.key for role in result.config.roles] == ["closer", "setter", "manager"]
    assert {row.role_key for row in result.history[0].actuals} == {"closer", "setter", "manager"}
