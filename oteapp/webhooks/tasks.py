"""Celery tasks of webhooks: thin, safe to run twice (late acknowledgement re-runs a task whose worker died)."""

import logging

from celery import shared_task

from accounts import rls
from accounts.models import Organization
from oteapp.api.idempotency import idempotent_requests_purge
from oteapp.webhooks.delivery import webhook_deliveries_due, webhook_delivery_attempt
from oteapp.webhooks.events import ACTUALS_CHANGED, actuals_changed_emit

logger = logging.getLogger(__name__)


@shared_task(name="oteapp.webhook_deliver")
def webhook_deliver(organization_id: int, delivery_id: int) -> None:
    """One attempt of a delivery; a failed one queues the next after its backoff."""
    organization = Organization.objects.filter(pk=organization_id).first()
    if organization is None:
        return
    delay = webhook_delivery_attempt(organization=organization, delivery_id=delivery_id)
    if delay is not None:
        webhook_deliver.apply_async(args=[organization_id, delivery_id], countdown=delay)


@shared_task(name="oteapp.webhooks_sweep")
def webhooks_sweep() -> None:
    """Beat, every minute: queue the due deliveries whose task was lost (a worker killed mid-attempt, a broker
    outage when the event was stored). Sending one twice is harmless: an attempt locks its delivery and skips one
    that is not due."""
    for organization_id, delivery_id in webhook_deliveries_due():
        webhook_deliver.delay(organization_id, delivery_id)


@shared_task(name="oteapp.webhooks_actuals_changed")
def webhooks_actuals_changed(organization_id: int) -> None:
    """The debounced actuals.changed of an organization (oteapp.webhooks.events.actuals_changed_request)."""
    claim = webhooks_actuals_changed.request.id or "inline"
    months = ACTUALS_CHANGED.claim(organization_id=organization_id, claim=claim)
    actuals_changed_emit(organization_id=organization_id, months=months)
    ACTUALS_CHANGED.release(organization_id=organization_id, claim=claim)


@shared_task(name="oteapp.idempotency_keys_purge")
def idempotency_keys_purge() -> None:
    """Beat, nightly: forget the API's Idempotency-Keys older than their window, over all organizations."""
    with rls.cross_organization():
        logger.info("Forgot %s idempotency keys", idempotent_requests_purge())
