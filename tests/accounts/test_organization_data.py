import json
from datetime import date

import pytest

from accounts.models import MemberRole, Membership, Organization
from oteapp.models import MonthlyActual, Rep, SalesRole
from tests.factories import UserFactory, actual_create, organization_with_members, rep_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def filled(organization, other_organization):
    ana = rep_create(organization, name="Ana", role="closer")
    actual_create(organization, rep=ana, month=date(2026, 10, 1), deals=6)
    zed = rep_create(other_organization, name="Zed", role="closer")
    actual_create(other_organization, rep=zed, month=date(2026, 10, 1), deals=2)
    return organization


def test_owner_exports_everything_of_the_organization_and_nothing_else(owner_client, filled):
    response = owner_client.get(f"/o/{filled.slug}/organization/export/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="{filled.slug}-export.json"'
    data = json.loads(response.content)
    assert data["configuration"]["version"] == "2.0"
    assert [r["name"] for r in data["reps"]] == ["Ana"]
    assert data["actuals"] == [
        {**data["actuals"][0], "month": "2026-10", "rep": "Ana", "deals": "6.00"}
    ]
    assert [m["email"] for m in data["members"]] == ["owner@acme.example"]
    assert "Zed" not in response.content.decode()


def test_owner_deletes_the_organization_with_every_row(owner_client, filled, other_organization):
    response = owner_client.post(f"/o/{filled.slug}/organization/delete/", {"confirm": filled.slug})

    assert response["Location"] == "/"
    assert not Organization.objects.filter(pk=filled.pk).exists()
    for model in (Membership, SalesRole, Rep, MonthlyActual):
        assert not model.unscoped.filter(organization_id=filled.pk).exists()
    assert Rep.unscoped.filter(organization=other_organization).count() == 1


def test_deleting_needs_the_slug_typed_again(owner_client, filled):
    owner_client.post(f"/o/{filled.slug}/organization/delete/", {"confirm": "oops"})
    assert Organization.objects.filter(pk=filled.pk).exists()


@pytest.mark.parametrize("role", [MemberRole.ADMIN, MemberRole.MANAGER, MemberRole.VIEWER])
def test_only_owners_export_or_delete(client, role):
    user = UserFactory()
    organization = organization_with_members("Guarded", owner=UserFactory(), **{role: user})
    client.force_login(user)
    assert client.get(f"/o/{organization.slug}/organization/export/").status_code == 403
    delete_url = f"/o/{organization.slug}/organization/delete/"
    assert client.post(delete_url, {"confirm": organization.slug}).status_code == 403
    assert Organization.objects.filter(pk=organization.pk).exists()
