"""Exactly-once email deliveries, for any table of them (digests, statement emails).

A delivery table has one row per email that must go out, with `recipient_id`, `period`, `state` (pending →
sending → sent, or back to pending, and failed after the task's attempts), `attempts`, `claimed_at`, `sent_at` and
`error`. A sender claims one due row at a time with one UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED):
pending, or 'sending' for longer than DIGEST_SENDING_TIMEOUT_SECONDS (its worker died), so a killed worker loses
nothing and two workers never send the same row; `finish` records the outcome only while the claim is still ours.
docs/jobs.md explains the one window where a duplicate is possible (a worker killed between the mail server's
acceptance and the commit of 'sent'); the message keeps its Message-ID then, which lets mail systems drop it.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import NamedTuple

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import connection, models
from django.db.models import Q
from django.utils import timezone

from accounts.models import Organization
from oteapp.models import DigestState

logger = logging.getLogger(__name__)


@dataclass
class SendResult:
    """What one run of a sender (digests, statement emails) did with an organization's due deliveries."""

    sent: int = 0
    retrying: int = 0  # failed this time, pending again for a later run
    failed: int = 0  # gave up after DIGEST_MAX_ATTEMPTS
    skipped: int = 0  # the recipient is no longer eligible
    more: bool = False  # the time budget ran out with work maybe left
    recipients: list[str] = field(default_factory=list)


def due_filter(now: datetime) -> Q:
    """The rows waiting to be sent: pending, or claimed by a worker that died."""
    stale = now - timedelta(seconds=settings.DIGEST_SENDING_TIMEOUT_SECONDS)
    return Q(state=DigestState.PENDING) | Q(state=DigestState.SENDING, claimed_at__lt=stale)


class Claim(NamedTuple):
    pk: int
    recipient_id: int
    attempts: int
    claimed_at: datetime


# One statement, so one round trip and no explicit transaction: the subquery locks the first due row that
# nobody else holds (SKIP LOCKED) and the UPDATE claims it. A row claimed meanwhile by another worker is
# skipped while locked and, once that claim committed, no longer due when PostgreSQL re-reads it.
_CLAIM_SQL = """
UPDATE {table} SET state = %(sending)s, attempts = attempts + 1, claimed_at = %(now)s
WHERE organization_id = %(organization)s AND id = (
    SELECT id FROM {table}
    WHERE organization_id = %(organization)s AND period = %(period)s
      AND (state = %(pending)s OR (state = %(sending)s AND claimed_at < %(stale)s))
      AND NOT (id = ANY(%(exclude)s::bigint[]))
    ORDER BY id
    LIMIT 1
    FOR UPDATE SKIP LOCKED
)
RETURNING id, recipient_id, attempts, claimed_at
"""


def claim_next(
    *, model: type[models.Model], organization: Organization, period: date, exclude: set[int]
) -> Claim | None:
    """Claim the next due row of `model` for the organization and period (not one of `exclude`), or None."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.DIGEST_SENDING_TIMEOUT_SECONDS)
    with connection.cursor() as cursor:
        cursor.execute(
            _CLAIM_SQL.format(table=connection.ops.quote_name(model._meta.db_table)),
            {
                "organization": organization.pk, "period": period, "now": now, "stale": stale,
                "pending": DigestState.PENDING.value, "sending": DigestState.SENDING.value, "exclude": sorted(exclude),
            },
        )
        row = cursor.fetchone()
    return None if row is None else Claim(*row)


_FINISH_SQL = """
UPDATE {table} SET state = %(state)s, sent_at = coalesce(%(sent_at)s, sent_at), error = %(error)s
WHERE organization_id = %(organization)s AND id = %(id)s AND state = %(sending)s AND claimed_at = %(claimed_at)s
"""


def finish(
    delivery: Claim,
    *,
    model: type[models.Model],
    organization: Organization,
    state: str,
    error: str = "",
    sent_at: datetime | None = None,
) -> None:
    """Set the claimed row's outcome (sent_at only when given). Only while the claim is still ours: a row
    taken over as stale belongs to the other worker now."""
    with connection.cursor() as cursor:
        cursor.execute(
            _FINISH_SQL.format(table=connection.ops.quote_name(model._meta.db_table)),
            {
                "state": state, "sent_at": sent_at, "error": error, "organization": organization.pk,
                "id": delivery.pk, "sending": DigestState.SENDING.value, "claimed_at": delivery.claimed_at,
            },
        )
        finished = cursor.rowcount
    if not finished:
        logger.warning("Delivery %s was taken over by another worker before it finished", delivery.pk)


class Mailer:
    """One connection to the mail server for many messages (a task's organizations and recipients) instead
    of one per message. After a failed send the connection is dropped and the next message opens a new
    one; after MESSAGES_PER_CONNECTION messages too, since servers limit them per connection."""

    MESSAGES_PER_CONNECTION = 100

    def __init__(self) -> None:
        self.connection = None
        self.sent = 0

    def send(self, message: EmailMultiAlternatives) -> None:
        if self.connection is None or self.sent >= self.MESSAGES_PER_CONNECTION:
            self.close()
            self.connection = get_connection()
            self.connection.open()
        message.connection = self.connection
        try:
            message.send()
        except BaseException:
            self.close()  # it may be broken; the next message gets a new one
            raise
        self.sent += 1

    def close(self) -> None:
        connection, self.connection, self.sent = self.connection, None, 0
        if connection is not None:
            with suppress(Exception):  # a connection the server already dropped cannot say goodbye
                connection.close()


@contextmanager
def open_mailer() -> Iterator[Mailer]:
    sender = Mailer()
    try:
        yield sender
    finally:
        sender.close()


