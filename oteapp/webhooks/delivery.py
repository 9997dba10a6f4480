"""Delivering one event to one endpoint: a signed POST, each attempt logged (status, latency, an excerpt of the
answer), retried with exponential backoff until WEBHOOK_RETRY_HOURS after the event; an endpoint that has failed
for WEBHOOK_RETRY_HOURS is disabled and its owners and admins are emailed.

The database is the record of what is owed: a delivery is `pending` until an attempt succeeds or its time is up.
The task that attempts it holds the delivery's row lock for the attempt, so two workers never send it at once; a
worker killed mid-attempt rolls back, the row stays pending and due, and the task comes back (late
acknowledgement) or the sweep (`webhook_deliveries_due`, every minute) queues it again. A receiver may therefore see
an event twice, with the same `webhook-id` to recognise it, but never miss one.
"""

import contextlib
import http.client
import json
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts import rls
from accounts.models import MemberRole, Membership, Organization
from accounts.tenancy import organization_context
from accounts.text import printable
from oteapp.models import WebhookAttempt, WebhookDelivery, WebhookDeliveryState, WebhookEndpoint
from oteapp.webhooks.addresses import AddressRefused, public_address, webhook_url_check
from oteapp.webhooks.signing import webhook_headers

logger = logging.getLogger(__name__)
EXCERPT_CHARS = 500
MAX_DELAY_SECONDS = 6 * 3600


@dataclass(frozen=True)
class AttemptOutcome:
    status_code: int | None
    latency_ms: int
    excerpt: str
    error: str

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Connects to the address that was checked, whatever the name resolves to by now."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS to the checked address, with the certificate verified for the URL's host name."""

    def __init__(self, host: str, port: int, *, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = sock  # during the handshake too, for webhook_post's watchdog to cut
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def _cut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    """The attempt's time is up: end the connection, so the read blocked on it returns."""
    cut.set()
    sock = connection.sock  # None until connected; closed already if the attempt just ended
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)


def webhook_post(*, url: str, headers: dict[str, str], body: str) -> AttemptOutcome:
    """One POST; redirects are answers like any other (a 3xx is a failure, never followed).

    WEBHOOK_TIMEOUT_SECONDS bounds the whole attempt: the socket's timeout bounds each read only, and a receiver
    sending its answer a byte at a time would otherwise hold the worker until the task's time limit (which rolls
    the attempt back, unlogged, to be sent again)."""
    started = time.monotonic()
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    cut = threading.Event()
    try:
        scheme, host, port, path = webhook_url_check(url)
        address = public_address(host, port)
        connection_class = _PinnedHTTPSConnection if scheme == "https" else _PinnedHTTPConnection
        connection = connection_class(host, port, address=address, timeout=timeout)
        watchdog = threading.Timer(max(0.0, timeout - (time.monotonic() - started)), _cut, args=(connection, cut))
        watchdog.start()
        try:
            connection.request("POST", path, body=body.encode(), headers=headers)
            response = connection.getresponse()
            # The receiver's bytes are stored and shown: a NUL in them would fail the attempt's save, roll back the
            # attempt and leave the delivery due again a minute later, forever.
            excerpt = printable(response.read(EXCERPT_CHARS * 4).decode("utf-8", "replace")[:EXCERPT_CHARS])
            status = response.status
        finally:
            watchdog.cancel()
            connection.close()
    except AddressRefused as error:
        return AttemptOutcome(None, _elapsed(started), "", str(error)[:300])
    except (OSError, http.client.HTTPException) as error:
        if cut.is_set():
            return AttemptOutcome(None, _elapsed(started), "", f"No complete answer within {timeout:g} s.")
        return AttemptOutcome(None, _elapsed(started), "", printable(f"{type(error).__name__}: {error}"[:300]))
    if cut.is_set():
        return AttemptOutcome(None, _elapsed(started), "", f"No complete answer within {timeout:g} s.")
    return AttemptOutcome(status, _elapsed(started), excerpt, "")


