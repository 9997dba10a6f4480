"""Query budgets of the read-only tabs: every page, partial and download runs the same number of
queries for 5 or 500 reps and for 1 or 36 months of actuals (and snapshots)."""

from datetime import date

import pytest
from django.core.cache import caches
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Organization
from accounts.tenancy import organization_context
from oteapp.models import MonthlySnapshot, Rep
from oteapp.selectors import month_report_get, month_reports_get, trailing_months
from tests.factories import UserFactory, organization_with_members, team_bulk_create

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)
SIZES = [(5, 1), (500, 1), (5, 36), (500, 36)]  # (reps, months of actuals)
PAGES = ["", "performance/", "pnl/", "history/"]  # each as a full page and as an htmx partial
OTHERS = ["investor/", "report.csv", "report.json"]


def organization_with_data(reps: int, months: int, owner) -> Organization:
    """`reps` reps with actuals in each of the `months` months up to October 2026 (every tenth rep has
    none: the missing-actuals list is loaded too); every month but the last has a snapshot."""
    organization = organization_with_members(f"Co {reps} reps {months} months", owner=owner)
    window = trailing_months(OCTOBER, months)
    team_bulk_create(organization, reps=reps, months=months, last_month=OCTOBER)
    with organization_context(organization):
        stored = month_report_get(organization=organization, month=OCTOBER).report.to_dict()
        now = timezone.now()
        MonthlySnapshot.objects.bulk_create(
            MonthlySnapshot(organization=organization, month=month, report=stored, config={}, computed_at=now)
            for month in window[:-1]
        )
    return organization


def count_queries(client, url: str, **headers: str) -> int:
    """Queries of the screen as computed: the fragment cache is emptied first (oteapp/views/fragments.py)."""
    # Warm up first: switching organization writes the session once, which is not the screen's cost.
    client.get(url, headers=headers)
    caches["fragments"].clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return len(queries)


def count_cached_queries(client, url: str, **headers: str) -> tuple[int, int]:
    """(all queries, domain queries) of the screen served again from the fragment cache."""
    client.get(url, headers=headers)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return len(queries), sum('"oteapp_' in query["sql"] for query in queries)


def test_every_read_screen_runs_constant_queries(client):
    owner = UserFactory()
    client.force_login(owner)
    organizations = {size: organization_with_data(*size, owner=owner) for size in SIZES}
    counts: dict[str, dict[tuple[int, int], int]] = {}
    for size, organization in organizations.items():
        base = f"/o/{organization.slug}/"
        for page in PAGES:
            url = f"{base}{page}?month=2026-10&months=36"
            counts.setdefault(f"{page or 'overview'} page", {})[size] = count_queries(client, url)
            counts.setdefault(f"{page or 'overview'} partial", {})[size] = count_queries(client, url, HX_Request="true")
        for other in OTHERS:
            counts.setdefault(other, {})[size] = count_queries(client, f"{base}{other}?month=2026-10")
        url = f"{base}performance/?month=2026-10"
        counts.setdefault("performance page, cached", {})[size] = count_cached_queries(client, url)
        cached_partial = count_cached_queries(client, url, HX_Request="true")
        counts.setdefault("performance partial, cached", {})[size] = cached_partial
    print({screen: by_size[SIZES[0]] for screen, by_size in counts.items()})  # shown with -s
    for screen, by_size in counts.items():
        assert len(set(by_size.values())) == 1, f"{screen}: {by_size}"
    # Served from the cache, a report screen reads no domain table at all: only the session, the user and
    # the membership (with the organization's data version), plus the organization switcher on a page.
    assert counts["performance page, cached"][SIZES[0]][1] == 0
    assert counts["performance partial, cached"][SIZES[0]][1] == 0


@pytest.mark.parametrize("months", [1, 36])
def test_month_reports_get_is_six_queries_for_any_number_of_months(months, django_assert_num_queries):
    organization = organization_with_data(50, months, owner=UserFactory())
    with organization_context(organization), django_assert_num_queries(6):
        reports = month_reports_get(organization=organization, months=trailing_months(OCTOBER, months))
    assert len(reports) == months
    assert all(item.report.summary.headcount == 45 for item in reports)
    assert len(reports[-1].report.missing_actuals) == 5


def test_month_reports_get_matches_month_report_get(db):
    """Loading many months at once gives each month exactly its own report."""
    organization = organization_with_data(30, 3, owner=UserFactory())
    # Two reps without actuals: one starts mid-September, one left end of August.
    Rep.unscoped.filter(organization=organization, name="Rep 0010").update(start_date=date(2026, 9, 15))
    Rep.unscoped.filter(organization=organization, name="Rep 0020").update(end_date=date(2026, 8, 31))
    with organization_context(organization):
        together = month_reports_get(organization=organization, months=trailing_months(OCTOBER, 3))
        for item in together:
            alone = month_report_get(organization=organization, month=item.month)
            assert item.report == alone.report
    missing = [[rep.name for rep in item.report.missing_actuals] for item in together]
    assert ["Rep 0010" in names for names in missing] == [False, True, True]
    assert ["Rep 0020" in names for names in missing] == [True, False, False]
