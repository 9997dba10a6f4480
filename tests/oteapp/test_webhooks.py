"""Webhooks in-process (eager tasks): signed deliveries to a real receiver on loopback, verified by the
`standardwebhooks` package; retries and giving up; a failing endpoint disabled with an email; events from the
services; the address rules (SSRF)."""

import json
import socket
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import date, timedelta

import pytest
from django.core import mail
from django.utils import timezone
from standardwebhooks.webhooks import Webhook

from accounts.tenancy import organization_context
from oteapp.models import WebhookAttempt, WebhookDelivery, WebhookDeliveryState, WebhookEndpoint, WebhookEvent
from oteapp.payouts.services import PayoutError, month_approve
from oteapp.services.actuals import actuals_file_apply
from oteapp.webhooks.delivery import webhook_delivery_attempt
from oteapp.webhooks.events import webhook_event_emit
from oteapp.webhooks.services import webhook_endpoint_create, webhook_test_send, webhook_url_problem
from tests.factories import actual_create, rep_create
from tests.webhook_receiver import webhook_receiver

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOKS_ALLOW_HTTP = True
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = True
    settings.WEBHOOK_RETRY_BASE_SECONDS = 5


def endpoint_for(organization, url: str, events: list[str]) -> WebhookEndpoint:
    with organization_context(organization):
        return webhook_endpoint_create(
            organization=organization, actor=None, url=url, description="", event_types=events
        )


def test_an_actuals_import_sends_a_signed_actuals_changed_event(organization, owner, loopback_allowed):
    rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    with webhook_receiver([204]) as receiver:
        endpoint = endpoint_for(organization, receiver.url, ["actuals.changed"])
        with organization_context(organization):
            actuals_file_apply(
                organization=organization, actor=owner, data="month,rep,role,deals\n2026-10,Ana,closer,4\n"
            )
        receiver.wait_for(1)
    request = receiver.requests[0]
    payload = Webhook(endpoint.secret).verify(request.body, request.headers)  # raises on a bad signature
    assert payload["type"] == "actuals.changed"
    assert payload["data"] == {"months": ["2026-10"]}
    assert request.headers["webhook-id"].startswith("msg_")
    with organization_context(organization):
        delivery = WebhookDelivery.objects.get()
        assert (delivery.state, delivery.attempts) == (WebhookDeliveryState.SUCCEEDED, 1)
        attempt = WebhookAttempt.objects.get()
        assert attempt.status_code == 204 and attempt.latency_ms >= 0


def test_a_forged_signature_does_not_verify(organization, loopback_allowed):
    with webhook_receiver([200]) as receiver:
        endpoint = endpoint_for(organization, receiver.url, ["month.closed"])
        with organization_context(organization):
            webhook_test_send(organization=organization, endpoint=endpoint)
        receiver.wait_for(1)
    request = receiver.requests[0]
    with pytest.raises(Exception, match="signature"):
        Webhook("whsec_" + "A" * 32).verify(request.body, request.headers)
    assert json.loads(request.body)["type"] == "webhook.test"


def test_failed_attempts_are_retried_with_backoff_and_logged(organization, loopback_allowed):
    with webhook_receiver([500, 500, 200]) as receiver:
        endpoint = endpoint_for(organization, receiver.url, ["month.closed"])
        with organization_context(organization):
            event = webhook_event_emit(
                organization=organization, event_type="month.closed", payload={"month": "2026-10"}
            )
            delivery = WebhookDelivery.objects.get(event=event)
        # The first attempt ran on commit; the next two come after their backoff (5 s, then 20 s).
        assert webhook_delivery_attempt(organization=organization, delivery_id=delivery.pk) == pytest.approx(5, abs=1)
        later = timezone.now() + timedelta(seconds=6)
        assert webhook_delivery_attempt(organization=organization, delivery_id=delivery.pk, now=later) == 20
        assert (
            webhook_delivery_attempt(
                organization=organization, delivery_id=delivery.pk, now=later + timedelta(seconds=21)
            )
            is None
        )
    assert len(receiver.requests) == 3
    assert len({request.headers["webhook-id"] for request in receiver.requests}) == 1
    for request in receiver.requests:
        Webhook(endpoint.secret).verify(request.body, request.headers)
    with organization_context(organization):
        delivery.refresh_from_db()
        assert (delivery.state, delivery.attempts) == (WebhookDeliveryState.SUCCEEDED, 3)
        assert sorted(WebhookAttempt.objects.values_list("status_code", flat=True)) == [200, 500, 500]
        endpoint.refresh_from_db()
        assert endpoint.failing_since is None


