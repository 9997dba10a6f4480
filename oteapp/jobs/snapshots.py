"""Monthly snapshots: the engine's report of one month, stored with the configuration it used.

The rules (docs/jobs.md has the why):

- One row per organization and month, created only for a month with actuals. It is written only when its
  report, configuration or freeze changes, so running a job again writes nothing.
- An open month (not over yet in the organization's timezone) is computed with the current configuration.
- A closed month is frozen: the first computation after it ends pins the configuration it was last computed
  with (the one in force at month close), and later configuration changes leave it alone. Actuals corrected
  after the close are still applied, with the pinned configuration. Owners and admins can reopen it
  (`snapshot_reopen`, audited), which recomputes it with the current configuration and pins that instead.
- Changes are recomputed after commit, debounced per organization through Redis; nightly for open months.
- Many organizations are computed together with a constant number of reads per batch.
"""

import logging
from collections import defaultdict, namedtuple
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import NamedTuple
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import kombu.exceptions
import orjson
import redis
from django.conf import settings
from django.db import connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone

from accounts import rls
from accounts.models import Organization, User
from config.celery import app as celery_app
from oteapp import engine
from oteapp.engine.report import build
from oteapp.gc_pause import gc_paused
from oteapp.jobs.debounce import DebouncedTask
from oteapp.models import (
    MonthApproval,
    MonthlyActual,
    MonthlySnapshot,
    OrganizationSettings,
    SalesRole,
    WebhookEventType,
)
from oteapp.months import format_month, parse_month
from oteapp.selectors import ROLE_FIELDS, SETTINGS_FIELDS, EmployedRep, config_from_models, rep_plan_of
from oteapp.services.audit import audit_changes
from oteapp.webhooks.events import webhook_event_emit

logger = logging.getLogger(__name__)

OPEN_MONTHS = "open"  # a refresh token meaning "every open month with actuals" (a configuration change)
AUDIT_ACTION_REOPEN = "snapshot_reopen"
# After an edit: one recomputation per burst, by name (the tasks module imports this one, not the other way round).
REFRESH = DebouncedTask(key_prefix="oteapp:snapshots:refresh", task_name="oteapp.snapshots_refresh")


class SnapshotError(ValueError):
    """A snapshot operation that the month's state does not allow."""


@dataclass
class SnapshotStats:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def rows_written(self) -> int:
        return self.created + self.updated

    def add(self, other: "SnapshotStats") -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


# --- time -----------------------------------------------------------------------------------------


