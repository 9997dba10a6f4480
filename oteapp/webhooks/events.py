"""Events: `webhook_event_emit` stores an event with one delivery per subscribed, enabled endpoint, in the
caller's transaction, and sends them once it commits. `actuals_changed_request` coalesces the changes of a burst
(an afternoon of grid edits) into one `actuals.changed` event per organization and debounce window."""

import logging
import secrets
from collections.abc import Iterable
from datetime import date

import kombu.exceptions
import redis
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization
from accounts.tenancy import organization_context
from config.celery import app as celery_app
from oteapp.jobs.debounce import DebouncedTask
from oteapp.models import WebhookDelivery, WebhookEndpoint, WebhookEvent, WebhookEventType
from oteapp.months import format_month
from oteapp.webhooks.delivery import webhook_delivery_attempt

logger = logging.getLogger(__name__)
TEST_EVENT_TYPE = "webhook.test"
# actuals.changed, debounced per organization (oteapp/jobs/debounce.py): one event for a burst of edits.
ACTUALS_CHANGED = DebouncedTask(key_prefix="oteapp:webhooks:actuals", task_name="oteapp.webhooks_actuals_changed")


def _message_id() -> str:
    return "msg_" + secrets.token_urlsafe(18)


def _deliveries_send(pairs: list[tuple[int, int]]) -> None:
    if celery_app.conf.task_always_eager:  # no broker (development, most tests): the first attempt right away
        for organization_id, delivery_id in pairs:
            organization = Organization.objects.filter(pk=organization_id).first()
            if organization is not None:
                webhook_delivery_attempt(organization=organization, delivery_id=delivery_id)
        return
    for organization_id, delivery_id in pairs:
        # By name: the tasks module imports this one, not the other way round.
        try:
            celery_app.send_task("oteapp.webhook_deliver", args=[organization_id, delivery_id])
        except (redis.RedisError, kombu.exceptions.OperationalError) as error:
            logger.warning("Webhook delivery %s not queued (%s); the sweep sends it.", delivery_id, error)


def webhook_event_emit(
    *,
    organization: Organization,
    event_type: str,
    payload: dict,
    endpoints: Iterable[WebhookEndpoint] | None = None,
) -> WebhookEvent | None:
    """Send `payload` as an event of `event_type` to every enabled endpoint of the organization subscribed to it (or
    to `endpoints`): the body is {"type", "timestamp", "data": payload}. Stored with its deliveries in the caller's
    transaction and queued after it commits, so a rolled-back change sends nothing. None when nobody listens."""
    with organization_context(organization):
        if endpoints is None:
            endpoints = [
                endpoint
                for endpoint in WebhookEndpoint.objects.filter(organization=organization, disabled_at__isnull=True)
                if event_type in endpoint.event_types
            ]
        endpoints = list(endpoints)
        if not endpoints:
            return None
        now = timezone.now()
        event = WebhookEvent.objects.create(
            organization=organization,
            message_id=_message_id(),
            event_type=event_type,
            payload={"type": event_type, "timestamp": now.isoformat(), "data": payload},
        )
        deliveries = WebhookDelivery.objects.bulk_create(
            WebhookDelivery(organization=organization, endpoint=endpoint, event=event, next_attempt_at=now)
            for endpoint in endpoints
        )
    pairs = [(organization.pk, delivery.pk) for delivery in deliveries]
    transaction.on_commit(lambda: _deliveries_send(pairs), robust=True)
    return event


# --- actuals.changed, debounced ---------------------------------------------------------------------------------


def actuals_changed_request(*, organization: Organization, months: Iterable[date]) -> None:
    """Called by the services that change actuals. After the transaction commits, the months join the organization's
    pending set; the first change of a burst schedules one `actuals.changed` event WEBHOOK_ACTUALS_DEBOUNCE_SECONDS
    later, carrying every month changed meanwhile."""
    tokens = sorted({format_month(month) for month in months})
    if not tokens:
        return
    organization_id = organization.pk
    transaction.on_commit(
        lambda: _actuals_changed_schedule(organization_id=organization_id, tokens=tokens), robust=True
    )


def _listening(organization_id: int, event_type: str) -> bool:
    """Whether an enabled endpoint of the organization takes this event: most have none, and then nothing is queued."""
    with organization_context(organization_id):
        endpoints = WebhookEndpoint.objects.filter(organization_id=organization_id, disabled_at__isnull=True)
        return any(event_type in types for types in endpoints.values_list("event_types", flat=True))


def _actuals_changed_schedule(*, organization_id: int, tokens: list[str]) -> None:
    if not _listening(organization_id, WebhookEventType.ACTUALS_CHANGED):
        return
    if celery_app.conf.task_always_eager:  # no broker to coalesce in (development, most tests): send now
        actuals_changed_emit(organization_id=organization_id, months=tokens)
        return
    try:
        ACTUALS_CHANGED.request(
            organization_id=organization_id, tokens=tokens, countdown=settings.WEBHOOK_ACTUALS_DEBOUNCE_SECONDS
        )
    except (redis.RedisError, kombu.exceptions.OperationalError) as error:
        logger.warning("actuals.changed of organization %s not scheduled (%s).", organization_id, error)


def actuals_changed_emit(*, organization_id: int, months: list[str]) -> WebhookEvent | None:
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None or not months:
        return None
    with transaction.atomic():
        return webhook_event_emit(
            organization=organization, event_type=WebhookEventType.ACTUALS_CHANGED, payload={"months": months}
        )