def test_an_endpoint_failing_for_24_hours_is_disabled_and_its_admins_emailed(organization, owner, loopback_allowed):
    with webhook_receiver([503]) as receiver:
        endpoint = endpoint_for(organization, receiver.url, ["month.closed"])
        with organization_context(organization):
            WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failing_since=timezone.now() - timedelta(hours=25))
            webhook_event_emit(organization=organization, event_type="month.closed", payload={"month": "2026-10"})
        receiver.wait_for(1)
    with organization_context(organization):
        endpoint.refresh_from_db()
        assert endpoint.disabled_at is not None
        assert WebhookDelivery.objects.get().state == WebhookDeliveryState.FAILED
        # A disabled endpoint gets no more events.
        assert webhook_event_emit(organization=organization, event_type="month.closed", payload={}) is None
    assert [message.to for message in mail.outbox] == [[owner.email]]
    assert endpoint.url in mail.outbox[0].body and "/integrations/" in mail.outbox[0].body


def test_a_delivery_gives_up_24_hours_after_its_event(organization, loopback_allowed):
    with webhook_receiver([500]) as receiver:
        endpoint_for(organization, receiver.url, ["month.closed"])
        with organization_context(organization):
            event = webhook_event_emit(organization=organization, event_type="month.closed", payload={})
            delivery = WebhookDelivery.objects.get(event=event)
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                created_at=timezone.now() - timedelta(hours=23, minutes=59, seconds=55), next_attempt_at=timezone.now()
            )
        assert webhook_delivery_attempt(organization=organization, delivery_id=delivery.pk) is None
    with organization_context(organization):
        assert WebhookDelivery.objects.get().state == WebhookDeliveryState.FAILED


def test_redirects_are_not_followed(organization, loopback_allowed):
    with webhook_receiver([302]) as receiver:
        endpoint_for(organization, receiver.url, ["month.closed"])
        with organization_context(organization):
            webhook_event_emit(organization=organization, event_type="month.closed", payload={})
        receiver.wait_for(1)
    with organization_context(organization):
        assert WebhookAttempt.objects.get().status_code == 302
        assert WebhookDelivery.objects.get().state == WebhookDeliveryState.PENDING  # a 3xx is a failure, retried


def test_an_event_nobody_listens_to_stores_nothing(organization):
    with organization_context(organization):
        assert webhook_event_emit(organization=organization, event_type="actuals.changed", payload={}) is None
        assert not WebhookEvent.objects.exists()


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.example.com/x", "https"),
        ("https://127.0.0.1/x", "private, loopback or reserved"),
        ("https://10.1.2.3/x", "private, loopback or reserved"),
        ("https://[::1]/x", "private, loopback or reserved"),
        ("https://169.254.169.254/latest/meta-data", "private, loopback or reserved"),
        ("https://localhost/x", "private, loopback or reserved"),
        ("https://user:pw@hooks.example.com/x", "credentials"),
        ("https://hooks.example.com@127.0.0.1/x", "credentials"),
        ("ftp://hooks.example.com/x", "https"),
        # What no request line can carry (Python's URL parser drops a CR, LF or tab, and http.client refuses a space
        # at every delivery), and a port that is no port.
        ("https://hooks.example.com/a b", "valid URL"),
        ("https://hooks.example.com/a\r\nX-Injected: 1", "valid URL"),
        ("https://hooks.example.com/a\tb", "valid URL"),
        ("https://hooks.example.com/\x7f", "valid URL"),
        ("https://hooks.example.com:0/x", "valid URL"),
        ("https://0.0.0.0/x", "private, loopback or reserved"),
        ("https://100.64.0.1/x", "private, loopback or reserved"),
        ("https://[::ffff:127.0.0.1]/x", "private, loopback or reserved"),
        ("https://2130706433/x", "private, loopback or reserved"),  # 127.0.0.1 as one decimal number
        ("https://0x7f000001/x", "private, loopback or reserved"),
        ("https://0177.0.0.1/x", "private, loopback or reserved"),
        ("https://127.1/x", "private, loopback or reserved"),
        # IPv6 addresses that carry an IPv4 one, which a NAT64 gateway or a 6to4 relay would reach.
        ("https://[64:ff9b::a9fe:a9fe]/latest/meta-data", "private, loopback or reserved"),
        ("https://[64:ff9b::a00:1]/x", "private, loopback or reserved"),
        ("https://[2002:a9fe:a9fe::1]/x", "private, loopback or reserved"),
        ("https://[::127.0.0.1]/x", "private, loopback or reserved"),
    ],
)
def test_outside_development_only_public_https_addresses_are_accepted(settings, url, problem):
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    assert problem in webhook_url_problem(url)