def organization_today(*, timezone_name: str, now: datetime | None = None) -> date:
    """Today's date in the organization's timezone (an unknown zone counts as UTC)."""
    try:
        zone = ZoneInfo(timezone_name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return (now or timezone.now()).astimezone(zone).date()


def month_is_closed(*, month: date, today: date) -> bool:
    return month < today.replace(day=1)


# --- computing many organizations at once ---------------------------------------------------------


def _lock_organizations(organization_ids: list[int]) -> None:
    """Serialize snapshot writers per organization (a refresh and the nightly job may overlap), so the
    compare-then-write below never races; ascending order cannot deadlock."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('oteapp.jobs.snapshots'), (id %% 2147483647)::int) "
            "FROM unnest(%s::bigint[]) AS id",
            [sorted(organization_ids)],
        )


# Plain values, not model instances: the job reads every row of a batch once and needs none of the models'
# behaviour. Their attributes are the models' (selectors.SETTINGS_FIELDS and ROLE_FIELDS), so
# selectors.config_from_models builds the configuration from them exactly as from the instances the dashboard reads.
_SettingsRow = namedtuple("_SettingsRow", ["organization_id", *SETTINGS_FIELDS])
_RoleRow = namedtuple("_RoleRow", ["organization_id", *ROLE_FIELDS])


class _Existing(NamedTuple):
    pk: int
    frozen_at: datetime | None
    report: dict
    config: dict


@dataclass
class _Inputs:
    """Everything one batch computes from, read in one transaction."""

    settings_of: dict[int, _SettingsRow]
    today_of: dict[int, date]
    wanted: dict[int, set[date]]
    roles_of: dict[int, list[_RoleRow]] = field(default_factory=lambda: defaultdict(list))
    existing: dict[tuple[int, date], _Existing] = field(default_factory=dict)
    # The month's actuals rows, and the reps active in the month without a row: the engine's two inputs
    # (it would drop any active rep that has a row).
    actuals: dict[tuple[int, date], list[engine.RepMonth]] = field(default_factory=lambda: defaultdict(list))
    missing: dict[tuple[int, date], list[engine.ActiveRep]] = field(default_factory=lambda: defaultdict(list))
    rep_plans_of: dict[int, dict[int, engine.RepPlan]] = field(default_factory=lambda: defaultdict(dict))


def _snapshot_json(data: object) -> str:
    # The same JSON values as the JSONField would store (jsonb keeps neither whitespace nor key order nor a
    # number's spelling), written by orjson, which is several times faster than the standard encoder.
    return orjson.dumps(data).decode()


def snapshots_compute(
    *,
    months_by_organization: Mapping[int, Iterable[date]],
    now: datetime | None = None,
    reopen: bool = False,
) -> SnapshotStats:
    """Compute and store the snapshots of the given months of each organization, in one transaction: six
    reads whatever the number of organizations, months and reps, and one pipelined write per ten rows
    created or changed. Rows are written only when something changed. `reopen` recomputes closed months with
    the current configuration (see module doc)."""
    wanted = {org_id: set(months) for org_id, months in months_by_organization.items() if months}
    if not wanted:
        return SnapshotStats()
    return _compute(organization_ids=sorted(wanted), wanted=wanted, now=now or timezone.now(), reopen=reopen)


def _compute(
    *, organization_ids: list[int], wanted: dict[int, set[date]] | None, now: datetime, reopen: bool
) -> SnapshotStats:
    """snapshots_compute, or with `wanted=None` the nightly job's months: each organization's open months
    (not over in its timezone) that have actuals, found in the same transaction from the same queries."""
    stats = SnapshotStats()
    with rls.cross_organization(), transaction.atomic(), gc_paused():
        _lock_organizations(organization_ids)
        inputs = _load(organization_ids=organization_ids, wanted=wanted, now=now)
        with _writer() as writer:
            for org_id in organization_ids:
                org_settings = inputs.settings_of.get(org_id)
                if org_settings is None or org_id not in inputs.wanted:  # deleted meanwhile, or nothing to do
                    continue
                current = None
                today = inputs.today_of[org_id]
                for month in sorted(inputs.wanted[org_id]):
                    snapshot = inputs.existing.get((org_id, month))
                    month_actuals = inputs.actuals.get((org_id, month), [])
                    if snapshot is None and not month_actuals:
                        continue
                    closed = month_is_closed(month=month, today=today)
                    pinned = snapshot is not None and closed and not reopen
                    if pinned:
                        config = engine.config_from_dict(snapshot.config)
                    else:
                        if current is None:
                            current = config_from_models(
                                settings=org_settings,
                                roles=inputs.roles_of[org_id],
                                rep_plans=inputs.rep_plans_of.get(org_id),
                            )
                        config = current
                    report = engine.compute_report(
                        config=config,
                        month=month,
                        actuals=month_actuals,
                        active_reps=inputs.missing.get((org_id, month), []),
                    )
                    report_data, config_data = report.to_dict(), engine.config_to_dict(config)
                    if not closed:
                        frozen_at = None
                    elif pinned and snapshot.frozen_at is not None:
                        frozen_at = snapshot.frozen_at
                    else:
                        frozen_at = now
                    if snapshot is None:
                        writer.create((org_id, month, report_data, config_data, now, frozen_at))
                        stats.created += 1
                    elif (snapshot.report, snapshot.config, snapshot.frozen_at) == (
                        report_data, config_data, frozen_at
                    ):
                        stats.unchanged += 1
                    else:
                        writer.update((snapshot.pk, org_id, month, report_data, config_data, now, frozen_at))
                        stats.updated += 1
    return stats


def _inputs_for(settings_rows: Iterable[tuple], *, wanted: dict[int, set[date]] | None, now: datetime) -> _Inputs:
    settings_of = {row.organization_id: row for row in map(_SettingsRow._make, settings_rows)}
    today_of = {org_id: organization_today(timezone_name=row.timezone, now=now) for org_id, row in settings_of.items()}
    return _Inputs(settings_of=settings_of, today_of=today_of, wanted=defaultdict(set) if wanted is None else wanted)


def _first_open_month(inputs: _Inputs) -> dict[int, date]:
    return {org_id: today.replace(day=1) for org_id, today in inputs.today_of.items()}


# Plain statements with the organizations as one array parameter, for the batch's large reads.
_EXISTING_SQL = """
SELECT organization_id, month, id, frozen_at, report, config FROM oteapp_monthlysnapshot
WHERE organization_id = ANY(%(orgs)s::bigint[]) AND month = ANY(%(months)s::date[])
"""
_EXISTING_OPEN_SQL = """
SELECT organization_id, month, id, frozen_at, report, config FROM oteapp_monthlysnapshot
WHERE organization_id = ANY(%(orgs)s::bigint[]) AND month >= %(first)s
"""
# The columns of selectors.ACTUALS_FIELDS and EMPLOYED_REP_FIELDS. The organizations are repeated on every
# joined table so that PostgreSQL reads only theirs, by index. The batch's actuals rows are read first, as a
# MATERIALIZED common table expression (one walk of the organization-and-month index), and the reps joined to
# them: left to itself, PostgreSQL underestimates the rows of the open month, probes the unique index once per
# rep with the whole organization array (an index descent per organization and rep), and the batch's time grows
# with the table (bench/FINDINGS.md, 2026-12-05).
_ACTUALS_SELECT = """
WITH a AS MATERIALIZED (
    SELECT organization_id, month, rep_id, deals, meetings, team_deals, revenue FROM oteapp_monthlyactual
    WHERE organization_id = ANY(%(orgs)s::bigint[]) AND {months}
)
SELECT a.organization_id, a.month, a.rep_id, p.name, r.key, p.start_date, a.deals, a.meetings, a.team_deals, a.revenue
FROM a
JOIN oteapp_rep p ON p.id = a.rep_id
JOIN oteapp_salesrole r ON r.id = p.role_id
WHERE p.organization_id = ANY(%(orgs)s::bigint[]) AND r.organization_id = ANY(%(orgs)s::bigint[])
"""
_ACTUALS_SQL = _ACTUALS_SELECT.format(months="month = ANY(%(months)s::date[])")
_ACTUALS_OPEN_SQL = _ACTUALS_SELECT.format(months="month >= %(first)s")
# Each rep's own plan figures (selectors.REP_PLAN_FIELDS) come with it: the open months' configuration holds them.
_REPS_SQL = """
SELECT p.organization_id, p.id, p.name, r.key, p.start_date, p.end_date,
       p.annual_ote, p.annual_base, p.monthly_quota, p.commission_rate, p.monthly_draw
FROM oteapp_rep p
JOIN oteapp_salesrole r ON r.id = p.role_id
WHERE p.organization_id = ANY(%(orgs)s::bigint[]) AND r.organization_id = ANY(%(orgs)s::bigint[])
"""


def _load(*, organization_ids: list[int], wanted: dict[int, set[date]] | None, now: datetime) -> _Inputs:
    settings_rows = OrganizationSettings.unscoped.filter(organization_id__in=organization_ids)
    inputs = _inputs_for(settings_rows.values_list(*_SettingsRow._fields), wanted=wanted, now=now)
    roles = SalesRole.unscoped.filter(organization_id__in=organization_ids)
    roles = roles.order_by("organization_id", "position", "key")
    for role in map(_RoleRow._make, roles.values_list(*_RoleRow._fields)):
        inputs.roles_of[role.organization_id].append(role)
    with connection.cursor() as cursor:
        if wanted is None:
            first_open = _first_open_month(inputs)
            if not first_open:
                return inputs
            params = {"orgs": organization_ids, "first": min(first_open.values())}
            existing_sql, actuals_sql = _EXISTING_OPEN_SQL, _ACTUALS_OPEN_SQL
        else:
            params = {"orgs": organization_ids, "months": sorted(set().union(*wanted.values()))}
            existing_sql, actuals_sql = _EXISTING_SQL, _ACTUALS_SQL
        cursor.execute(existing_sql, params)
        for org_id, month, pk, frozen_at, report, config in cursor.fetchall():
            inputs.existing[(org_id, month)] = _Existing(pk, frozen_at, orjson.loads(report), orjson.loads(config))
        cursor.execute(actuals_sql, params)
        actuals = cursor.fetchall()
        cursor.execute(_REPS_SQL, params)
        reps = cursor.fetchall()
    _add_rows(inputs, _rep_months(actuals), open_from=first_open if wanted is None else None)
    _add_missing(inputs, reps)
    _add_rep_plans(inputs, reps)
    return inputs


def _rep_months(rows: Iterable[tuple]) -> Iterator[tuple[int, date, engine.RepMonth]]:
    """selectors.rep_months on rows of its columns (built with every field, see engine.report.build)."""
    for org_id, month, rep_id, name, role_key, start, deals, meetings, team_deals, revenue in rows:
        yield org_id, month, build(
            engine.RepMonth, rep_id=rep_id, name=name, role_key=role_key, start_date=start,
            deals=deals, meetings=meetings, team_deals=team_deals, revenue=revenue,
        )


def _add_rows(
    inputs: _Inputs, rows: Iterable[tuple[int, date, engine.RepMonth]], *, open_from: dict[int, date] | None
) -> None:
    """The actuals rows of the wanted months; with `open_from`, the months (from each organization's first
    open one) are the ones the rows have."""
    actuals, wanted = inputs.actuals, inputs.wanted
    for org_id, month, rep_month in rows:
        if open_from is None:
            if month in wanted.get(org_id, ()):
                actuals[(org_id, month)].append(rep_month)
        elif month >= open_from[org_id]:
            actuals[(org_id, month)].append(rep_month)
            wanted[org_id].add(month)


_EMPLOYED = len(EmployedRep._fields)  # a _REPS_SQL row: EmployedRep's columns, then the plan's


def _add_rep_plans(inputs: _Inputs, reps: Iterable[tuple]) -> None:
    """Each organization's reps that have their own plan figures, for its current configuration."""
    for row in reps:
        plan = rep_plan_of(row[_EMPLOYED:])
        if plan is not None:
            inputs.rep_plans_of[row[0]][row[1]] = plan


def _add_missing(inputs: _Inputs, reps: Iterable[tuple]) -> None:
    """The reps active in each wanted month without an actuals row (the engine lists them as missing).
    `reps` are rows of _REPS_SQL; most have a row, so only the others become EmployedRep."""
    reps_of: dict[int, list[tuple]] = defaultdict(list)
    for rep in reps:
        reps_of[rep[0]].append(rep)
    for org_id, months in inputs.wanted.items():
        for month in months:
            reported = {row.rep_id for row in inputs.actuals.get((org_id, month), ())}
            unreported = (EmployedRep._make(rep[:_EMPLOYED]) for rep in reps_of[org_id] if rep[1] not in reported)
            inputs.missing[(org_id, month)] = [rep.as_active() for rep in unreported if rep.active_in(month)]


# Rows per INSERT/UPDATE statement (about 70 kilobytes of JSON for small organizations): small, because the
# last chunk of a batch is the part of PostgreSQL's work that nothing overlaps.
_WRITE_CHUNK = 10


class _Writer:
    """Writes new and changed snapshot rows in chunks, as the computation produces them.

    Each chunk is ONE statement with ONE jsonb parameter (an array of the rows, reports and configurations nested
    as JSON) that it unpacks with jsonb_array_elements: Django's bulk_create sends a placeholder per value or a
    jsonb[] array that psycopg escapes character by character, either slower than computing the reports. The
    statements go out in pipeline mode (see _writer), so PostgreSQL stores one chunk while the next is computed."""

    def __init__(self, cursor: CursorWrapper) -> None:
        self.cursor = cursor
        self.to_create: list[tuple] = []
        self.to_update: list[tuple] = []

    def create(self, row: tuple) -> None:
        self.to_create.append(row)
        if len(self.to_create) >= _WRITE_CHUNK:
            self._insert()

    def update(self, row: tuple) -> None:
        self.to_update.append(row)
        if len(self.to_update) >= _WRITE_CHUNK:
            self._update()

    def flush(self) -> None:
        if self.to_create:
            self._insert()
        if self.to_update:
            self._update()

    def _insert(self) -> None:
        rows = [
            [org_id, month.isoformat(), report, config, _iso(computed_at), _iso(frozen_at)]
            for org_id, month, report, config, computed_at, frozen_at in self.to_create
        ]
        self.to_create = []
        self.cursor.execute(_INSERT_SQL, [_snapshot_json(rows)])

    def _update(self) -> None:
        rows = [
            [pk, org_id, report, config, _iso(computed_at), _iso(frozen_at)]
            for pk, org_id, _, report, config, computed_at, frozen_at in self.to_update
        ]
        self.to_update = []
        self.cursor.execute(_UPDATE_SQL, [_snapshot_json(rows)])


@contextmanager
def _writer() -> Iterator[_Writer]:
    """A _Writer for the block, flushed at its end, in psycopg's pipeline mode: a write is sent without waiting
    for its result, and the results (and any error, as Django's exception) come back when the block ends, before
    the transaction commits."""
    with connection.cursor() as cursor, connection.wrap_database_errors, connection.connection.pipeline():
        writer = _Writer(cursor)
        yield writer
        writer.flush()


_INSERT_SQL = """
INSERT INTO oteapp_monthlysnapshot (organization_id, month, report, config, computed_at, frozen_at)
SELECT (r->>0)::bigint, (r->>1)::date, r->2, r->3, (r->>4)::timestamptz, (r->>5)::timestamptz
FROM jsonb_array_elements(%s::jsonb) AS r
"""
_UPDATE_SQL = """
UPDATE oteapp_monthlysnapshot AS s
SET report = r->2, config = r->3, computed_at = (r->>4)::timestamptz, frozen_at = (r->>5)::timestamptz
FROM jsonb_array_elements(%s::jsonb) AS r
WHERE s.organization_id = (r->>1)::bigint AND s.id = (r->>0)::bigint
"""


def _iso(moment: datetime | None) -> str | None:
    """An aware datetime as ISO 8601 with its offset, which timestamptz reads back to the microsecond."""
    if moment is None:
        return None
    if timezone.is_naive(moment):
        raise ValueError(f"naive datetime {moment!r} for a snapshot")
    return moment.isoformat()


def snapshots_freeze(*, periods: Mapping[int, date], now: datetime | None = None) -> set[tuple[int, date]]:
    """Month close: make sure each organization's given (closed) month has a frozen snapshot if it has
    actuals. Returns the (organization, month) pairs that have actuals. Two queries when all are frozen."""
    if not periods:
        return set()
    months = set(periods.values())
    with rls.cross_organization():
        with_actuals = {
            pair
            for pair in MonthlyActual.unscoped.filter(organization_id__in=list(periods), month__in=months)
            .values_list("organization_id", "month")
            .distinct()
            if periods[pair[0]] == pair[1]
        }
        frozen = set(
            MonthlySnapshot.unscoped.filter(
                organization_id__in=list(periods), month__in=months, frozen_at__isnull=False
            ).values_list("organization_id", "month")
        )
    closing = with_actuals - frozen
    snapshots_compute(months_by_organization={o: [m] for o, m in closing}, now=now)
    _month_closed_emit(closing)
    return with_actuals


def _month_closed_emit(closed: set[tuple[int, date]]) -> None:
    """`month.closed` for each month frozen just now (a month is frozen once, so announced once)."""
    if not closed:
        return
    organizations = Organization.objects.in_bulk({organization_id for organization_id, _ in closed})
    for organization_id, month in sorted(closed):
        with transaction.atomic():
            webhook_event_emit(
                organization=organizations[organization_id],
                event_type=WebhookEventType.MONTH_CLOSED,
                payload={"month": format_month(month), "report": f"/api/v1/report?month={format_month(month)}"},
            )


def open_months_get(*, organization_ids: list[int], now: datetime | None = None) -> dict[int, set[date]]:
    """Each organization's months with actuals that are not over in its timezone. Two queries."""
    with rls.cross_organization():
        zones = dict(
            OrganizationSettings.unscoped.filter(organization_id__in=organization_ids).values_list(
                "organization_id", "timezone"
            )
        )
        first_open = {
            org_id: organization_today(timezone_name=zone, now=now).replace(day=1) for org_id, zone in zones.items()
        }
        if not first_open:
            return {}
        pairs = (
            MonthlyActual.unscoped.filter(organization_id__in=list(first_open), month__gte=min(first_open.values()))
            .values_list("organization_id", "month")
            .distinct()
        )
        months: dict[int, set[date]] = defaultdict(set)
        for org_id, month in pairs:
            if month >= first_open[org_id]:
                months[org_id].add(month)
    return dict(months)


def months_with_actuals_get(*, organization_ids: list[int]) -> dict[int, set[date]]:
    """Every month with actuals of each organization (the backfill). One query."""
    months: dict[int, set[date]] = defaultdict(set)
    with rls.cross_organization():
        pairs = MonthlyActual.unscoped.filter(organization_id__in=organization_ids).values_list(
            "organization_id", "month"
        ).distinct()
        for org_id, month in pairs:
            months[org_id].add(month)
    return dict(months)


def organization_id_batches(*, batch_size: int | None = None) -> Iterator[list[int]]:
    """Every organization id, in ascending batches (keyset pagination: one short query per batch, never
    every organization in memory, and no cursor held open across the batches' transactions)."""
    size = batch_size or settings.JOBS_ORGANIZATION_BATCH_SIZE
    last = 0
    while True:
        batch = list(Organization.objects.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:size])
        if not batch:
            return
        yield batch
        last = batch[-1]