def _elapsed(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def retry_delay(attempts: int) -> timedelta:
    """After the n-th failed attempt: base, 4 x base, 16 x base … (5 s, 20 s, 80 s … by default), at most 6 h."""
    seconds = settings.WEBHOOK_RETRY_BASE_SECONDS * 4 ** (attempts - 1)
    return timedelta(seconds=min(seconds, MAX_DELAY_SECONDS))


def webhook_delivery_attempt(
    *, organization: Organization, delivery_id: int, now: datetime | None = None
) -> float | None:
    """Attempt the delivery if it is pending and due. Returns the seconds until its next attempt, or None when it
    is finished (delivered, given up, or not this worker's to send)."""
    with organization_context(organization), transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("endpoint", "event")
            .filter(organization=organization, pk=delivery_id, state=WebhookDeliveryState.PENDING)
            .first()
        )
        now = now or timezone.now()
        if delivery is None:
            return None
        if delivery.next_attempt_at > now:
            return (delivery.next_attempt_at - now).total_seconds()
        endpoint, event = delivery.endpoint, delivery.event
        if endpoint.disabled_at is not None:
            delivery.state, delivery.finished_at = WebhookDeliveryState.FAILED, now
            delivery.save(update_fields=["state", "finished_at"])
            return None
        body = json.dumps(event.payload, separators=(",", ":"))
        headers = webhook_headers(secret=endpoint.secret, message_id=event.message_id, timestamp=now, body=body)
        outcome = webhook_post(url=endpoint.url, headers=headers, body=body)
        WebhookAttempt.objects.create(
            organization=organization,
            delivery=delivery,
            attempted_at=now,
            status_code=outcome.status_code,
            latency_ms=outcome.latency_ms,
            response_excerpt=outcome.excerpt,
            error=outcome.error,
        )
        delivery.attempts += 1
        if outcome.succeeded:
            delivery.state, delivery.finished_at = WebhookDeliveryState.SUCCEEDED, timezone.now()
            delivery.save(update_fields=["state", "attempts", "finished_at"])
            if endpoint.failing_since is not None:
                endpoint.failing_since = None
                endpoint.save(update_fields=["failing_since"])
            return None
        window = timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
        next_at = now + retry_delay(delivery.attempts)
        if next_at - delivery.created_at > window:
            delivery.state, delivery.finished_at = WebhookDeliveryState.FAILED, now
        else:
            delivery.next_attempt_at = next_at
        delivery.save(update_fields=["state", "attempts", "finished_at", "next_attempt_at"])
        if endpoint.failing_since is None:
            endpoint.failing_since = now
            endpoint.save(update_fields=["failing_since"])
        elif now - endpoint.failing_since >= window:
            _endpoint_disable(organization=organization, endpoint=endpoint, now=now)
            return None
        return None if delivery.state == WebhookDeliveryState.FAILED else (next_at - now).total_seconds()


def _endpoint_disable(*, organization: Organization, endpoint: WebhookEndpoint, now: datetime) -> None:
    endpoint.disabled_at = now
    endpoint.disabled_reason = f"Every delivery failed for {settings.WEBHOOK_RETRY_HOURS} hours."
    endpoint.save(update_fields=["disabled_at", "disabled_reason"])
    WebhookDelivery.objects.filter(
        organization=organization, endpoint=endpoint, state=WebhookDeliveryState.PENDING
    ).update(state=WebhookDeliveryState.FAILED, finished_at=now)
    recipients = list(
        Membership.objects.filter(organization=organization, role__in=[MemberRole.OWNER, MemberRole.ADMIN])
        .select_related("user")
        .values_list("user__email", flat=True)
    )
    page = settings.SITE_URL.rstrip("/") + reverse("oteapp:integrations", kwargs={"org_slug": organization.slug})
    message = (
        f"The webhook endpoint {endpoint.url} of {organization.name} has failed every delivery for "
        f"{settings.WEBHOOK_RETRY_HOURS} hours, so it was disabled and no more events are sent to it.\n\n"
        f"Its attempts, with the answers it gave, are on {page}, where you can enable it again once it works.\n"
    )
    # After the commit: the endpoint is disabled whether or not the mail goes out.
    transaction.on_commit(
        lambda: send_mail(
            f"[OTE] Webhook endpoint disabled: {endpoint.url}"[:200], message, None, recipients, fail_silently=True
        )
    )


def webhook_deliveries_due(*, now: datetime | None = None, limit: int = 1000) -> list[tuple[int, int]]:
    """(organization id, delivery id) of the pending deliveries whose attempt is due, over all organizations: the
    sweep's work list (deliveries whose task was lost with a worker, or never queued)."""
    now = now or timezone.now()
    with rls.cross_organization():
        return list(
            WebhookDelivery.unscoped.filter(state=WebhookDeliveryState.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at")
            .values_list("organization_id", "pk")[:limit]
        )