def test_a_public_https_address_is_accepted(settings):
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    assert webhook_url_problem("https://93.184.215.14/hooks") is None
    assert webhook_url_problem("https://[64:ff9b::5db8:d70e]/hooks") is None  # NAT64 to that public address


def test_closing_a_month_sends_month_closed_once(organization, loopback_allowed):
    from oteapp.jobs.snapshots import snapshots_freeze

    rep = rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    actual_create(organization, rep=rep, month=date(2026, 10, 1), deals=5)
    with webhook_receiver([200]) as receiver:
        endpoint = endpoint_for(organization, receiver.url, ["month.closed"])
        snapshots_freeze(periods={organization.pk: date(2026, 10, 1)})
        snapshots_freeze(periods={organization.pk: date(2026, 10, 1)})  # the hourly job again: already frozen
        receiver.wait_for(1)
    assert len(receiver.requests) == 1
    payload = Webhook(endpoint.secret).verify(receiver.requests[0].body, receiver.requests[0].headers)
    assert payload["type"] == "month.closed" and payload["data"]["month"] == "2026-10"


def test_approving_a_month_sends_a_signed_payouts_approved_event(organization, owner, loopback_allowed):
    rep = rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    actual_create(organization, rep=rep, month=date(2026, 10, 1), deals=5)
    with webhook_receiver([200]) as receiver:
        endpoint = endpoint_for(organization, receiver.url, ["payouts.approved"])
        with organization_context(organization):
            approval = month_approve(organization=organization, actor=owner, month=date(2026, 10, 1))
        receiver.wait_for(1)
    assert len(receiver.requests) == 1  # the month.closed of the approval's freeze goes to its subscribers only
    payload = Webhook(endpoint.secret).verify(receiver.requests[0].body, receiver.requests[0].headers)
    assert payload["type"] == "payouts.approved"
    assert payload["data"] == {
        "month": "2026-10",
        "approved_at": approval.approved_at.isoformat(),
        "statements": "/api/v1/statements?month=2026-10",
        "payroll": "/api/v1/payroll?month=2026-10",
    }
    with organization_context(organization):
        assert WebhookDelivery.objects.get().state == WebhookDeliveryState.SUCCEEDED


def test_an_approval_refused_sends_no_payouts_approved_event(organization, owner, loopback_allowed):
    with webhook_receiver([200]) as receiver:
        endpoint_for(organization, receiver.url, ["payouts.approved"])
        with organization_context(organization), pytest.raises(PayoutError):
            month_approve(organization=organization, actor=owner, month=date(2026, 10, 1))  # nothing to approve
    assert receiver.requests == []
    with organization_context(organization):
        assert not WebhookEvent.objects.exists()


