"""The API against another organization's data: every operation, enumerated from the OpenAPI document, called
with a key of organization B about organization A's objects. Anything naming one of A's objects is 404; nothing of
A is shown or changed; a month's statements and payroll are B's own (none), never A's."""

import json
from datetime import date

import pytest
from django.db import connection
from django.test import Client

from accounts.tenancy import organization_context
from oteapp.api.keys import api_key_create
from oteapp.payouts.services import month_approve
from tests.factories import actual_create, rep_create
from tests.routes import api_operations

pytestmark = pytest.mark.django_db

OPERATIONS = api_operations()
MONTH = date(2026, 10, 1)
# A body each write accepts, naming A's rep by name: it must act on B's organization only.
BODIES = {
    "post": {"name": "Ana", "role": "closer"},
    "patch": {"end_date": "2026-12-31", "plan": {"annual_ote": "1"}},
    "put /api/v1/actuals": {"rows": [{"month": "2026-10", "rep": "Ana", "role": "closer", "deals": 99}]},
}


def organization_rows_fingerprint(organization_id: int) -> list:
    """Every row of one organization in every tenant table."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE column_name = 'organization_id' AND table_schema = 'public' ORDER BY table_name"
        )
        tables = [row[0] for row in cursor.fetchall()]
        fingerprint = []
        for table in tables:
            cursor.execute(
                f"SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \"{table}\" t "
                "WHERE organization_id = %s",
                [organization_id],
            )
            fingerprint.append((table, cursor.fetchone()[0]))
    return fingerprint


def test_the_api_operations_are_enumerated():
    assert {(op.method, op.path) for op in OPERATIONS} >= {
        ("get", "/api/v1/report"), ("get", "/api/v1/reps"), ("post", "/api/v1/reps"),
        ("patch", "/api/v1/reps/{rep_id}"), ("get", "/api/v1/actuals"), ("put", "/api/v1/actuals"),
        ("get", "/api/v1/config"), ("put", "/api/v1/config"), ("get", "/api/v1/statements"),
        ("get", "/api/v1/payroll"),
    }


@pytest.fixture
def victim(organization):
    rep = rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    actual_create(organization, rep=rep, month=MONTH, deals=5)
    with organization_context(organization):
        month_approve(organization=organization, actor=None, month=MONTH)  # A has statements and a payroll
    return rep


@pytest.mark.parametrize("operation", OPERATIONS, ids=lambda op: f"{op.method} {op.path}")
def test_a_key_of_another_organization_sees_and_changes_nothing(operation, organization, other_organization, victim):
    with organization_context(other_organization):
        _, key = api_key_create(organization=other_organization, actor=None, name="intruder", scope="write")
    client = Client(headers={"Authorization": f"Bearer {key}"})
    before = organization_rows_fingerprint(organization.pk)
    url = operation.url(object_id=victim.pk)
    if operation.method == "get":
        response = client.get(url, {"month": "2026-10"})
    else:
        if operation.path == "/api/v1/config":
            body = client.get("/api/v1/config").json()
        else:
            body = BODIES.get(f"{operation.method} {operation.path}", BODIES.get(operation.method, {}))
        response = getattr(client, operation.method)(url, json.dumps(body), content_type="application/json")

    if operation.path in {"/api/v1/statements", "/api/v1/payroll"}:
        # B's own month: no statements of B's, and B's month is not approved (A's is).
        assert response.status_code == (200 if operation.path.endswith("statements") else 409)
        assert "Ana" not in response.content.decode()
    if operation.names_an_object:
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
    else:
        assert response.status_code < 500
        text = response.content.decode()
        assert "Acme" not in text
        if operation.method == "get" and operation.path != "/api/v1/report":
            assert '"Ana"' not in text and str(victim.pk) not in json.dumps(
                [item.get("id") for item in response.json().get("items", [])]
            )
    assert organization_rows_fingerprint(organization.pk) == before
