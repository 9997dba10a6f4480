"""Webhooks with a real Celery worker on Redis and a real receiver on loopback: retries after two 500s, and a
worker killed in the middle of a delivery loses no event."""

import pytest
from django.db import transaction
from standardwebhooks.webhooks import Webhook

from accounts.tenancy import organization_context
from oteapp.jobs import tasks  # noqa: F401 (registers the app's tasks with the test process's Celery app)
from oteapp.models import WebhookAttempt, WebhookDelivery, WebhookDeliveryState, WebhookEndpoint
from oteapp.webhooks import tasks as webhook_tasks
from oteapp.webhooks.events import webhook_event_emit
from tests.factories import UserFactory, organization_with_members
from tests.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.django_db(transaction=True)

WORKER_ENV = {
    "WEBHOOKS_ALLOW_HTTP": "true",
    "WEBHOOKS_ALLOW_PRIVATE_ADDRESSES": "true",
    "WEBHOOK_RETRY_BASE_SECONDS": "0.3",
    "WEBHOOK_TIMEOUT_SECONDS": "10",
}


def _emit(organization, url: str) -> tuple[WebhookEndpoint, WebhookDelivery]:
    with organization_context(organization), transaction.atomic():
        endpoint = WebhookEndpoint.objects.create(
            organization=organization, url=url, event_types=["month.closed"], secret="whsec_" + "c2VjcmV0" * 4
        )
        event = webhook_event_emit(organization=organization, event_type="month.closed", payload={"month": "2026-10"})
    return endpoint, WebhookDelivery.unscoped.get(event=event)


def _state(delivery: WebhookDelivery) -> str:
    return WebhookDelivery.unscoped.values_list("state", flat=True).get(pk=delivery.pk)


def test_a_real_worker_retries_after_two_500s_and_the_receiver_verifies_every_attempt(live_celery):
    organization = organization_with_members("Hooked Co", owner=UserFactory())
    with webhook_receiver([500, 500, 200]) as receiver:
        endpoint, delivery = _emit(organization, receiver.url)
        live_celery.start_worker(**WORKER_ENV)
        live_celery.wait_for(lambda: _state(delivery) == WebhookDeliveryState.SUCCEEDED, "the third attempt")
    assert len(receiver.requests) == 3
    for request in receiver.requests:
        assert Webhook(endpoint.secret).verify(request.body, request.headers)["data"] == {"month": "2026-10"}
    assert len({request.headers["webhook-id"] for request in receiver.requests}) == 1
    statuses = WebhookAttempt.unscoped.filter(delivery=delivery).order_by("attempted_at")
    assert list(statuses.values_list("status_code", flat=True)) == [500, 500, 200]


def test_a_worker_killed_mid_delivery_loses_no_event(live_celery):
    organization = organization_with_members("Crashy Co", owner=UserFactory())
    # The first request hangs long enough for the worker to be killed while it waits for the answer.
    with webhook_receiver([200], delays=[5]) as receiver:
        endpoint, delivery = _emit(organization, receiver.url)
        worker = live_celery.start_worker(**WORKER_ENV)
        receiver.wait_for(1)
        live_celery.kill(worker)
        assert _state(delivery) == WebhookDeliveryState.PENDING  # the attempt rolled back with the worker

        live_celery.start_worker(**WORKER_ENV)
        webhook_tasks.webhooks_sweep.delay()  # beat's minutely sweep finds the delivery still due
        live_celery.wait_for(lambda: _state(delivery) == WebhookDeliveryState.SUCCEEDED, "the delivery after the crash")
    assert len(receiver.requests) == 2
    assert receiver.requests[0].headers["webhook-id"] == receiver.requests[1].headers["webhook-id"]
    Webhook(endpoint.secret).verify(receiver.requests[1].body, receiver.requests[1].headers)
    assert WebhookAttempt.unscoped.filter(delivery=delivery).count() == 1  # the killed attempt was never recorded
