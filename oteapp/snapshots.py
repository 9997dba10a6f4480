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
- Many organizations are computed together with a constant number of queries per batch.
"""

import functools
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import redis
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from accounts import rls
from accounts.models import Organization, User
from config.celery import app as celery_app
from oteapp import engine
from oteapp.audit import audit_changes
from oteapp.models import MonthlyActual, MonthlySnapshot, OrganizationSettings, Rep, SalesRole
from oteapp.months import format_month, parse_month
from oteapp.selectors import EmployedRep, config_from_models, employed_reps, rep_months

OPEN_MONTHS = "open"  # a refresh token meaning "every open month with actuals" (a configuration change)
AUDIT_ACTION_REOPEN = "snapshot_reopen"
# A claimed batch of refresh tokens outlives a worker crash long enough for the redelivered task to find it.
REFRESH_CLAIM_TTL_SECONDS = 24 * 3600


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


def _active_reps(reps: list[EmployedRep], month: date) -> list[engine.ActiveRep]:
    return [rep.as_active() for rep in reps if rep.active_in(month)]


def _lock_organizations(organization_ids: list[int]) -> None:
    """Serialize snapshot writers per organization (a refresh and the nightly job may overlap), so the
    compare-then-write below never races; ascending order cannot deadlock."""
    if connection.vendor != "postgresql":
        return  # SQLite (development) serializes writers by itself
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(hashtext('oteapp.snapshots'), (id %% 2147483647)::int) "
            "FROM unnest(%s::bigint[]) AS id",
            [sorted(organization_ids)],
        )


def snapshots_compute(
    *,
    months_by_organization: Mapping[int, Iterable[date]],
    now: datetime | None = None,
    reopen: bool = False,
) -> SnapshotStats:
    """Compute and store the snapshots of the given months of each organization, in one transaction and
    eight queries whatever the number of organizations, months and reps. Rows are written only when
    something changed. `reopen` recomputes closed months with the current configuration (see module doc)."""
    wanted = {org_id: set(months) for org_id, months in months_by_organization.items() if months}
    stats = SnapshotStats()
    if not wanted:
        return stats
    now = now or timezone.now()
    org_ids = sorted(wanted)
    all_months = set().union(*wanted.values())
    with rls.cross_organization(), transaction.atomic():
        _lock_organizations(org_ids)
        settings_of = {s.organization_id: s for s in OrganizationSettings.unscoped.filter(organization_id__in=org_ids)}
        roles_of: dict[int, list[SalesRole]] = defaultdict(list)
        roles = SalesRole.unscoped.filter(organization_id__in=org_ids).order_by("organization_id", "position", "key")
        for role in roles:
            roles_of[role.organization_id].append(role)
        existing = {
            (snapshot.organization_id, snapshot.month): snapshot
            for snapshot in MonthlySnapshot.unscoped.filter(organization_id__in=org_ids, month__in=all_months)
        }
        actuals: dict[tuple[int, date], list[engine.RepMonth]] = defaultdict(list)
        rows = MonthlyActual.unscoped.filter(organization_id__in=org_ids, month__in=all_months).order_by(
            "organization_id", "month", "rep__name"
        )
        for row_org_id, month, rep_month in rep_months(rows):
            if month in wanted[row_org_id]:
                actuals[(row_org_id, month)].append(rep_month)
        reps_of: dict[int, list[EmployedRep]] = defaultdict(list)
        for rep in employed_reps(Rep.unscoped.filter(organization_id__in=org_ids).order_by("organization_id", "name")):
            reps_of[rep.organization_id].append(rep)

        to_create: list[MonthlySnapshot] = []
        to_update: list[MonthlySnapshot] = []
        for org_id in org_ids:
            org_settings = settings_of.get(org_id)
            if org_settings is None:  # the organization was deleted meanwhile
                continue
            current = config_from_models(settings=org_settings, roles=roles_of[org_id])
            today = organization_today(timezone_name=org_settings.timezone, now=now)
            for month in sorted(wanted[org_id]):
                snapshot = existing.get((org_id, month))
                month_actuals = actuals.get((org_id, month), [])
                if snapshot is None and not month_actuals:
                    continue
                closed = month_is_closed(month=month, today=today)
                pinned = snapshot is not None and closed and not reopen
                config = engine.config_from_dict(snapshot.config) if pinned else current
                report = engine.compute_report(
                    config=config, month=month, actuals=month_actuals, active_reps=_active_reps(reps_of[org_id], month)
                )
                report_data, config_data = report.to_dict(), engine.config_to_dict(config)
                if not closed:
                    frozen_at = None
                elif pinned and snapshot.frozen_at is not None:
                    frozen_at = snapshot.frozen_at
                else:
                    frozen_at = now
                if snapshot is None:
                    to_create.append(
                        MonthlySnapshot(
                            organization_id=org_id, month=month, report=report_data, config=config_data,
                            computed_at=now, frozen_at=frozen_at,
                        )
                    )
                elif (snapshot.report, snapshot.config, snapshot.frozen_at) == (report_data, config_data, frozen_at):
                    stats.unchanged += 1
                else:
                    snapshot.report, snapshot.config = report_data, config_data
                    snapshot.computed_at, snapshot.frozen_at = now, frozen_at
                    to_update.append(snapshot)
        if to_create:
            MonthlySnapshot.unscoped.bulk_create(to_create)
        if to_update:
            MonthlySnapshot.unscoped.bulk_update(to_update, ["report", "config", "computed_at", "frozen_at"])
    stats.created += len(to_create)
    stats.updated += len(to_update)
    return stats


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
    snapshots_compute(months_by_organization={o: [m] for o, m in with_actuals - frozen}, now=now)
    return with_actuals


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
    """The nightly job for one batch: recompute every open month."""
    months = open_months_get(organization_ids=organization_ids, now=now)
    return snapshots_compute(months_by_organization=months, now=now)


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


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def _redis() -> redis.Redis:
    # The broker's Redis: the pending work lives next to the queue that will run it.
    return _redis_client(celery_app.conf.broker_url)


def _refresh_key(organization_id: int, part: str) -> str:
    return f"oteapp:snapshots:refresh:{organization_id}:{part}"


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
    from oteapp.tasks import snapshots_refresh

    debounce = settings.SNAPSHOT_REFRESH_DEBOUNCE_SECONDS
    pipe = _redis().pipeline()
    pipe.sadd(_refresh_key(organization_id, "pending"), *tokens)
    pipe.expire(_refresh_key(organization_id, "pending"), REFRESH_CLAIM_TTL_SECONDS)
    # Only the first request of a burst enqueues; the rest add their months to the pending set.
    pipe.set(_refresh_key(organization_id, "scheduled"), "1", nx=True, ex=debounce * 2 + 60)
    if pipe.execute()[-1]:
        snapshots_refresh.apply_async(args=[organization_id], countdown=debounce)


def snapshots_refresh_drain(*, organization_id: int, claim: str) -> SnapshotStats:
    """The debounced task's work: take every pending token of the organization and recompute.

    The flag goes first, so a request arriving from now on schedules a new run; the pending tokens are
    then moved into a claim named after the task, so a redelivered task (worker lost) finds them again."""
    client = _redis()
    client.delete(_refresh_key(organization_id, "scheduled"))
    claim_key = _refresh_key(organization_id, f"claim:{claim}")
    pending_key = _refresh_key(organization_id, "pending")
    pipe = client.pipeline()  # MULTI/EXEC: the move is atomic
    pipe.sunionstore(claim_key, [claim_key, pending_key])
    pipe.delete(pending_key)
    pipe.expire(claim_key, REFRESH_CLAIM_TTL_SECONDS)
    pipe.smembers(claim_key)
    tokens = sorted(token.decode() for token in pipe.execute()[-1])
    stats = snapshots_refresh_run(organization_id=organization_id, tokens=tokens)
    client.delete(claim_key)
    return stats


def snapshots_refresh_run(*, organization_id: int, tokens: Iterable[str]) -> SnapshotStats:
    tokens = set(tokens)
    months = {parse_month(token) for token in tokens - {OPEN_MONTHS}}
    if OPEN_MONTHS in tokens:
        months |= open_months_get(organization_ids=[organization_id]).get(organization_id, set())
    return snapshots_compute(months_by_organization={organization_id: months})


def snapshot_month_get(*, organization: Organization, month: date) -> MonthlySnapshot | None:
    return MonthlySnapshot.objects.filter(organization=organization, month=month).first()
