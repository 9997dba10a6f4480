"""Snapshots: idempotent, frozen at month close, set-based over many organizations, and within row-level
security when run as the runtime role."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import organization_context
from oteapp.engine import config_from_dict, config_to_dict
from oteapp.jobs.digests import month_close_batch
from oteapp.jobs.snapshots import (
    AUDIT_ACTION_REOPEN,
    SnapshotError,
    snapshot_reopen,
    snapshots_backfill,
    snapshots_compute,
    snapshots_refresh_request,
)
from oteapp.models import AuditEvent, MonthlyActual, MonthlySnapshot, OrganizationSettings
from oteapp.selectors import month_report_get
from tests.jobs.conftest import worked_example_org

pytestmark = pytest.mark.django_db

OCT, NOV = date(2026, 10, 1), date(2026, 11, 1)
AFTER_CLOSE = datetime(2026, 11, 2, 12, tzinfo=UTC)


def _rows() -> list[tuple]:
    """Every snapshot row with PostgreSQL's xmin, which any UPDATE changes even to equal values."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, xmin::text, computed_at FROM oteapp_monthlysnapshot ORDER BY id")
        return cursor.fetchall()


def _writes(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].split()[0] in ("INSERT", "UPDATE", "DELETE")]


def _total_actual(organization, month) -> float:
    return MonthlySnapshot.unscoped.get(organization=organization, month=month).report["summary"]["total_actual"]


def test_a_snapshot_is_the_engine_report_with_its_configuration(spec_org):
    organization = spec_org.organization
    stats = snapshots_compute(months_by_organization={organization.pk: [OCT]}, now=AFTER_CLOSE)
    assert (stats.created, stats.updated) == (1, 0)
    snapshot = MonthlySnapshot.unscoped.get(organization=organization, month=OCT)
    with organization_context(organization):
        expected = month_report_get(organization=organization, month=OCT)
    assert snapshot.report == expected.report.to_dict()
    assert snapshot.report["summary"]["total_actual"] == 36458.10
    assert config_from_dict(snapshot.config) == expected.config
    assert snapshot.frozen_at == AFTER_CLOSE


def test_running_the_snapshot_job_again_writes_no_rows(spec_org):
    organization = spec_org.organization
    first = snapshots_backfill(organization_ids=[organization.pk], now=AFTER_CLOSE)
    assert (first.created, first.updated) == (2, 0)
    before = _rows()
    with CaptureQueriesContext(connection) as queries:
        again = snapshots_backfill(organization_ids=[organization.pk], now=AFTER_CLOSE)
        month = snapshots_compute(months_by_organization={organization.pk: [OCT, NOV]}, now=AFTER_CLOSE)
    assert again.rows_written == 0 and again.unchanged == 2
    assert month.rows_written == 0 and month.unchanged == 1  # November has no actuals: no row is made
    assert _writes(queries) == []
    assert _rows() == before


def test_configuration_changes_after_month_close_leave_the_closed_month_alone(spec_org):
    organization = spec_org.organization
    # October is closed and frozen; November is open.
    nov_rep = MonthlyActual.unscoped.filter(organization=organization, month=OCT).first().rep
    MonthlyActual.unscoped.create(organization=organization, rep=nov_rep, month=NOV, deals=Decimal(2))
    snapshots_compute(months_by_organization={organization.pk: [OCT, NOV]}, now=AFTER_CLOSE)
    frozen = MonthlySnapshot.unscoped.get(organization=organization, month=OCT)
    open_month = MonthlySnapshot.unscoped.get(organization=organization, month=NOV)
    assert frozen.frozen_at is not None and open_month.frozen_at is None

    # The deal value changes: the open month follows, the closed one keeps its numbers and configuration.
    OrganizationSettings.unscoped.filter(organization=organization).update(deal_value=Decimal("15000"))
    stats = snapshots_compute(months_by_organization={organization.pk: [OCT, NOV]}, now=AFTER_CLOSE)
    assert (stats.updated, stats.unchanged) == (1, 1)
    after = MonthlySnapshot.unscoped.get(pk=frozen.pk)
    assert (after.report, after.config, after.frozen_at) == (frozen.report, frozen.config, frozen.frozen_at)
    assert MonthlySnapshot.unscoped.get(pk=open_month.pk).config["organization"]["deal_value"] == "15000.00"

    # A late correction of October's actuals is applied, still with October's configuration.
    MonthlyActual.unscoped.filter(organization=organization, month=OCT, rep__name="Ana").update(deals=Decimal(7))
    snapshots_compute(months_by_organization={organization.pk: [OCT]}, now=AFTER_CLOSE)
    corrected = MonthlySnapshot.unscoped.get(pk=frozen.pk)
    assert corrected.config == frozen.config and corrected.frozen_at == frozen.frozen_at
    assert corrected.report["summary"]["total_actual"] == pytest.approx(36458.10 + 1134.00)


