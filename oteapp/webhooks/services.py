"""Writes of the Integrations page's webhooks: endpoints added, deleted, enabled again, and test events."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Organization, User
from accounts.text import text_problem
from oteapp.models import WebhookEndpoint, WebhookEvent, WebhookEventType
from oteapp.services.audit import audit_changes
from oteapp.webhooks.addresses import AddressRefused, public_address, webhook_url_check
from oteapp.webhooks.events import TEST_EVENT_TYPE, webhook_event_emit
from oteapp.webhooks.signing import webhook_secret_new

ACTION_ENDPOINT_CREATE = "webhook_endpoint_create"
ACTION_ENDPOINT_DELETE = "webhook_endpoint_delete"
MAX_URL_LENGTH = 500
MAX_ENDPOINTS = 20


def webhook_url_problem(url: str) -> str | None:
    """Why `url` cannot receive webhooks (scheme, address), or None."""
    if len(url) > MAX_URL_LENGTH:
        return f"Use a URL of at most {MAX_URL_LENGTH} characters."
    try:
        _, host, port, _ = webhook_url_check(url)
        public_address(host, port)
    except AddressRefused as error:
        return str(error)
    return None


@transaction.atomic
def webhook_endpoint_create(
    *, organization: Organization, actor: User | None, url: str, description: str, event_types: list[str]
) -> WebhookEndpoint:
    """A new endpoint with its own signing secret; raises ValidationError per field."""
    url, description = url.strip(), " ".join(description.split())
    errors: dict[str, str] = {}
    unstorable = text_problem(url)
    problem = f"The address {unstorable}." if unstorable else webhook_url_problem(url)
    if problem:
        errors["url"] = problem
    unknown = set(event_types) - set(WebhookEventType.values)
    if not event_types or unknown:
        errors["event_types"] = "Choose at least one event."
    if len(description) > 200:
        errors["description"] = "Use at most 200 characters."
    elif described := text_problem(description):
        errors["description"] = f"The description {described}."
    if WebhookEndpoint.objects.filter(organization=organization).count() >= MAX_ENDPOINTS:
        errors["url"] = f"An organization has at most {MAX_ENDPOINTS} endpoints; delete one first."
    if errors:
        raise ValidationError(errors)
    endpoint = WebhookEndpoint.objects.create(
        organization=organization,
        url=url,
        description=description,
        event_types=[value for value in WebhookEventType.values if value in event_types],
        secret=webhook_secret_new(),
        created_by=actor,
    )
    audit_changes(
        organization=organization,
        actor=actor,
        action=ACTION_ENDPOINT_CREATE,
        subject=f"webhook {url}",
        changes=[("event_types", None, ", ".join(endpoint.event_types))],
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, organization: Organization, actor: User | None, endpoint: WebhookEndpoint) -> None:
    if endpoint.organization_id != organization.pk:
        raise ValueError("The endpoint belongs to another organization.")
    audit_changes(
        organization=organization,
        actor=actor,
        action=ACTION_ENDPOINT_DELETE,
        subject=f"webhook {endpoint.url}",
        changes=[("event_types", ", ".join(endpoint.event_types), None)],
    )
    endpoint.delete()


@transaction.atomic
def webhook_endpoint_enable(*, organization: Organization, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Send to a disabled endpoint again (its owner fixed it); its failure clock starts over."""
    if endpoint.organization_id != organization.pk:
        raise ValueError("The endpoint belongs to another organization.")
    endpoint.disabled_at, endpoint.disabled_reason, endpoint.failing_since = None, "", None
    endpoint.save(update_fields=["disabled_at", "disabled_reason", "failing_since"])
    return endpoint


@transaction.atomic
def webhook_test_send(*, organization: Organization, endpoint: WebhookEndpoint) -> WebhookEvent:
    """A `webhook.test` event to this endpoint only, signed and retried like any other."""
    if endpoint.organization_id != organization.pk:
        raise ValueError("The endpoint belongs to another organization.")
    return webhook_event_emit(
        organization=organization,
        event_type=TEST_EVENT_TYPE,
        payload={"message": "A test event from the Integrations page.", "sent_at": timezone.now().isoformat()},
        endpoints=[endpoint],
    )