def snapshots_open_months_compute(*, organization_ids: list[int], now: datetime | None = None) -> SnapshotStats:
    """The nightly job for one batch: recompute every open month with actuals (the months are found with
    the rows, in the same transaction: no extra queries)."""
    if not organization_ids:
        return SnapshotStats()
    return _compute(organization_ids=sorted(organization_ids), wanted=None, now=now or timezone.now(), reopen=False)


def snapshots_backfill(*, organization_ids: list[int], now: datetime | None = None) -> SnapshotStats:
    """Every month with actuals; closed months without a snapshot are frozen with the current configuration,
    the best record there is of what was in force."""
    return snapshots_compute(months_by_organization=months_with_actuals_get(organization_ids=organization_ids), now=now)


# --- explicit reopen ------------------------------------------------------------------------------


def snapshot_reopen(*, organization: Organization, actor: User | None, month: date) -> MonthlySnapshot:
    """Recompute a frozen month with the current configuration and pin that (audited)."""
    with transaction.atomic():
        _lock_organizations([organization.pk])  # the lock snapshots_compute takes (re-entrant), taken first
        before = MonthlySnapshot.objects.filter(organization=organization, month=month).first()
        if before is None:
            raise SnapshotError(f"There is no snapshot of {format_month(month)} to reopen.")
        if before.frozen_at is None:
            raise SnapshotError(f"{format_month(month)} is still open; it follows every change by itself.")
        if MonthApproval.objects.filter(organization=organization, month=month, approved_at__isnull=False).exists():
            raise SnapshotError(
                f"{format_month(month)} is approved, so its payouts keep this configuration; reopen the payouts first."
            )
        old = (before.frozen_at, before.report["summary"]["total_actual"], _config_digest(before.config))
        snapshots_compute(months_by_organization={organization.pk: [month]}, reopen=True)
        after = MonthlySnapshot.objects.get(pk=before.pk)
        audit_changes(
            organization=organization,
            actor=actor,
            action=AUDIT_ACTION_REOPEN,
            subject=f"Snapshot {format_month(month)}",
            changes=zip(
                ("frozen_at", "total_actual", "configuration"),
                old,
                (after.frozen_at, after.report["summary"]["total_actual"], _config_digest(after.config)),
                strict=True,
            ),
        )
    return after