def test_owners_can_reopen_a_frozen_month_which_is_audited(spec_org):
    organization, owner = spec_org.organization, spec_org.recipients[0]
    snapshots_compute(months_by_organization={organization.pk: [OCT]}, now=AFTER_CLOSE)
    OrganizationSettings.unscoped.filter(organization=organization).update(deal_value=Decimal("12000"))
    snapshots_compute(months_by_organization={organization.pk: [OCT]})
    assert _total_actual(organization, OCT) == 36458.10  # still frozen

    with organization_context(organization):
        snapshot = snapshot_reopen(organization=organization, actor=owner, month=OCT)
        expected = month_report_get(organization=organization, month=OCT).report
        events = list(AuditEvent.objects.filter(action=AUDIT_ACTION_REOPEN))
    assert snapshot.report == expected.to_dict()
    assert snapshot.config["organization"]["deal_value"] == "12000.00"
    assert snapshot.frozen_at is not None
    assert {e.field for e in events} == {"frozen_at", "total_actual", "configuration"}
    assert all(e.actor == owner and e.subject == "Snapshot 2026-10" for e in events)
    assert next(e for e in events if e.field == "total_actual").old_value == "36458.1"

    with organization_context(organization), pytest.raises(SnapshotError):
        snapshot_reopen(organization=organization, actor=owner, month=date(2026, 8, 1))


def test_a_change_requests_a_refresh_after_commit(spec_org, django_capture_on_commit_callbacks):
    organization = spec_org.organization
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        snapshots_refresh_request(organization=organization, months=[OCT])
        assert not MonthlySnapshot.unscoped.exists(), "nothing runs before the commit"
    assert len(callbacks) == 1
    assert _total_actual(organization, OCT) == 36458.10


def test_month_close_follows_each_organizations_timezone(db, settings):
    west = worked_example_org("West Coast Solar", months={OCT: Decimal(1)})
    east = worked_example_org("East Insurance", months={OCT: Decimal(1)})
    OrganizationSettings.unscoped.filter(organization=west.organization).update(timezone="America/Los_Angeles")
    OrganizationSettings.unscoped.filter(organization=east.organization).update(timezone="Europe/Berlin")
    ids = [west.organization.pk, east.organization.pk]
    # 03:00 UTC on November 1st: past midnight in Berlin, still October 31st in Los Angeles.
    due = month_close_batch(organization_ids=ids, now=datetime(2026, 11, 1, 3, tzinfo=UTC))
    assert due == [(east.organization.pk, OCT)]
    assert MonthlySnapshot.unscoped.get(organization=east.organization).frozen_at is not None
    assert not MonthlySnapshot.unscoped.filter(organization=west.organization).exists()
    due = month_close_batch(organization_ids=ids, now=datetime(2026, 11, 1, 9, tzinfo=UTC))
    assert set(due) == {(west.organization.pk, OCT), (east.organization.pk, OCT)}
    # Past the window after close, nothing new is queued.
    settings.DIGEST_SEND_WINDOW_DAYS = 7
    assert month_close_batch(organization_ids=ids, now=datetime(2026, 11, 20, tzinfo=UTC)) == []


