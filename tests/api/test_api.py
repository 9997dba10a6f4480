"""The API of SPEC section 16 against PostgreSQL, as a program would call it; every answer is checked against the
OpenAPI document (tests/api/conftest.py)."""

import json
from datetime import date
from decimal import Decimal

import pytest
from openapi_spec_validator import validate

from accounts.tenancy import organization_context
from oteapp.engine import report_to_json
from oteapp.models import ApiKey, AuditEvent, IdempotentRequest, MonthlyActual, Rep
from oteapp.payouts.services import month_approve
from oteapp.selectors import month_report_get
from tests.api.client import SEEN, ApiClient, key_for, openapi_document
from tests.factories import actual_create, rep_create

pytestmark = pytest.mark.django_db
MONTH = date(2026, 10, 1)


def test_the_openapi_document_is_valid_and_served(client):
    validate(openapi_document())
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    served = response.json()
    assert served["openapi"].startswith("3.1")
    assert set(served["paths"]) >= {"/api/v1/report", "/api/v1/reps", "/api/v1/reps/{rep_id}", "/api/v1/actuals",
                                    "/api/v1/config", "/api/v1/statements", "/api/v1/payroll"}
    assert served["components"]["securitySchemes"]["ApiKeyAuth"]["scheme"] == "bearer"


def test_the_docs_page_is_rendered_from_the_openapi_document(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    for path, operations in openapi_document()["paths"].items():
        for method in operations:
            assert f"<code>{method.upper()} {path}</code>" in html
    assert 'id="schema-ActualsUpsert"' in html and "<script" not in html.split("</head>")[1]


def test_without_a_key_or_with_a_wrong_one_the_answer_is_401_problem(client, organization):
    response = client.get("/api/v1/reps")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"].startswith("Bearer")
    key = key_for(organization)
    forged = key[:-4] + ("aaaa" if not key.endswith("aaaa") else "bbbb")
    assert client.get("/api/v1/reps", headers={"Authorization": f"Bearer {forged}"}).status_code == 401


def test_a_revoked_key_stops_working(organization):
    api = ApiClient(key_for(organization))
    assert api.get("/api/v1/reps").status_code == 200
    with organization_context(organization):
        ApiKey.objects.update(revoked_at="2026-01-01T00:00:00Z")
    assert api.get("/api/v1/reps").status_code == 401


def test_the_month_report_is_the_command_lines_contract(api, organization):
    rep = rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    actual_create(organization, rep=rep, month=MONTH, deals=5)
    response = api.get("/api/v1/report", month="2026-10")
    assert response.status_code == 200
    with organization_context(organization):
        expected = json.loads(report_to_json(month_report_get(organization=organization, month=MONTH).report))
    assert response.json() == expected
    assert list(response.json()) == list(expected)  # the contract's key order too


def test_a_period_report(api, organization):
    response = api.get("/api/v1/report", period="2026-Q4")
    assert response.status_code == 200
    assert response.json()["period"] == "2026-Q4"


@pytest.mark.parametrize(
    ("params", "field"),
    [({}, "month"), ({"month": "2026-13"}, "month"), ({"period": "2026-Q9"}, "period"),
     ({"month": "2026-10", "period": "2026-Q4"}, "period")],
)
def test_a_bad_month_or_period_is_a_problem_naming_it(api, params, field):
    response = api.get("/api/v1/report", **params)
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_reps_are_listed_page_by_page_with_a_cursor(api, organization):
    for index in range(5):
        rep_create(organization, name=f"Rep {index}", role="closer")
    first = api.get("/api/v1/reps", limit=2).json()
    assert [rep["name"] for rep in first["items"]] == ["Rep 0", "Rep 1"]
    second = api.get("/api/v1/reps", limit=2, cursor=first["next_cursor"]).json()
    third = api.get("/api/v1/reps", limit=2, cursor=second["next_cursor"]).json()
    assert [rep["name"] for rep in second["items"] + third["items"]] == ["Rep 2", "Rep 3", "Rep 4"]
    assert third["next_cursor"] is None
    bad = api.get("/api/v1/reps", cursor="not-a-cursor")
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "cursor"


def test_a_rep_is_added_through_the_service_and_audited_with_its_key(api, organization):
    response = api.send("post", "/api/v1/reps", {"name": "Bea", "role": "setter", "start_date": "2026-01-05"})
    assert response.status_code == 201
    assert response.json()["role"] == "setter"
    with organization_context(organization):
        event = AuditEvent.objects.get(action="rep_create", field="name")
        assert event.api_key.name == "write key"
        assert event.actor is None


def test_a_duplicate_rep_name_or_an_unknown_role_names_the_field(api, organization):
    rep_create(organization, name="Ana", role="closer")
    duplicate = api.send("post", "/api/v1/reps", {"name": "ana", "role": "closer"})
    assert duplicate.status_code == 422
    assert duplicate.json()["errors"][0]["field"] == "name"
    unknown = api.send("post", "/api/v1/reps", {"name": "Cy", "role": "wizard"})
    assert unknown.json()["errors"][0]["field"] == "role"
    missing = api.send("post", "/api/v1/reps", {"role": "closer"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "name"


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "Ana\u0000", "role": "closer"}, "name"), ({"name": "\ud800", "role": "closer"}, "name"),
     ({"name": "Bea", "role": "clo\u0000ser"}, "role"), ({"name": "Cy", "role": "closer", "email": "\u0000"}, "email")],
)
def test_text_the_database_cannot_store_is_refused_naming_the_field(api, organization, body, field):
    response = api.send("post", "/api/v1/reps", json.dumps(body))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field
    assert response.json()["errors"][0]["detail"].startswith("the text must not contain")
    with organization_context(organization):
        assert not Rep.objects.exists()


