"""The Integrations page's key form refuses what cannot be stored, beside the field, and stores nothing."""

import pytest

from accounts.tenancy import organization_context
from oteapp.models import ApiKey

pytestmark = pytest.mark.django_db


def test_a_key_name_with_the_nul_character_is_refused_beside_its_field(owner_client, organization):
    response = owner_client.post(f"/o/{organization.slug}/integrations/keys/", {"name": "CRM\x00", "scope": "read"})
    assert response.status_code == 422
    assert '<p class="error" id="key-name-error">The name must not contain the NUL character.</p>' in (
        response.content.decode()
    )
    with organization_context(organization):
        assert not ApiKey.objects.exists()
