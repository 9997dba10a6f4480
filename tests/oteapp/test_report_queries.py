"""`month_report_get` loads a month in a constant number of queries, whatever the number of reps."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import organization_context
from oteapp.selectors import month_report_get
from tests.factories import organization_with_members, team_bulk_create

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)


def organization_with_reps(count: int):
    organization = organization_with_members(f"Company with {count} reps")
    team_bulk_create(organization, reps=count, months=1, start_date=date(2025, 1, 1))
    return organization


def report_queries(organization) -> tuple[int, int]:
    with organization_context(organization), CaptureQueriesContext(connection) as queries:
        report = month_report_get(organization=organization, month=OCTOBER).report
    return len(queries), sum(role.headcount for role in report.roles)


def test_month_report_queries_do_not_grow_with_reps():
    small_queries, small_headcount = report_queries(organization_with_reps(5))
    large_queries, large_headcount = report_queries(organization_with_reps(500))

    assert (small_headcount, large_headcount) == (4, 450)
    assert small_queries == large_queries == 6


def test_month_report_with_a_given_configuration_needs_two_queries(django_assert_num_queries):
    organization = organization_with_reps(50)
    with organization_context(organization):
        config = month_report_get(organization=organization, month=OCTOBER).config
        with django_assert_num_queries(2):
            month_report_get(organization=organization, month=OCTOBER, config=config)
