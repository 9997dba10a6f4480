"""The snapshot job with reps' own plans (issue 17 item 1): the open months' configuration holds them, read with
the reps in the same query (the batch's reads stay constant), and a closed month keeps the plans it was frozen
with."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import organization_context
from oteapp.jobs.snapshots import snapshots_backfill, snapshots_compute
from oteapp.models import MonthlySnapshot, Rep
from oteapp.selectors import month_report_get
from tests.jobs.conftest import worked_example_org

pytestmark = pytest.mark.django_db

OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)
DURING_NOVEMBER = datetime(2026, 11, 15, 12, tzinfo=UTC)


def own_plan(organization, name: str, **figures: str) -> None:
    Rep.unscoped.filter(organization=organization, name=name).update(
        **{field: Decimal(value) for field, value in figures.items()}
    )


def test_batches_with_reps_plans_take_the_same_queries(db):
    orgs = [worked_example_org(f"Org {i}", months={OCT: Decimal(1), NOV: Decimal("0.5")}) for i in range(6)]
    for index, setup in enumerate(orgs[2:]):  # the second batch has plans, the first none
        own_plan(setup.organization, "Ana", annual_ote=str(70000 + index), monthly_quota="6")
    ids = [setup.organization.pk for setup in orgs]
    counts = []
    for batch in (ids[:2], ids[2:]):
        with CaptureQueriesContext(connection) as queries:
            snapshots_backfill(organization_ids=batch, now=DURING_NOVEMBER)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    for setup in orgs:
        organization = setup.organization
        for month in (OCT, NOV):
            stored = MonthlySnapshot.unscoped.get(organization=organization, month=month)
            with organization_context(organization):
                assert stored.report == month_report_get(organization=organization, month=month).report.to_dict()


def test_a_closed_month_keeps_the_plans_it_was_frozen_with_and_the_open_one_follows(db):
    setup = worked_example_org("Plans Co", months={OCT: Decimal(1), NOV: Decimal(1)})
    organization = setup.organization
    own_plan(organization, "Ana", monthly_quota="3")
    snapshots_compute(months_by_organization={organization.pk: [OCT, NOV]}, now=DURING_NOVEMBER)
    ana = Rep.unscoped.get(organization=organization, name="Ana")

    own_plan(organization, "Ana", monthly_quota="12")
    snapshots_compute(months_by_organization={organization.pk: [OCT, NOV]}, now=DURING_NOVEMBER)

    october = MonthlySnapshot.unscoped.get(organization=organization, month=OCT)
    november = MonthlySnapshot.unscoped.get(organization=organization, month=NOV)
    assert october.config["rep_plans"] == [{"rep_id": ana.pk, "monthly_quota": "3.00"}]
    assert november.config["rep_plans"] == [{"rep_id": ana.pk, "monthly_quota": "12.00"}]

    def ana_quota(snapshot) -> float:
        closers = next(role for role in snapshot.report["roles"] if role["key"] == "closer")
        return next(rep for rep in closers["reps"] if rep["name"] == "Ana")["quota"]

    assert (ana_quota(october), ana_quota(november)) == (3.0, 12.0)
