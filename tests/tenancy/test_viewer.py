import pytest

from tests.factories import UserFactory, organization_with_members, rep_create
from tests.routes import organization_routes
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", organization_routes(), ids=lambda r: r.name)
def test_a_viewer_sees_pages_but_changes_nothing(client, route):
    viewer, owner = UserFactory(), UserFactory()
    organization = organization_with_members("Viewed Co", owner=owner, viewer=viewer)
    rep_create(organization, name="Ana", role="closer")
    client.force_login(viewer)
    before = tenant_rows_fingerprint()

    response = client.post(route.url(org_slug=organization.slug), {"email": "x@y.example", "role": "owner"})

    assert response.status_code in (403, 405), response.status_code
    assert tenant_rows_fingerprint() == before
