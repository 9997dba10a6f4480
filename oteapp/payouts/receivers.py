"""What follows an approval (`oteapp.payouts.services.payouts_approved`, after the commit)."""

import logging
from datetime import date

import kombu.exceptions
import redis

from accounts.models import Organization
from accounts.tenancy import organization_context
from config.celery import app as celery_app
from oteapp.months import format_month
from oteapp.payouts.emails import statements_send

logger = logging.getLogger(__name__)

STATEMENTS_SEND_TASK = "oteapp.statements_send"  # oteapp.jobs.tasks.statements_send


def statement_emails_on_approval(sender: object, *, organization_id: int, month: date, **kwargs: object) -> None:
    """Send the statement emails the approval created: by a worker, or right away without a broker (development,
    most tests). A broker outage is caught up by the five-minute sweep, which finds the pending rows."""
    if celery_app.conf.task_always_eager:
        organization = Organization.objects.get(pk=organization_id)
        with organization_context(organization):
            statements_send(organization=organization, period=month)
        return
    try:
        # By name: the tasks module imports the payouts, not the other way round.
        celery_app.send_task(STATEMENTS_SEND_TASK, args=[organization_id, format_month(month)])
    except (redis.RedisError, kombu.exceptions.OperationalError) as error:
        logger.warning("Statement emails of organization %s not queued (%s); the sweep sends them.", organization_id,
                       error)
