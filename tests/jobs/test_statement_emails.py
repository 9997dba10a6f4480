"""Statement emails (SPEC section 12) on a real Celery worker through a real SMTP server on loopback: approving a
month emails each rep with a linked account exactly once, with their statement in HTML and text, the PDF attached
and an unsubscribe that stops the email only; approving again after a reopening sends nothing twice."""

import email
import email.policy
import socket
import threading
from collections.abc import Iterator
from datetime import date

import pytest
from aiosmtpd.controller import Controller
from django.db import transaction

from accounts.models import MemberRole, Membership
from accounts.tenancy import organization_context
from oteapp.models import DigestState, Rep, StatementDelivery
from oteapp.payouts.emails import statement_deliveries_create, statement_unsubscribe_url
from oteapp.payouts.services import month_approve, month_reopen
from tests.factories import UserFactory, actual_create, organization_with_members, rep_create
from tests.payouts.conftest import AUG, OCT, SEP, example_b_configure

pytestmark = pytest.mark.celery_worker


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        with self.lock:
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server() -> Iterator[tuple[int, Inbox]]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, inbox
    finally:
        controller.stop()


def _organization_with_reps():
    owner = UserFactory(email="owner@payco.example")
    organization = organization_with_members("Pay Co", owner=owner)
    example_b_configure(organization)
    reps = {}
    for name, deals in (("Ana", (1, 8, 2)), ("Bo", (3, 5, 4)), ("Cy", (2, 2, 2))):
        rep = rep_create(organization, name=name, role="closer", start_date=date(2026, 1, 1))
        for month, units in zip((AUG, SEP, OCT), deals, strict=True):
            actual_create(organization, rep=rep, month=month, deals=units)
        reps[name] = rep
    # Ana and Bo have accounts linked to them; Cy has none (no email to anyone).
    with organization_context(organization):
        for name in ("Ana", "Bo"):
            user = UserFactory(email=f"{name.lower()}@payco.example")
            membership = Membership.objects.create(organization=organization, user=user, role=MemberRole.REP)
            Rep.objects.filter(pk=reps[name].pk).update(membership=membership)
    return organization, owner, reps


def test_approval_emails_each_linked_rep_once_on_a_real_worker_through_smtp(live_celery, smtp_server):
    port, inbox = smtp_server
    organization, owner, _reps = _organization_with_reps()

    with organization_context(organization), transaction.atomic():
        month_approve(organization=organization, actor=owner, month=SEP)
    live_celery.start_worker(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_URL=f"smtp://127.0.0.1:{port}"
    )
    live_celery.wait_for(lambda: len(inbox.messages) >= 2, "two statement emails")

    def sent() -> int:
        return StatementDelivery.unscoped.filter(organization=organization, state=DigestState.SENT).count()

    live_celery.wait_for(lambda: sent() == 2, "both deliveries marked sent")
    assert sorted(str(message["To"]) for message in inbox.messages) == ["ana@payco.example", "bo@payco.example"]
    ana = next(message for message in inbox.messages if str(message["To"]) == "ana@payco.example")
    assert ana["Subject"] == "Pay Co · your statement for September 2026"
    unsubscribe = str(ana["List-Unsubscribe"]).strip()
    assert unsubscribe.startswith("<http") and "/statements/unsubscribe/" in unsubscribe
    text = ana.get_body(("plain",)).get_content()
    html = ana.get_body(("html",)).get_content()
    assert "Payout: $10,190.50" in text and "Draw recovery: $866.00" in text  # 11,056.50 less August's advance
    assert "$10,190.50" in html and "See your statement" in html
    (attachment,) = [part for part in ana.iter_attachments()]
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_content().startswith(b"%PDF")

    # Reopened and approved again: the rows exist already, so nobody gets a second email.
    with organization_context(organization), transaction.atomic():
        month_reopen(organization=organization, actor=owner, month=SEP, reason="fix")
    with organization_context(organization), transaction.atomic():
        month_approve(organization=organization, actor=owner, month=SEP)
    with organization_context(organization), transaction.atomic():
        month_approve(organization=organization, actor=owner, month=OCT)  # Ana and Bo again, for October
    live_celery.wait_for(lambda: len(inbox.messages) >= 4, "October's two emails")
    live_celery.wait_for(lambda: sent() == 4, "four deliveries sent")
    assert len(inbox.messages) == 4
    assert StatementDelivery.unscoped.filter(organization=organization).count() == 4


def test_unsubscribe_stops_the_email_only(client, db):
    organization, _owner, reps = _organization_with_reps()

    url = statement_unsubscribe_url(organization_id=organization.pk, rep_id=reps["Ana"].pk)
    path = url.split("://", 1)[1].split("/", 1)[1]

    assert "Stop the statement emails?" in client.get(f"/{path}").content.decode()
    assert client.post(f"/{path}").status_code == 200

    with organization_context(organization):
        assert not Rep.objects.get(pk=reps["Ana"].pk).receives_statement_emails
        assert statement_deliveries_create(organization=organization, period=SEP) == 1  # Bo only
    client.force_login(Membership.unscoped.get(organization=organization, user__email="ana@payco.example").user)
    body = client.get(f"/o/{organization.slug}/me/statement/?month=2026-09").content.decode()
    assert "Your statement" in body and "$10,190.50" in body
    assert client.get("/statements/unsubscribe/not-a-token/").status_code == 400