def _config_digest(config: dict) -> str:
    """A short readable summary of a stored configuration for the audit trail."""
    organization = config["organization"]
    roles = ", ".join(
        f"{role['key']} OTE {role['annual_ote']} quota {role['monthly_quota']}" for role in config["roles"]
    )
    return f"deal value {organization['deal_value']}; {roles}"


# --- debounced refresh after a change -------------------------------------------------------------


def snapshots_refresh_request(*, organization: Organization, months: Iterable[date] | None) -> None:
    """Called by every service that changes actuals (those months) or configuration (months=None:
    all open months). Schedules a debounced recomputation after the transaction commits."""
    tokens = [OPEN_MONTHS] if months is None else sorted({format_month(month) for month in months})
    if tokens:
        organization_id = organization.pk
        # robust: a broker hiccup must not fail a request whose data is already committed (nightly catches up).
        # A function, not functools.partial: Django logs a robust callback's error with its __qualname__, which
        # a partial lacks, and that AttributeError turned every edit during a Redis outage into a 500.
        transaction.on_commit(
            lambda: _refresh_schedule(organization_id=organization_id, tokens=tokens), robust=True
        )


def _refresh_schedule(*, organization_id: int, tokens: list[str]) -> None:
    if celery_app.conf.task_always_eager:
        # No broker to coalesce in (development, most tests): compute right away.
        snapshots_refresh_run(organization_id=organization_id, tokens=tokens)
        return
    try:
        REFRESH.request(
            organization_id=organization_id, tokens=tokens, countdown=settings.SNAPSHOT_REFRESH_DEBOUNCE_SECONDS
        )
    except (redis.RedisError, kombu.exceptions.OperationalError) as error:
        # The change is committed; only its snapshots wait. One line, no traceback: a command line run while
        # Redis is down says what happened and nothing more.
        logger.warning(
            "Snapshots of organization %s not scheduled (Redis unavailable: %s); the nightly run recomputes them.",
            organization_id,
            error,
        )


def snapshots_refresh_drain(*, organization_id: int, claim: str) -> SnapshotStats:
    """The debounced task's work: take every pending token of the organization (oteapp/jobs/debounce.py) and
    recompute."""
    tokens = REFRESH.claim(organization_id=organization_id, claim=claim)
    stats = snapshots_refresh_run(organization_id=organization_id, tokens=tokens)
    REFRESH.release(organization_id=organization_id, claim=claim)
    return stats


def snapshots_refresh_run(*, organization_id: int, tokens: Iterable[str]) -> SnapshotStats:
    tokens = set(tokens)
    months = {parse_month(token) for token in tokens - {OPEN_MONTHS}}
    if OPEN_MONTHS in tokens:
        months |= open_months_get(organization_ids=[organization_id]).get(organization_id, set())
    return snapshots_compute(months_by_organization={organization_id: months})


def snapshot_month_get(*, organization: Organization, month: date) -> MonthlySnapshot | None:
    return MonthlySnapshot.objects.filter(organization=organization, month=month).first()
