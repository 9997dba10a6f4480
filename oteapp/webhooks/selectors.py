"""Reads of webhooks, for the Integrations page: endpoints, and each one's recent deliveries with their attempts."""

from django.db.models import Prefetch, QuerySet

from accounts.models import Organization
from oteapp.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

RECENT_DELIVERIES = 50


def webhook_endpoints_list(*, organization: Organization) -> QuerySet[WebhookEndpoint]:
    return WebhookEndpoint.objects.filter(organization=organization).order_by("created_at", "id")


def webhook_endpoint_get(*, organization: Organization, endpoint_id: int) -> WebhookEndpoint | None:
    return WebhookEndpoint.objects.filter(organization=organization, pk=endpoint_id).first()


def webhook_deliveries_recent(*, organization: Organization, endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    """The endpoint's latest deliveries, each with its attempts newest first: two queries."""
    attempts = WebhookAttempt.objects.filter(organization=organization).order_by("-attempted_at", "-id")
    return list(
        WebhookDelivery.objects.filter(organization=organization, endpoint=endpoint)
        .select_related("event")
        .prefetch_related(Prefetch("attempt_log", queryset=attempts))
        .order_by("-created_at", "-id")[:RECENT_DELIVERIES]
    )