def test_a_refused_endpoint_shows_why_beside_the_field_and_stores_nothing(owner_client, organization):
    response = owner_client.post(
        f"/o/{organization.slug}/integrations/webhooks/",
        {"url": "https://93.184.215.14/hooks", "description": "x" * 201, "event_types": "month.closed"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert '<p class="error" id="webhook-description-error">Use at most 200 characters.</p>' in html
    assert 'aria-describedby="webhook-description-error"' in html
    with organization_context(organization):
        assert not WebhookEndpoint.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [({"url": "https://93.184.215.14/\x00"}, "url"), ({"description": "CRM\x00"}, "description")],
)
def test_text_the_database_cannot_store_is_refused_beside_its_field(owner_client, organization, fields, field):
    posted = {"url": "https://93.184.215.14/hooks", "description": "", "event_types": "month.closed", **fields}
    response = owner_client.post(f"/o/{organization.slug}/integrations/webhooks/", posted)
    assert response.status_code == 422
    assert f'id="webhook-{field}-error">The {"address" if field == "url" else "description"} must not contain' in (
        response.content.decode()
    )
    with organization_context(organization):
        assert not WebhookEndpoint.objects.exists()


def test_a_name_that_resolves_to_a_private_address_at_delivery_is_refused_then(organization, settings, monkeypatch):
    """DNS rebinding: the name was public when the endpoint was saved; each delivery resolves and checks it again,
    and connects to nothing when it now points inside."""
    settings.WEBHOOKS_ALLOW_HTTP = False
    settings.WEBHOOKS_ALLOW_PRIVATE_ADDRESSES = False
    answers = {"hooks.rebind.example": "93.184.215.14"}

    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers[host], port))]

    def create_connection(*args, **kwargs):
        raise AssertionError(f"connected to {args[0]}")

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "create_connection", create_connection)
    endpoint_for(organization, "https://hooks.rebind.example/x", ["month.closed"])
    answers["hooks.rebind.example"] = "169.254.169.254"
    with organization_context(organization):
        webhook_event_emit(organization=organization, event_type="month.closed", payload={})
        attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert "private, loopback or reserved address (169.254.169.254)" in attempt.error


def read_request(connection) -> None:
    """The whole request, headers and body: a server closing on unread bytes resets the connection (RST), and the
    client would see that instead of the answer."""
    data = b""
    while b"\r\n\r\n" not in data:
        received = connection.recv(65536)
        if not received:
            return
        data += received
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")), 0
    )
    while len(body) < length:
        received = connection.recv(65536)
        if not received:
            return
        body += received


@contextmanager
def loopback_server(answer: Callable[[socket.socket], None]):
    """A loopback server that reads each request and lets `answer` write to the connection, byte for byte (what
    http.server won't); yields the URL to register."""
    server = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            with connection:
                read_request(connection)
                answer(connection)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hooks"
    finally:
        server.close()


def raw_receiver(answer: bytes):
    """Answers every request with `answer`."""
    return loopback_server(lambda connection: connection.sendall(answer))


def drip_receiver(chunks: list[bytes], pause: float):
    """Answers a piece at a time, each within the socket timeout: slow, never silent."""

    def drip(connection: socket.socket) -> None:
        for chunk in chunks:
            try:
                connection.sendall(chunk)
            except OSError:
                return
            time.sleep(pause)

    return loopback_server(drip)


@pytest.mark.parametrize(
    ("answer", "status"),
    [
        (b"HTTP/1.1 500 Oops\r\nContent-Length: 9\r\n\r\nbad\x00news", 500),  # NUL in the body
        (b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n\xff\xfe\x00\x00!", 200),
        (b"\x00\x00 not http at all\r\n\r\n", None),  # NUL in the status line: the error quotes it
    ],
    ids=["body-500", "body-200", "status-line"],
)
def test_an_answer_postgresql_cannot_store_is_logged_readably(organization, loopback_allowed, answer, status):
    with raw_receiver(answer) as url:
        endpoint_for(organization, url, ["month.closed"])
        with organization_context(organization):
            webhook_event_emit(organization=organization, event_type="month.closed", payload={})
            attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == status
    assert "\x00" not in attempt.response_excerpt + attempt.error
    assert (attempt.error != "") == (status is None)


@pytest.mark.parametrize(
    "chunks",
    [
        [b"HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n", *[b"x"] * 12],  # the body a byte at a time
        [b"HTTP/1.1 200 OK\r\n", *[f"X-Slow-{n}: 1\r\n".encode() for n in range(12)], b"\r\n"],  # header by header
    ],
    ids=["body", "headers"],
)
def test_an_attempt_ends_at_the_timeout_however_slowly_the_receiver_drips(
    organization, loopback_allowed, settings, chunks
):
    settings.WEBHOOK_TIMEOUT_SECONDS = 1
    with drip_receiver(chunks, pause=0.4) as url:
        endpoint_for(organization, url, ["month.closed"])
        with organization_context(organization):
            webhook_event_emit(organization=organization, event_type="month.closed", payload={})
            attempt = WebhookAttempt.objects.get()
    assert attempt.latency_ms < 2500
    assert attempt.status_code is None and "1 s" in attempt.error
