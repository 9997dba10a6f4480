"""Sending digests: one claim per delivery (locked rows skipped, stale claims taken over), one mail-server
connection for a whole batch of organizations, a failed send retried by the organization's own task, and
the digest computed with the configuration its month pinned."""

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from unittest import mock

import psycopg
import pytest
from django.core import mail
from django.db import connection

from accounts.models import MemberRole, Membership
from accounts.tenancy import organization_context
from oteapp.jobs import tasks
from oteapp.jobs.digests import _claim_next, digest_content_get, month_close_batch
from oteapp.jobs.snapshots import snapshots_compute
from oteapp.models import DigestDelivery, DigestState, OrganizationSettings
from oteapp.selectors import month_report_get, organization_config_get
from tests.factories import UserFactory
from tests.jobs.conftest import worked_example_org
from tests.jobs.mail_backends import CountingBackend

OCT = date(2026, 10, 1)
AFTER_CLOSE = datetime(2026, 11, 2, 12, tzinfo=UTC)


@pytest.fixture
def counting_mail(settings):
    settings.EMAIL_BACKEND = "tests.jobs.mail_backends.CountingBackend"
    CountingBackend.opened, CountingBackend.fail_once_for = 0, None
    return CountingBackend


def _due(orgs) -> list[list]:
    due = month_close_batch(organization_ids=[o.organization.pk for o in orgs], now=AFTER_CLOSE)
    return [[organization_id, f"{period:%Y-%m}"] for organization_id, period in due]


def _states(orgs) -> list[tuple[str, int]]:
    return sorted(
        DigestDelivery.unscoped.filter(organization__in=[o.organization for o in orgs]).values_list("state", "attempts")
    )


def test_a_batch_sends_every_organizations_digests_over_one_connection(db, counting_mail):
    orgs = [worked_example_org(f"Batch {i}", months={OCT: Decimal(1)}) for i in range(3)]
    tasks.digests_send_batch(_due(orgs))
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e for o in orgs for e in o.recipient_emails)
    assert counting_mail.opened == 1
    assert _states(orgs) == [(DigestState.SENT, 1)] * 9
    tasks.digests_send_batch(_due(orgs))  # again: nothing is due, nothing is sent
    assert len(mail.outbox) == 9


def test_a_failed_send_is_retried_by_the_organizations_own_task(db, counting_mail):
    orgs = [worked_example_org(f"Retry {i}", months={OCT: Decimal(1)}) for i in range(2)]
    flaky = orgs[0].recipients[1].email
    counting_mail.fail_once_for = flaky
    with mock.patch.object(tasks.digests_send, "apply_async") as retry:
        tasks.digests_send_batch(_due(orgs))
    retry.assert_called_once_with((orgs[0].organization.pk, "2026-10"), countdown=120)
    assert flaky not in [m.to[0] for m in mail.outbox] and len(mail.outbox) == 5
    assert counting_mail.opened == 2, "the connection the failure broke is replaced"
    failed = DigestDelivery.unscoped.get(recipient__email=flaky)
    assert (failed.state, failed.attempts) == (DigestState.PENDING, 1)
    assert failed.error == "test server dropped the connection"


def test_a_batch_past_its_time_budget_hands_the_rest_to_a_new_task(db, counting_mail, settings):
    orgs = [worked_example_org(f"Budget {i}", months={OCT: Decimal(1)}) for i in range(3)]
    due = _due(orgs)
    settings.DIGEST_TASK_BUDGET_SECONDS = 0
    with mock.patch.object(tasks.digests_send_batch, "delay") as hand_over:
        tasks.digests_send_batch(due)
    hand_over.assert_called_once_with(due[1:])
    assert len(mail.outbox) == 3, "the first organization is always sent"


