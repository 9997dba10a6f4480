"""The Configuration tab's import, previewed before it is applied (issue 17 item 5), and deleting a role there."""

import json
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from oteapp.models import AuditEvent, SalesRole
from tests.factories import rep_create
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}
WITHOUT_SETTERS = {"version": "2.0", "organization": {"deal_value": 12000}, "roles": {"closer": {}, "manager": {}}}


def url(organization, tail: str = "") -> str:
    return f"/o/{organization.slug}/configuration/{tail}"


def preview(client, organization, document: dict, **headers):
    upload = SimpleUploadedFile("configuration.json", json.dumps(document).encode(), content_type="application/json")
    return client.post(url(organization, "import/"), {"file": upload}, headers=headers)


def token_of(response) -> str:
    return re.search(r'name="token" value="([^"]+)"', response.content.decode())[1]


def keys(organization) -> set[str]:
    return set(SalesRole.unscoped.filter(organization=organization).values_list("key", flat=True))


def test_a_file_is_previewed_with_every_change_then_applied(owner_client, organization):
    before = tenant_rows_fingerprint()
    shown = preview(owner_client, organization, WITHOUT_SETTERS)

    body = shown.content.decode()
    assert shown.status_code == 200 and "Preview: what this file will change" in body
    assert "Roles to delete" in body and "<strong>Setters</strong>" in body
    assert "deal_value" in body and "<strong>12000</strong>" in body
    assert tenant_rows_fingerprint() == before  # a preview writes nothing

    applied = owner_client.post(url(organization, "import/apply/"), {"token": token_of(shown)}, headers=HTMX)
    assert "Configuration imported: 1 setting updated, 1 role deleted." in applied.content.decode()
    assert keys(organization) == {"closer", "manager"}


def test_a_file_that_drops_a_staffed_role_is_refused_on_the_page(owner_client, organization):
    rep_create(organization, name="Eli", role="setter")
    before = tenant_rows_fingerprint()
    refused = preview(owner_client, organization, WITHOUT_SETTERS)
    assert refused.status_code == 422
    assert (
        "the file leaves out the role setter (Setters), which 1 rep still belongs to: Eli" in refused.content.decode()
    )
    assert tenant_rows_fingerprint() == before


def test_applying_after_someone_changed_the_configuration_shows_the_preview_again(owner_client, organization):
    shown = preview(owner_client, organization, WITHOUT_SETTERS)
    SalesRole.unscoped.filter(organization=organization, key="closer").update(name="Hunters")  # someone else
    before = tenant_rows_fingerprint()

    again = owner_client.post(url(organization, "import/apply/"), {"token": token_of(shown)})

    body = again.content.decode()
    assert again.status_code == 409
    assert "The configuration was changed" in body and "Preview: what this file will change" in body
    assert tenant_rows_fingerprint() == before
    assert token_of(again) != token_of(shown)  # the fresh preview carries today's version


def test_a_forged_token_changes_nothing(owner_client, organization):
    before = tenant_rows_fingerprint()
    response = owner_client.post(url(organization, "import/apply/"), {"token": "forged"})
    assert response.status_code == 400 and "could not be verified" in response.content.decode()
    assert tenant_rows_fingerprint() == before


def test_deleting_a_role_is_confirmed_then_audited(owner_client, owner, organization):
    confirmation = owner_client.get(url(organization, "roles/setter/delete/?month=2026-10"))
    body = confirmation.content.decode()
    assert confirmation.status_code == 200 and "Delete the role Setters?" in body
    version = re.search(r'name="version" value="([^"]+)"', body)[1]

    deleted = owner_client.post(url(organization, "roles/setter/delete/?month=2026-10"), {"version": version})

    assert deleted.status_code == 302 and keys(organization) == {"closer", "manager"}
    event = AuditEvent.unscoped.get(organization=organization, action="role_delete")
    assert (event.subject, event.actor) == ("Setters", owner)


def test_a_role_with_reps_says_who_and_is_kept(owner_client, organization):
    rep_create(organization, name="Ana", role="closer")
    response = owner_client.get(url(organization, "roles/closer/delete/"), headers=HTMX)
    assert response.status_code == 200  # htmx swaps only 2xx
    assert "Closers cannot be deleted: 1 rep belongs to it (Ana). Move them to another role first." in (
        response.content.decode()
    )
    refused = owner_client.post(url(organization, "roles/closer/delete/"), {})
    assert refused.status_code == 409 and "closer" in keys(organization)
    assert owner_client.get(url(organization, "roles/nobody/delete/")).status_code == 404