def test_batches_take_a_constant_number_of_queries(db):
    orgs = [worked_example_org(f"Org {i}", months={OCT: Decimal(1), NOV: Decimal("0.5")}) for i in range(6)]
    ids = [o.organization.pk for o in orgs]
    counts = []
    for batch in (ids[:2], ids[2:]):
        with CaptureQueriesContext(connection) as queries:
            snapshots_backfill(organization_ids=batch, now=AFTER_CLOSE)
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert MonthlySnapshot.unscoped.count() == 12


def test_the_jobs_work_as_the_runtime_role_under_row_level_security(db, mailoutbox):
    """The superuser bypasses policies: run the batch jobs as the role requests use, with no organization
    set, to prove they scope themselves (cross_organization for batches, organization_context per org)."""
    from accounts.rls import rls_enabled
    from oteapp.jobs.digests import digests_send

    if not rls_enabled():
        pytest.skip("row-level security is PostgreSQL with DATABASE_RLS_ROLE only")
    orgs = [worked_example_org(f"Org {i}", months={OCT: Decimal(1)}) for i in range(2)]
    ids = [o.organization.pk for o in orgs]
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('role', %s, true)", [settings.DATABASE_RLS_ROLE])
        due = month_close_batch(organization_ids=ids, now=AFTER_CLOSE)
        for org_id, period in due:
            organization = next(o.organization for o in orgs if o.organization.pk == org_id)
            with organization_context(organization):
                digests_send(organization=organization, period=period)
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user, set_config('role', 'none', true)")
            assert cursor.fetchone()[0] == settings.DATABASE_RLS_ROLE
    assert due == [(org_id, OCT) for org_id in ids]
    assert MonthlySnapshot.unscoped.filter(organization_id__in=ids, frozen_at__isnull=False).count() == 2
    assert sorted(m.to[0] for m in mailoutbox) == sorted(e for o in orgs for e in o.recipient_emails)


def test_the_stored_configuration_round_trips_exactly(spec_org):
    with organization_context(spec_org.organization):
        config = month_report_get(organization=spec_org.organization, month=OCT).config
    assert config_from_dict(config_to_dict(config)) == config


def test_a_closed_month_shows_its_frozen_numbers_on_every_screen(client, spec_org):
    """After month close the configuration changes; the dashboard and the downloads keep the numbers
    the month was reported with, as the digest and History do."""
    from oteapp.models import SalesRole

    organization = spec_org.organization
    snapshots_compute(months_by_organization={organization.pk: [OCT]}, now=AFTER_CLOSE)
    SalesRole.unscoped.filter(organization=organization, key="closer").update(annual_ote=Decimal("120000"))
    client.force_login(spec_org.recipients[0])

    page = client.get(f"/o/{organization.slug}/performance/?month=2026-10").content.decode()
    report = client.get(f"/o/{organization.slug}/report.json?month=2026-10").json()

    assert "$36,458.10" in page and "102.1%" in page
    assert report["summary"]["total_actual"] == 36458.1
    assert report["roles"][0]["monthly_ote"] == 5000.0


# --- the job's own statements (PostgreSQL) against the ORM path -----------------------------------


def _stored() -> list[tuple]:
    return list(
        MonthlySnapshot.unscoped.order_by("organization_id", "month").values_list(
            "organization_id", "month", "report", "config", "computed_at", "frozen_at"
        )
    )


