"""Celery tasks: thin. Each takes ids (organization first), enters the organization's context itself, returns
early when the organization is gone and calls snapshots.py or digests.py. Every one is safe to run twice,
which late acknowledgement needs (a task whose worker died runs again). Batches of organizations, never one
task per row, and no chords. Schedules: CELERY_BEAT_SCHEDULE in config/settings/base.py."""

import logging
import time
from collections.abc import Callable

from celery import Task, shared_task
from django.conf import settings

from accounts.models import Organization, User
from accounts.tenancy import organization_context
from oteapp.jobs import digests, snapshots
from oteapp.jobs.deliveries import SendResult
from oteapp.months import format_month, parse_month
from oteapp.payouts import emails as statement_emails

logger = logging.getLogger(__name__)


def _organization(organization_id: int) -> Organization | None:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        logger.info("Organization %s is gone; nothing to do", organization_id)
    return organization


@shared_task(name="oteapp.snapshots_refresh")
def snapshots_refresh(organization_id: int) -> None:
    """The debounced recomputation after actuals or configuration changed (snapshots_refresh_request)."""
    if _organization(organization_id) is None:
        return
    stats = snapshots.snapshots_refresh_drain(
        organization_id=organization_id, claim=snapshots_refresh.request.id or "inline"
    )
    logger.info("Snapshots of organization %s refreshed: %s", organization_id, stats)


@shared_task(name="oteapp.snapshot_month")
def snapshot_month(organization_id: int, month: str) -> None:
    if _organization(organization_id) is None:
        return
    stats = snapshots.snapshots_compute(months_by_organization={organization_id: [parse_month(month)]})
    logger.info("Snapshot %s of organization %s: %s", month, organization_id, stats)


@shared_task(name="oteapp.snapshots_nightly")
def snapshots_nightly() -> None:
    """Beat, nightly: fan out the recomputation of open months in batches of organizations."""
    for batch in snapshots.organization_id_batches():
        snapshots_open_months_batch.delay(batch)


@shared_task(name="oteapp.snapshots_open_months_batch")
def snapshots_open_months_batch(organization_ids: list[int]) -> None:
    stats = snapshots.snapshots_open_months_compute(organization_ids=organization_ids)
    logger.info("Open months of %s organizations: %s", len(organization_ids), stats)


@shared_task(name="oteapp.month_close")
def month_close() -> None:
    """Beat, hourly: fan out month close (freeze, create digest deliveries, send) in batches."""
    for batch in snapshots.organization_id_batches():
        month_close_batch.delay(batch)


@shared_task(name="oteapp.month_close_batch")
def month_close_batch(organization_ids: list[int]) -> None:
    due = digests.month_close_batch(organization_ids=organization_ids)
    if due:
        digests_send_batch.delay_on_commit([[organization_id, format_month(period)] for organization_id, period in due])


@shared_task(name="oteapp.digests_send_batch")
def digests_send_batch(due: list[list]) -> None:
    """The due digests of a batch of organizations ([organization id, "YYYY-MM"] pairs), one organization
    after the other over one mail-server connection. Past DIGEST_TASK_BUDGET_SECONDS it hands the rest to a
    new task; an organization with a failed send is retried by its own `digests_send` task, as before."""
    deadline = time.monotonic() + settings.DIGEST_TASK_BUDGET_SECONDS
    organizations = Organization.objects.in_bulk([organization_id for organization_id, _ in due])
    with digests.open_mailer() as mailer:
        for index, (organization_id, period) in enumerate(due):
            organization = organizations.get(organization_id)
            if organization is None:
                logger.info("Organization %s is gone; nothing to do", organization_id)
                continue
            budget = deadline - time.monotonic()
            if budget <= 0 and index:  # the first organization always gets its turn: no task hands over nothing
                digests_send_batch.delay(due[index:])
                return
            with organization_context(organization):
                result = digests.digests_send(
                    organization=organization, period=parse_month(period), budget_seconds=max(budget, 1), mailer=mailer
                )
            logger.info("Digests %s of organization %s: %s", period, organization_id, result)
            if result.more:
                digests_send_batch.delay(due[index:])
                return
            if result.retrying:
                digests_send.apply_async((organization_id, period), countdown=settings.DIGEST_RETRY_SECONDS)


@shared_task(name="oteapp.digests_sweep")
def digests_sweep() -> None:
    """Beat, every five minutes: finish the deliveries (digests, statement emails) a killed worker left, pending or
    claimed ('sending' past DIGEST_SENDING_TIMEOUT_SECONDS), instead of waiting for the next hourly month close.
    Sending claims each row first, so a delivery another task is sending meanwhile still goes out exactly once."""
    due = digests.digests_unfinished()
    if due:
        digests_send_batch.delay([[organization_id, format_month(period)] for organization_id, period in due])
    for organization_id, period in statement_emails.statements_unfinished():
        statements_send.delay(organization_id, format_month(period))


def _deliveries_send(
    task: Task,
    send: Callable[..., SendResult],
    *,
    what: str,
    organization_id: int,
    period: str,
) -> None:
    """One organization's due deliveries of `period` through `send` (digests or statement emails): again at once
    when the batch's time budget ran out with more due, later (a Celery retry) when a send failed."""
    organization = _organization(organization_id)
    if organization is None:
        return
    with organization_context(organization):
        result = send(organization=organization, period=parse_month(period))
    logger.info("%s %s of organization %s: %s", what, period, organization_id, result)
    if result.more:
        task.delay(organization_id, period)
    elif result.retrying:
        raise task.retry(countdown=settings.DIGEST_RETRY_SECONDS)


@shared_task(bind=True, name="oteapp.digests_send", max_retries=settings.DIGEST_MAX_ATTEMPTS)
def digests_send(self, organization_id: int, period: str) -> None:
    """One organization's due digests: the retry after a failed send."""
    _deliveries_send(self, digests.digests_send, what="Digests", organization_id=organization_id, period=period)


@shared_task(name="oteapp.digest_preview_send")
def digest_preview_send(organization_id: int, user_id: int, period: str) -> None:
    organization = _organization(organization_id)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if organization is None or user is None:
        return
    with organization_context(organization):
        digests.digest_preview_send(organization=organization, user=user, period=parse_month(period))


@shared_task(bind=True, name="oteapp.statements_send", max_retries=settings.DIGEST_MAX_ATTEMPTS)
def statements_send(self, organization_id: int, period: str) -> None:
    """One organization's statement emails of an approved month (queued after the approval commits)."""
    _deliveries_send(
        self, statement_emails.statements_send, what="Statement emails", organization_id=organization_id,
        period=period,
    )
