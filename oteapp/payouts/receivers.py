"""What follows an approval (`oteapp.payouts.services.payouts_approved`, after the commit)."""

from datetime import date

from config.celery import app as celery_app
from oteapp.months import format_month

STATEMENTS_SEND_TASK = "oteapp.statements_send"  # oteapp.jobs.tasks.statements_send


def statement_emails_on_approval(sender: object, *, organization_id: int, month: date, **kwargs: object) -> None:
    """Queue the sending of the statement emails the approval created (a broker outage is caught up by the
    five-minute sweep, which finds the pending rows)."""
    celery_app.send_task(STATEMENTS_SEND_TASK, args=[organization_id, format_month(month)])