def _varied_orgs() -> list:
    """Organizations whose months exercise every input: several months, a ramped rep who started late, a rep
    who left, an active rep without a row, a ramp and accelerators, and a timezone ahead of UTC."""
    from oteapp.models import Rep, SalesRole
    from tests.factories import actual_create, rep_create

    orgs = [worked_example_org(f"Varied {i}", months={SEP: Decimal("0.8"), OCT: Decimal(1), NOV: Decimal("0.5")})
            for i in range(3)]
    first, second, third = (o.organization for o in orgs)
    SalesRole.unscoped.filter(organization=first, key="closer").update(
        ramp=[0.5, 0.75], accelerators=[{"from": 1.0, "multiplier": 1.5}, {"from": 1.25, "multiplier": 2}]
    )
    late = rep_create(first, name="Lea", role="closer", start_date=date(2026, 10, 10))
    actual_create(first, rep=late, month=OCT, deals=2, revenue="20000")
    rep_create(first, name="Mo", role="setter", start_date=date(2026, 1, 1))  # active, never reported
    Rep.unscoped.filter(organization=second, name="Cy").update(end_date=date(2026, 9, 30))
    OrganizationSettings.unscoped.filter(organization=third).update(timezone="Pacific/Kiritimati")
    return orgs


SEP = date(2026, 9, 1)


def test_the_nightly_job_computes_each_organizations_open_months(db):
    """Open months are those not over in the organization's timezone, and only those with actuals."""
    from oteapp.jobs.snapshots import open_months_get, snapshots_open_months_compute

    orgs = _varied_orgs()
    ids = [o.organization.pk for o in orgs]
    # 11:00 UTC on October 31st: already November 1st in Kiritimati (UTC+14).
    now = datetime(2026, 10, 31, 11, tzinfo=UTC)
    stats = snapshots_open_months_compute(organization_ids=ids, now=now)
    computed = set(MonthlySnapshot.unscoped.values_list("organization_id", "month"))
    assert computed == {(org_id, month) for org_id, months in open_months_get(organization_ids=ids, now=now).items()
                        for month in months}
    assert computed == {(ids[0], OCT), (ids[0], NOV), (ids[1], OCT), (ids[1], NOV), (ids[2], NOV)}
    assert stats.created == 5 and not MonthlySnapshot.unscoped.filter(frozen_at__isnull=False).exists()
    again = snapshots_open_months_compute(organization_ids=ids, now=now)
    assert (again.rows_written, again.unchanged) == (0, 5)


def test_a_snapshot_matches_the_dashboards_report_for_every_kind_of_input(db):
    from oteapp.engine import config_to_dict

    orgs = _varied_orgs()
    snapshots_backfill(organization_ids=[o.organization.pk for o in orgs], now=AFTER_CLOSE)
    for setup in orgs:
        organization = setup.organization
        for month in (SEP, OCT, NOV):
            snapshot = MonthlySnapshot.unscoped.get(organization=organization, month=month)
            with organization_context(organization):
                expected = month_report_get(organization=organization, month=month)
            assert snapshot.report == expected.report.to_dict()
            assert snapshot.config == config_to_dict(expected.config)


def test_a_failed_write_rolls_the_whole_batch_back(spec_org, monkeypatch):
    """The writes are pipelined: an error comes back at the end of the batch, as Django's exception, and
    nothing of the batch is kept."""
    from django.db import IntegrityError

    from oteapp.jobs import snapshots

    organization = spec_org.organization
    snapshots_compute(months_by_organization={organization.pk: [SEP, OCT]}, now=AFTER_CLOSE)
    before = _rows()
    MonthlyActual.unscoped.filter(organization=organization, month=SEP, rep__name="Ana").update(deals=Decimal(1))
    load = snapshots._load

    def forgetful(**kwargs):  # as if October's row were not there: its INSERT must fail
        inputs = load(**kwargs)
        del inputs.existing[(organization.pk, OCT)]
        return inputs

    monkeypatch.setattr(snapshots, "_load", forgetful)
    with pytest.raises(IntegrityError):
        snapshots_compute(months_by_organization={organization.pk: [SEP, OCT]}, now=AFTER_CLOSE)
    assert _rows() == before, "September's update was rolled back with the failed insert"