def test_a_rep_is_ended_and_given_a_plan(api, organization):
    rep = rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    response = api.send("patch", f"/api/v1/reps/{rep.pk}", {"end_date": "2026-11-30", "plan": {"annual_ote": "90000"}})
    assert response.status_code == 200
    assert response.json()["end_date"] == "2026-11-30"
    assert response.json()["plan"] == {"annual_ote": "90000"}
    bad = api.send("patch", f"/api/v1/reps/{rep.pk}", {"plan": {"commission_rate": "1.5"}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "plan.commission_rate"


def test_a_read_key_cannot_write(read_api, organization):
    rep = rep_create(organization, name="Ana", role="closer")
    attempts = [
        ("post", "/api/v1/reps", {"name": "Bea", "role": "closer"}),
        ("patch", f"/api/v1/reps/{rep.pk}", {"end_date": "2026-12-31"}),
        ("put", "/api/v1/actuals", {"rows": [{"month": "2026-10", "rep": "Ana", "deals": 3}]}),
        ("put", "/api/v1/config", {"version": "2.0"}),
    ]
    for method, path, body in attempts:
        response = read_api.send(method, path, body)
        assert response.status_code == 403, path
        assert response.json()["type"].endswith("/read-only-key")
    with organization_context(organization):
        assert Rep.objects.count() == 1 and MonthlyActual.objects.count() == 0
    assert read_api.get("/api/v1/reps").status_code == 200
    # Reading pay is reading: the statements, and the payroll (409 here only because nothing is approved).
    assert read_api.get("/api/v1/statements", month="2026-10").status_code == 200
    assert read_api.get("/api/v1/payroll", month="2026-10").status_code == 409


def test_actuals_are_upserted_all_or_nothing_through_the_import(api, organization):
    rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    rows = [
        {"month": "2026-10", "rep": "Ana", "deals": 5, "revenue": "56700"},
        {"month": "2026-10", "rep": "Newt", "role": "setter", "meetings": 20},
    ]
    response = api.send("put", "/api/v1/actuals", {"rows": rows})
    assert response.status_code == 200
    assert response.json() == {"rows": 2, "reps_created": 1, "actuals_created": 2, "actuals_updated": 0,
                               "actuals_unchanged": 0, "months": ["2026-10"]}
    listed = api.get("/api/v1/actuals", month="2026-10").json()["items"]
    assert {(item["rep"], item["deals"], item["meetings"]) for item in listed} == {("Ana", "5", None),
                                                                                   ("Newt", None, "20")}
    bad = api.send("put", "/api/v1/actuals", {"rows": [
        {"month": "2026-11", "rep": "Ana", "deals": 4},
        {"month": "2026-11", "rep": "Ana", "deals": -1},
    ]})
    assert bad.status_code == 422
    assert [error["field"] for error in bad.json()["errors"]] == ["rows[1].deals"]
    with organization_context(organization):
        assert not MonthlyActual.objects.filter(month=date(2026, 11, 1)).exists()
        assert AuditEvent.objects.filter(action="actuals_import", api_key__isnull=False).exists()


def test_a_row_with_an_unknown_column_is_refused_naming_it(api):
    response = api.send("put", "/api/v1/actuals", {"rows": [{"month": "2026-10", "rep": "Ana", "dealz": 1}]})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "rows[0].dealz"


def test_malformed_json_is_a_400_problem(api):
    response = api.send("put", "/api/v1/actuals", "{not json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"


def test_a_retried_bulk_upsert_with_the_same_idempotency_key_writes_once(api, organization):
    rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    body = {"rows": [{"month": "2026-10", "rep": "Ana", "deals": 5}]}
    headers = {"Idempotency-Key": "3f1c6a0e-retry"}
    first = api.send("put", "/api/v1/actuals", body, headers=headers)
    with organization_context(organization):
        # Someone edits the row in between: a replay must not write it back.
        MonthlyActual.objects.update(deals=Decimal("7"), version=2)
        audit_before = AuditEvent.objects.count()
    again = api.send("put", "/api/v1/actuals", body, headers=headers)
    assert again.status_code == first.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    with organization_context(organization):
        actual = MonthlyActual.objects.get()
        assert (actual.deals, actual.version) == (Decimal("7"), 2)
        assert AuditEvent.objects.count() == audit_before
        assert IdempotentRequest.objects.count() == 1
    other = api.send("put", "/api/v1/actuals", {"rows": []}, headers=headers)
    assert other.status_code == 422
    assert other.json()["errors"][0]["field"] == "Idempotency-Key"


def test_a_refused_write_does_not_use_up_its_idempotency_key(api, organization):
    rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    headers = {"Idempotency-Key": "fix-and-retry"}
    bad = api.send("put", "/api/v1/actuals", {"rows": [{"month": "2026-10", "rep": "Ana", "deals": -5}]},
                   headers=headers)
    assert bad.status_code == 422
    with organization_context(organization):
        assert IdempotentRequest.objects.count() == 0


def test_the_configuration_round_trips_and_previews(api, organization):
    document = api.get("/api/v1/config").json()
    assert document["version"] == "2.0"
    document["organization"]["deal_value"] = 12000
    preview = api.send("put", "/api/v1/config?dry_run=true", document)
    assert preview.status_code == 200
    assert preview.json()["dry_run"] is True
    assert [(c["field"], c["new"]) for c in preview.json()["changes"]] == [("deal_value", "12000")]
    assert api.get("/api/v1/config").json()["organization"]["deal_value"] != 12000  # nothing written
    applied = api.send("put", f"/api/v1/config?expected_preview={preview.json()['preview']}", document)
    assert applied.status_code == 200 and applied.json()["settings_updated"] == 1
    assert api.get("/api/v1/config").json()["organization"]["deal_value"] == 12000
    stale = api.send("put", f"/api/v1/config?expected_preview={preview.json()['preview']}",
                     {**document, "organization": {**document["organization"], "deal_value": 13000}})
    assert stale.status_code == 409


def test_a_bad_configuration_names_the_field_and_changes_nothing(api):
    document = api.get("/api/v1/config").json()
    document["roles"]["closer"]["annual_ote"] = -5
    response = api.send("put", "/api/v1/config", document)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "roles.closer.annual_ote"
    old = api.send("put", "/api/v1/config", {"version": "1.1"})
    assert old.json()["errors"][0]["field"] == "version"


def test_over_the_rate_limit_the_answer_is_429_with_retry_after(api, settings):
    settings.API_RATE_LIMIT = 3
    statuses = [api.get("/api/v1/reps").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = api.get("/api/v1/reps")
    assert 1 <= int(response["Retry-After"]) <= settings.API_RATE_LIMIT_WINDOW
    assert response.json()["type"].endswith("/rate-limited")


def test_the_key_records_when_it_was_last_used(api, organization):
    api.get("/api/v1/reps")
    with organization_context(organization):
        assert ApiKey.objects.get().last_used_at is not None


def test_contract_tour_every_documented_success_answer_is_exercised_and_matches(api, organization):
    """One pass over every operation's success answers; each answer is checked against the document as it arrives
    (ApiClient), and every documented 2xx answer must have been seen."""
    SEEN.clear()
    rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    api.get("/api/v1/report", month="2026-10")
    api.get("/api/v1/reps")
    created = api.send("post", "/api/v1/reps", {"name": "Bea", "role": "setter"}).json()
    api.send("patch", f"/api/v1/reps/{created['id']}", {"plan": {"monthly_quota": "30"}})
    api.send("put", "/api/v1/actuals", {"rows": [{"month": "2026-10", "rep": "Ana", "deals": 2}]})
    api.get("/api/v1/actuals", month="2026-10")
    document = api.get("/api/v1/config").json()
    api.send("put", "/api/v1/config?dry_run=true", document)
    api.send("put", "/api/v1/config", document)
    with organization_context(organization):
        month_approve(organization=organization, actor=None, month=MONTH)
    api.get("/api/v1/statements", month="2026-10")
    api.get("/api/v1/payroll", month="2026-10")
    documented = {
        (method, path, status)
        for path, operations in openapi_document()["paths"].items()
        for method, operation in operations.items()
        for status in operation["responses"]
        if status.startswith("2")
    }
    assert documented <= SEEN
