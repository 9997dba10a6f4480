"""Authenticated pages and every download: `Cache-Control: private, no-store` (issue 14, item 8)."""

import pytest
from django.utils import timezone

from tests.oteapp.test_performance_view import worked_example

pytestmark = pytest.mark.django_db


def no_store(response) -> bool:
    directives = {d.strip() for d in response.get("Cache-Control", "").split(",")}
    return {"private", "no-store"} <= directives


def test_signed_in_pages_and_downloads_are_private_and_not_stored(owner_client, organization):
    worked_example(organization)
    slug = organization.slug
    for url in (
        f"/o/{slug}/", f"/o/{slug}/performance/?month=2026-10", f"/o/{slug}/report.csv?month=2026-10",
        f"/o/{slug}/report.json?month=2026-10", f"/o/{slug}/configuration/export/", f"/o/{slug}/organization/export/",
        f"/o/{slug}/actuals/template.csv?month=2026-10", "/organizations/",
    ):
        response = owner_client.get(url)
        assert response.status_code == 200 and no_store(response), url


def test_anonymous_pages_may_be_cached(client):
    assert not no_store(client.get("/"))
    assert not no_store(client.get("/healthz"))


def test_expired_sessions_are_deleted_nightly(owner_client, settings):
    from django.contrib.sessions.models import Session

    from accounts.tasks import sessions_clear

    schedule = {entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "accounts.sessions_clear" in schedule and schedule["accounts.sessions_clear"].hour == {3}
    live = Session.objects.get()
    Session.objects.create(session_key="gone", session_data="x", expire_date=timezone.now() - timezone.timedelta(1))
    sessions_clear.delay()
    assert list(Session.objects.values_list("session_key", flat=True)) == [live.session_key]