def test_the_nightly_job_rewrites_exactly_the_organization_whose_data_changed(db):
    """Across a batch, a change to one organization's actuals rewrites that organization's open month and no
    other row (xmin): one UPDATE statement (the writes go through Django's cursor,
    so they are in its query log), the stored report is the dashboard's, and running again writes nothing."""
    from oteapp.jobs.snapshots import snapshots_open_months_compute

    orgs = [worked_example_org(f"Org {i}", months={NOV: Decimal(1)}) for i in range(4)]
    ids = [o.organization.pk for o in orgs]
    now = datetime(2026, 11, 20, 12, tzinfo=UTC)
    first = snapshots_open_months_compute(organization_ids=ids, now=now)
    assert (first.created, first.updated) == (4, 0)
    before = {row[0]: row for row in _rows()}

    changed = orgs[2].organization
    MonthlyActual.unscoped.filter(organization=changed, month=NOV, rep__name="Ana").update(deals=Decimal(9))
    with CaptureQueriesContext(connection) as queries:
        stats = snapshots_open_months_compute(organization_ids=ids, now=now)
    assert (stats.created, stats.updated, stats.unchanged) == (0, 1, 3)
    writes = _writes(queries)
    assert len(writes) == 1 and writes[0].split()[0] == "UPDATE"
    after = {row[0]: row for row in _rows()}
    snapshot = MonthlySnapshot.unscoped.get(organization=changed, month=NOV)
    assert {pk for pk in after if after[pk] != before[pk]} == {snapshot.pk}
    with organization_context(changed):
        expected = month_report_get(organization=changed, month=NOV)
    assert snapshot.report == expected.report.to_dict()
    assert snapshot.config == config_to_dict(expected.config)

    with CaptureQueriesContext(connection) as queries:
        again = snapshots_open_months_compute(organization_ids=ids, now=now)
    assert (again.rows_written, again.unchanged) == (0, 4)
    assert _writes(queries) == [] and _rows() == list(after.values())


def _lz4_available() -> bool:
    with connection.cursor() as cursor:
        try:
            with transaction.atomic():
                cursor.execute("SET LOCAL default_toast_compression = 'lz4'")
        except DatabaseError:  # "invalid value for parameter": this server was built without lz4
            return False
    return True


def test_snapshots_are_stored_compressed_with_lz4(db):
    """Migration 0004: the report and configuration columns compress with lz4 (several times cheaper than the
    default pglz for the nightly job's writes); what is stored and read back is unchanged."""
    from tests.factories import actual_create, rep_create

    if connection.vendor != "postgresql" or not _lz4_available():
        pytest.skip("lz4 column compression is PostgreSQL 14+ built with lz4")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attname, attcompression FROM pg_attribute WHERE attrelid = 'oteapp_monthlysnapshot'::regclass "
            "AND attname IN ('report', 'config') ORDER BY attname"
        )
        assert cursor.fetchall() == [("config", "l"), ("report", "l")]

    setup = worked_example_org("Big Team", months={OCT: Decimal(1)})
    organization = setup.organization
    for index in range(30):  # a report well past the 2 KB above which PostgreSQL compresses
        rep = rep_create(organization, name=f"Closer {index:02d}", role="closer")
        actual_create(organization, rep=rep, month=OCT, deals=index % 7)
    snapshots_compute(months_by_organization={organization.pk: [OCT]}, now=AFTER_CLOSE)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(report), octet_length(report::text) FROM oteapp_monthlysnapshot "
            "WHERE organization_id = %s",
            [organization.pk],
        )
        method, size = cursor.fetchone()
    assert size > 4000 and method == "lz4"
    with organization_context(organization):
        expected = month_report_get(organization=organization, month=OCT).report.to_dict()
    assert MonthlySnapshot.unscoped.get(organization=organization, month=OCT).report == expected
