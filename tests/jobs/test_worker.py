"""A real Celery worker on Redis (not eager mode): snapshots and digests for several organizations, a
transient SMTP failure, and a worker killed in the middle of a digest batch."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.tenancy import organization_context
from oteapp.engine import config_to_dict
from oteapp.jobs import tasks
from oteapp.jobs.snapshots import snapshots_refresh_request
from oteapp.models import DigestDelivery, DigestState, MonthlySnapshot
from oteapp.months import format_month
from oteapp.selectors import month_report_get
from oteapp.templatetags.ote import money
from tests.jobs.conftest import worked_example_org

pytestmark = pytest.mark.celery_worker


def _orgs(months, count: int) -> list:
    factors = (Decimal(1), Decimal("0.7"), Decimal("1.3"), Decimal("0.9"))
    return [
        worked_example_org(
            f"Company {chr(65 + i)}",
            months={months["before"]: Decimal("0.9"), months["period"]: factors[i], months["current"]: Decimal("0.5")},
        )
        for i in range(count)
    ]


def _sent(organizations) -> int:
    return DigestDelivery.unscoped.filter(
        organization__in=[o.organization for o in organizations], state=DigestState.SENT
    ).count()


def test_a_real_worker_computes_snapshots_and_sends_each_digest_once(live_celery, months):
    orgs = _orgs(months, 3)
    first = orgs[0].organization
    flaky = orgs[1].recipients[2].email  # this manager's first delivery is refused by the "SMTP server"

    # A burst of changes, as services make them: each requests a refresh after its commit.
    with transaction.atomic():
        snapshots_refresh_request(organization=first, months=[months["current"]])
    with transaction.atomic():
        snapshots_refresh_request(organization=first, months=[months["before"]])
    with transaction.atomic():
        snapshots_refresh_request(organization=first, months=None)
    assert live_celery.queued() == 1, "the burst is debounced into one task"

    tasks.month_close.delay()
    tasks.snapshot_month.delay(orgs[1].organization.pk, format_month(months["before"]))
    live_celery.start_worker(JOBS_TEST_FAIL_ONCE_FOR=flaky)

    expected = {
        (first.pk, months["current"]), (first.pk, months["before"]), (orgs[1].organization.pk, months["before"]),
        *((o.organization.pk, months["period"]) for o in orgs),
    }

    def snapshots_done() -> bool:
        return set(MonthlySnapshot.unscoped.values_list("organization_id", "month")) >= expected

    live_celery.wait_for(lambda: _sent(orgs) == 9 and snapshots_done(), "9 digests and 6 snapshots")

    # Snapshots: the engine's report and the configuration it used; the closed month is frozen.
    for org_id, month in expected:
        snapshot = MonthlySnapshot.unscoped.get(organization_id=org_id, month=month)
        with organization_context(org_id):
            expected_report = month_report_get(organization=snapshot.organization, month=month)
        assert snapshot.report == expected_report.report.to_dict()
        assert snapshot.config == config_to_dict(expected_report.config)
        assert (snapshot.frozen_at is not None) == (month < months["current"])

    # Digests: one per owner, admin and manager who wants it; the viewer and the opted-out manager get none.
    messages = live_celery.messages()
    received = Counter(message["To"] for message in messages)
    everyone = set().union(*(o.recipient_emails for o in orgs))
    assert received == Counter({address: 1 for address in everyone})
    flaky_delivery = DigestDelivery.unscoped.get(recipient__email=flaky)
    assert (flaky_delivery.state, flaky_delivery.attempts, flaky_delivery.error) == (DigestState.SENT, 2, "")

    for message in messages:
        setup = next(o for o in orgs if message["To"] in o.recipient_emails)
        organization = setup.organization
        with organization_context(organization):
            report = month_report_get(organization=organization, month=months["period"]).report
        html = message.get_body(("html",)).get_content()
        text = message.get_body(("plain",)).get_content()
        assert organization.name in message["Subject"]
        assert f"{months['period']:%B %Y}" in message["Subject"]
        for body in (html, text):
            assert money(report.summary.total_actual) in body
            assert f"/o/{organization.slug}/performance/?month={format_month(months['period'])}" in body
            assert not any(other.organization.name in body for other in orgs if other is not setup)
        unsubscribe = str(message["List-Unsubscribe"]).strip()  # folded: the URL is longer than a header line
        assert unsubscribe.startswith("<http") and "/digests/unsubscribe/" in unsubscribe
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert "<script" not in html and "<img" not in html and "<svg" not in html


def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(live_celery, months):
    orgs = _orgs(months, 3)
    tasks.month_close.delay()
    worker = live_celery.start_worker(JOBS_TEST_SEND_DELAY="0.4")

    def in_flight() -> bool:
        return _sent(orgs) >= 2 and DigestDelivery.unscoped.filter(state=DigestState.SENDING).exists()

    live_celery.wait_for(in_flight, "a digest in the middle of being sent")
    live_celery.kill(worker)

    crashed = DigestDelivery.unscoped.get(state=DigestState.SENDING)
    sent_before = _sent(orgs)
    assert 2 <= sent_before < 9
    assert len(live_celery.messages()) == sent_before, "the message in flight never reached the server"

    # A new worker; the hourly month-close job runs again (the sweeper) once the dead claim is stale.
    live_celery.start_worker(JOBS_TEST_SEND_DELAY="0.1")
    stale_at = crashed.claimed_at + timedelta(seconds=settings.DIGEST_SENDING_TIMEOUT_SECONDS)
    live_celery.wait_for(lambda: timezone.now() > stale_at, "the dead worker's claim to go stale")
    tasks.month_close.delay()
    live_celery.wait_for(lambda: _sent(orgs) == 9, "every digest sent")

    received = Counter(message["To"] for message in live_celery.messages())
    everyone = set().union(*(o.recipient_emails for o in orgs))
    assert received == Counter({address: 1 for address in everyone}), "each recipient exactly once"
    crashed.refresh_from_db()
    assert (crashed.state, crashed.attempts) == (DigestState.SENT, 2)
    assert not DigestDelivery.unscoped.exclude(state=DigestState.SENT).exists()