def test_claims_skip_rows_locked_elsewhere_and_take_over_stale_ones(transactional_db, settings):
    setup = worked_example_org("Claims", months={OCT: Decimal(1)})
    organization = setup.organization
    _due([setup])
    first, second, third = DigestDelivery.unscoped.filter(organization=organization).order_by("pk")
    params = connection.get_connection_params()
    with psycopg.connect(**params) as other:  # another worker, in the middle of its claim of the first row
        other.execute("SELECT id FROM oteapp_digestdelivery WHERE id = %s FOR UPDATE", [first.pk])
        with organization_context(organization):
            claimed = _claim_next(organization=organization, period=OCT, exclude=set())
        assert claimed.pk == second.pk and claimed.attempts == 1
        other.rollback()
    with organization_context(organization):
        claims = [_claim_next(organization=organization, period=OCT, exclude=set()) for _ in range(3)]
    assert [claim and claim.pk for claim in claims] == [first.pk, third.pk, None]
    assert set(DigestDelivery.unscoped.filter(organization=organization).values_list("state", flat=True)) == {
        DigestState.SENDING
    }

    # A claim older than the timeout belonged to a dead worker: it is taken over, with one more attempt.
    stale = datetime.now(UTC) - timedelta(seconds=settings.DIGEST_SENDING_TIMEOUT_SECONDS + 1)
    DigestDelivery.unscoped.filter(pk=third.pk).update(claimed_at=stale)
    with organization_context(organization):
        again = _claim_next(organization=organization, period=OCT, exclude=set())
        excluded = _claim_next(organization=organization, period=OCT, exclude={third.pk})
    assert (again.pk, again.attempts) == (third.pk, 2) and again.claimed_at > stale
    assert excluded is None


def test_the_digest_uses_the_configuration_its_month_pinned(db):
    setup = worked_example_org("Pinned", months={OCT: Decimal(1)})
    organization = setup.organization
    snapshots_compute(months_by_organization={organization.pk: [OCT]}, now=AFTER_CLOSE)  # frozen
    OrganizationSettings.unscoped.filter(organization=organization).update(deal_value=Decimal("20000"))
    with organization_context(organization):
        content = digest_content_get(organization=organization, period=OCT)
        page = month_report_get(organization=organization, month=OCT).report
        today = month_report_get(
            organization=organization, month=OCT, config=organization_config_get(organization=organization)
        ).report
    assert content.report == page != today


def test_the_sweep_finishes_what_a_killed_worker_left_exactly_once(db, counting_mail, months, settings):
    """Issue 14, item 19: a worker killed mid-batch left a claimed row and pending ones. The five-minute sweep sends
    those (the stale claim too) once, and leaves alone what was sent and what a live worker is sending."""
    from django.utils import timezone

    from oteapp.jobs.digests import digests_prepare

    sweep = settings.CELERY_BEAT_SCHEDULE["digests-sweep"]
    assert sweep["task"] == "oteapp.digests_sweep"
    assert sweep["schedule"].minute == set(range(0, 60, 5))  # every five minutes, not hourly
    setup = worked_example_org("Swept", months={months["period"]: Decimal(1)})
    for n in range(2):
        Membership.unscoped.create(
            organization=setup.organization, user=UserFactory(email=f"rep{n}@swept.example"), role=MemberRole.MANAGER
        )
    digests_prepare(periods={setup.organization.pk: months["period"]})
    sent, stale, alive, *pending = DigestDelivery.unscoped.filter(organization=setup.organization).order_by("pk")
    now = timezone.now()
    old_claim = now - timedelta(seconds=settings.DIGEST_SENDING_TIMEOUT_SECONDS + 1)
    DigestDelivery.unscoped.filter(pk=sent.pk).update(state=DigestState.SENT, sent_at=now, attempts=1)
    DigestDelivery.unscoped.filter(pk=stale.pk).update(state=DigestState.SENDING, claimed_at=old_claim, attempts=1)
    DigestDelivery.unscoped.filter(pk=alive.pk).update(state=DigestState.SENDING, claimed_at=now, attempts=1)

    tasks.digests_sweep()
    tasks.digests_sweep()  # again: nothing more goes out

    assert len(pending) == 2
    expected = sorted(row.recipient.email for row in (stale, *pending))
    assert sorted(message.to[0] for message in mail.outbox) == expected
    states = dict(DigestDelivery.unscoped.filter(organization=setup.organization).values_list("pk", "state"))
    assert states[alive.pk] == DigestState.SENDING
    assert {states[row.pk] for row in (sent, stale, *pending)} == {DigestState.SENT}
