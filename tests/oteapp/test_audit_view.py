"""The audit trail page: owners and admins only, newest first, paginated, filtered by kind of change."""

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import Membership
from accounts.tenancy import organization_context
from oteapp.models import AuditEvent, OrganizationSettings
from oteapp.services.audit import audit_changes
from tests.factories import UserFactory
from tests.factories import rep_create as make_rep

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def audit_url(organization, query: str = "") -> str:
    return f"/o/{organization.slug}/audit/{query}"


def member_client(organization, role: str) -> Client:
    user = UserFactory()
    with organization_context(organization):
        Membership.objects.create(organization=organization, user=user, role=role)
    client = Client()
    client.force_login(user)
    return client


def record(organization, actor, action: str, subject: str, *changes) -> None:
    with organization_context(organization):
        audit_changes(organization=organization, actor=actor, action=action, subject=subject, changes=changes)


@pytest.fixture
def trail(organization, owner):
    record(organization, owner, "config_import", "role closer", ("annual_ote", "60000", "72000"))
    record(organization, owner, "config_import", "role setter", ("monthly_quota", "40", "45"))
    record(organization, owner, "config_import", "role manager", ("commission_rate", "0.03", "0.04"))
    record(organization, owner, "config_import", "organization settings", ("timezone", "UTC", "Europe/Paris"))
    record(organization, None, "actuals_import", "rep Bo", ("role", "", "closer"))
    record(organization, owner, "actual_update", "Ana · 2026-10", ("deals", "5", "6"))


def subjects(response) -> list[str]:
    return [event.subject for event in response.context["page_obj"]]


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("manager", 403), ("viewer", 403)])
def test_only_owners_and_admins_see_the_trail(organization, role, status):
    assert member_client(organization, role).get(audit_url(organization)).status_code == status


def test_the_trail_shows_who_changed_what_from_what_to_what_newest_first(owner_client, organization, trail):
    OrganizationSettings.unscoped.filter(organization=organization).update(timezone="America/New_York")
    response = owner_client.get(audit_url(organization))

    assert response.status_code == 200
    assert subjects(response) == [
        "Ana · 2026-10", "rep Bo", "organization settings", "role manager", "role setter", "role closer",
    ]
    html = response.content.decode()
    row = html[html.index("Ana · 2026-10") - 300 : html.index("Ana · 2026-10") + 300]
    assert "owner@acme.example" in row and "Edited in the grid" in row and "<strong>6</strong>" in row
    assert "times in America/New_York" in html
    assert '<span class="muted">system</span>' in html  # the import without an actor


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("actuals", ["Ana · 2026-10"]),
        ("ote", ["role closer"]),
        ("quota", ["role setter"]),
        ("rate", ["role manager"]),
        ("reps", ["rep Bo"]),
        ("other", ["organization settings"]),
        ("nonsense", None),
    ],
)
def test_the_trail_filters_by_kind_of_change(owner_client, organization, trail, kind, expected):
    response = owner_client.get(audit_url(organization, f"?kind={kind}"))
    if expected is None:  # an unknown kind shows everything
        assert len(subjects(response)) == 6 and response.context["kind"] == ""
    else:
        assert subjects(response) == expected


def test_a_grid_edit_and_a_rep_change_appear_in_the_trail(owner_client, organization):
    ana = make_rep(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    owner_client.post(f"/o/{organization.slug}/actuals/rows/{ana.pk}/2026-10/", {"version": "0", "deals": "4"})
    owner_client.post(f"/o/{organization.slug}/actuals/reps/end/", {"end-rep": ana.pk, "end-end_date": "2026-12-31"})

    assert subjects(owner_client.get(audit_url(organization, "?kind=actuals"))) == ["Ana · 2026-10"]
    assert subjects(owner_client.get(audit_url(organization, "?kind=reps"))) == ["rep Ana"]


def test_the_trail_is_paginated_by_fifty_and_keeps_the_filter(owner_client, organization, owner):
    with organization_context(organization):
        AuditEvent.objects.bulk_create(
            AuditEvent(organization=organization, actor=owner, action="actual_update", subject=f"Rep {i:03d} · 2026-10",
                       field="deals", old_value="", new_value=str(i))
            for i in range(120)
        )
    first = owner_client.get(audit_url(organization, "?kind=actuals"))
    last = owner_client.get(audit_url(organization, "?kind=actuals&page=3"))

    assert len(subjects(first)) == 50 and len(subjects(last)) == 20
    assert 'href="?kind=actuals&amp;page=2"' in first.content.decode()
    assert owner_client.get(audit_url(organization, "?page=999")).context["page_obj"].number == 3


def test_the_trail_is_an_htmx_partial_too(owner_client, organization, trail):
    response = owner_client.get(audit_url(organization), headers=HTMX)
    assert b"<html" not in response.content and b'id="tab"' in response.content
    assert "HX-Request" in response["Vary"]


def test_another_organizations_trail_is_invisible(owner_client, organization, other_organization):
    record(other_organization, None, "config_import", "role closer", ("annual_ote", "1", "2"))
    assert subjects(owner_client.get(audit_url(organization))) == []
    assert owner_client.get(audit_url(other_organization)).status_code == 404


def test_queries_per_page_do_not_grow_with_the_trail(owner_client, organization, owner):
    owner_client.get(audit_url(organization))  # the first visit also stores the organization in the session
    counts = []
    for total in (3, 600):
        with organization_context(organization):
            AuditEvent.objects.all().delete()
            AuditEvent.objects.bulk_create(
                AuditEvent(organization=organization, actor=owner if i % 2 else UserFactory(), action="actual_update",
                           subject=f"Rep {i} · 2026-10", field="deals", old_value="1", new_value="2")
                for i in range(total)
            )
        with CaptureQueriesContext(connection) as queries:
            assert owner_client.get(audit_url(organization, "?kind=actuals&page=2")).status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
