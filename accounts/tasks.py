"""Celery tasks of accounts (schedules: CELERY_BEAT_SCHEDULE in config/settings/base.py)."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.sessions_clear")
def sessions_clear() -> None:
    """Beat, nightly: delete expired sessions (Django's clearsessions), so the table holds live ones only."""
    call_command("clearsessions")
