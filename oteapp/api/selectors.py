"""Reads of the API's keys, for the Integrations page."""

from django.db.models import QuerySet

from accounts.models import Organization
from oteapp.models import ApiKey


def api_keys_list(*, organization: Organization) -> QuerySet[ApiKey]:
    """Active keys first, newest first; revoked ones stay listed (the audit trail names them)."""
    return (
        ApiKey.objects.filter(organization=organization)
        .select_related("created_by")
        .order_by("revoked_at", "-created_at", "-id")
    )


def api_key_get(*, organization: Organization, api_key_id: int) -> ApiKey | None:
    return ApiKey.objects.filter(organization=organization, pk=api_key_id).first()
