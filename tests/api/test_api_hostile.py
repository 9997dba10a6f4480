"""Requests a hostile or careless client sends: each is a problem+json answer naming what is wrong (never a 500),
and nothing is written."""

import json
from datetime import date

import pytest
from django.test import Client

from accounts.tenancy import organization_context
from oteapp.models import MonthlyActual, Rep
from tests.api.client import key_for
from tests.factories import rep_create

pytestmark = pytest.mark.django_db
ROW = {"rows": [{"month": "2026-10", "rep": "Ana", "deals": 3}]}


@pytest.fixture
def ana(organization):
    return rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))


@pytest.fixture
def writer(organization):
    return Client(headers={"Authorization": f"Bearer {key_for(organization)}"})


def assert_problem(response, status: int, field: str | None = None) -> dict:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    if field is not None:
        assert field in [error["field"] for error in problem["errors"]], problem
    return problem


@pytest.mark.parametrize(
    "token",
    [
        "ote_" + "\x00" * 8 + "_secret",
        "ote_ab\x00defgh_secret",
        "ote_abc/e'gh_secret",
        "ote_ééééé\u00a0gh_secret",
        "ote_" + "\ud800" * 8 + "_secret",
        "ote_abcdefgh_sec\ud800ret",
        "ote_abcdefgh_sec\x00ret",
        "ote_abcdefgh_" + "s" * 100_000,
    ],
    ids=lambda token: repr(token[:30]),
)
def test_a_bearer_key_with_characters_no_key_has_is_401_not_500(client, token):
    response = client.get("/api/v1/reps", headers={"Authorization": f"Bearer {token}"})
    assert_problem(response, 401)


def test_a_body_over_the_upload_limit_is_413_and_writes_nothing(writer, organization, ana, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = {"rows": [{**ROW["rows"][0], "revenue": "1" * 2000}]}
    response = writer.put("/api/v1/actuals", json.dumps(body), content_type="application/json")
    problem = assert_problem(response, 413)
    assert "1000" in problem["detail"]
    with organization_context(organization):
        assert not MonthlyActual.objects.exists()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
def test_a_write_whose_body_is_not_declared_json_is_415_and_writes_nothing(writer, organization, ana, content_type):
    response = writer.put("/api/v1/actuals", json.dumps(ROW), content_type=content_type)
    assert_problem(response, 415, "Content-Type")
    with organization_context(organization):
        assert not MonthlyActual.objects.exists()


@pytest.mark.parametrize("content_type", ["application/json; charset=utf-8", "application/merge-patch+json"])
def test_json_content_types_with_parameters_or_a_suffix_are_accepted(writer, ana, content_type):
    response = writer.put("/api/v1/actuals", json.dumps(ROW), content_type=content_type)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        '{"rows": ' + "[" * 50000 + "]" * 50000 + "}",  # deeper than the parser's recursion
        '{"rows": [{"month": "2026-10", "rep": "Ana", "revenue": ' + "9" * 5000 + "}]}",  # over int's digit limit
        b'{"rows": [{"month": "2026-10", "rep": "\xff", "deals": 1}]}',  # not UTF-8
    ],
    ids=["deep", "long-integer", "not-utf8"],
)
def test_a_body_json_cannot_read_is_the_malformed_problem(writer, organization, ana, body):
    problem = assert_problem(writer.put("/api/v1/actuals", body, content_type="application/json"), 400)
    assert problem["type"].endswith("/malformed")
    with organization_context(organization):
        assert not MonthlyActual.objects.exists()


@pytest.mark.parametrize("period", ["9999-Q4", "9999-12", "9999-ytd", "0000-Q1", "1899-Q4"])
def test_a_period_beyond_the_calendar_is_a_problem_naming_it(writer, period):
    assert_problem(writer.get("/api/v1/report", {"period": period}), 422, "period")


def test_an_email_longer_than_the_column_is_a_problem_naming_it(writer, organization):
    email = "a" * 250 + "@example.com"
    response = writer.post(
        "/api/v1/reps", json.dumps({"name": "Bea", "role": "closer", "email": email}), content_type="application/json"
    )
    assert_problem(response, 422, "email")
    with organization_context(organization):
        assert not Rep.objects.exists()


@pytest.mark.parametrize("plan", [{"annual_otee": "90000"}, {"annual_ote": "90000", "bonus": 1}])
def test_an_unknown_plan_figure_is_refused_naming_it(writer, organization, ana, plan):
    response = writer.patch(f"/api/v1/reps/{ana.pk}", json.dumps({"plan": plan}), content_type="application/json")
    problem = assert_problem(response, 422)
    assert any(error["field"].startswith("plan.") for error in problem["errors"]), problem
    with organization_context(organization):
        assert Rep.objects.get().annual_ote is None


def test_a_plan_that_is_not_an_object_is_refused_naming_it(writer, ana):
    response = writer.patch(f"/api/v1/reps/{ana.pk}", json.dumps({"plan": []}), content_type="application/json")
    assert_problem(response, 422, "plan")


def test_without_redis_the_rate_limit_lets_requests_through_and_says_so(writer, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    settings.API_RATE_LIMIT = 1
    assert [writer.get("/api/v1/reps").status_code for _ in range(2)] == [200, 200]
    assert "API rate limit not checked" in caplog.text


@pytest.mark.parametrize(
    ("method", "path"),
    [("delete", "/api/v1/reps/1"), ("post", "/api/v1/report"), ("put", "/api/v1/reps"), ("options", "/api/v1/reps")],
)
def test_a_method_an_operation_does_not_take_is_a_405_problem_with_allow(writer, method, path):
    response = getattr(writer, method)(path)
    assert_problem(response, 405)
    assert response["Allow"]


@pytest.mark.parametrize("authorization", [True, False])
def test_a_path_the_api_does_not_have_is_a_404_problem(client, organization, authorization):
    headers = {"Authorization": f"Bearer {key_for(organization)}"} if authorization else {}
    assert_problem(client.get("/api/v1/nothing-here", headers=headers), 404)
    assert_problem(client.get("/api/v1/reps/", headers=headers), 404)


def test_an_answer_to_a_key_is_not_stored_by_any_cache(writer):
    """Payroll, statements and emails: the same `private, no-store` as a signed-in page's answers."""
    for path in ["/api/v1/reps", "/api/v1/statements?month=2026-10", "/api/v1/report?month=2026-13"]:
        cache_control = writer.get(path)["Cache-Control"]
        assert "no-store" in cache_control and "private" in cache_control, path


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([{"month": "2026-10", "rep": "ana", "role": "closer", "deals": 1}], "rows[0].rep"),
        ([{"month": "2026-10", "rep": "ANA", "deals": 1}], "rows[0].rep"),
        (
            [
                {"month": "2026-10", "rep": "Bo", "role": "closer", "deals": 1},
                {"month": "2026-11", "rep": "BO", "role": "closer", "deals": 2},
            ],
            "rows[1].rep",
        ),
    ],
    ids=["existing-lower", "existing-upper", "two-new"],
)
def test_a_rep_named_in_other_letter_case_is_refused_not_created_twice(writer, organization, ana, rows, field):
    """Rep names are unique whatever their case (rep_create); an import must not create "ana" beside "Ana"."""
    response = writer.put("/api/v1/actuals", json.dumps({"rows": rows}), content_type="application/json")
    assert_problem(response, 422, field)
    with organization_context(organization):
        assert list(Rep.objects.values_list("name", flat=True)) == ["Ana"]
        assert not MonthlyActual.objects.exists()


@pytest.mark.parametrize(
    ("reps", "field"),
    [
        ([{"name": "ana", "role": "closer"}], "reps[0].name"),
        ([{"name": "Zed", "role": "closer"}, {"name": "ZED", "role": "closer"}], "reps[1].name"),
    ],
    ids=["existing", "two-new"],
)
def test_a_configuration_naming_a_rep_in_other_letter_case_is_refused(writer, organization, ana, reps, field):
    body = json.dumps({"version": "2.0", "reps": reps})
    for query in ["?dry_run=true", ""]:
        assert_problem(writer.put(f"/api/v1/config{query}", body, content_type="application/json"), 422, field)
    with organization_context(organization):
        assert list(Rep.objects.values_list("name", flat=True)) == ["Ana"]


def test_an_idempotency_key_used_by_two_organizations_answers_each_its_own(writer, organization, other_organization):
    other = Client(headers={"Authorization": f"Bearer {key_for(other_organization)}"})
    headers = {"Idempotency-Key": "shared-by-accident"}
    body = json.dumps({"name": "Cy", "role": "closer"})
    mine = writer.post("/api/v1/reps", body, content_type="application/json", headers=headers)
    theirs = other.post("/api/v1/reps", body, content_type="application/json", headers=headers)
    assert mine.status_code == theirs.status_code == 201
    assert "Idempotent-Replayed" not in theirs and theirs.json()["id"] != mine.json()["id"]
    with organization_context(other_organization):
        assert Rep.objects.get().pk == theirs.json()["id"]


@pytest.mark.parametrize("key", ["k" * 256, " ", "a\x00b"], ids=["too-long", "blank", "nul"])
def test_an_idempotency_key_that_cannot_be_kept_is_refused_naming_the_header(writer, organization, key):
    response = writer.post(
        "/api/v1/reps",
        json.dumps({"name": "Cy", "role": "closer"}),
        content_type="application/json",
        headers={"Idempotency-Key": key},
    )
    assert_problem(response, 422, "Idempotency-Key")
    with organization_context(organization):
        assert not Rep.objects.exists()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"month": "\u0662\u0660\u0662\u0666-\u0661\u0660"}, "month"),  # 2026-10 in Arabic-Indic digits
        ({"period": "\u0662\u0660\u0662\u0666-\u0661\u0660"}, "period"),
        ({"period": "\uff12\uff10\uff12\uff16-Q1"}, "period"),  # 2026-Q1 in fullwidth digits
    ],
    ids=["arabic-indic-month", "arabic-indic-period", "fullwidth-quarter"],
)
def test_a_month_or_period_in_other_digits_is_not_yyyy_mm(writer, params, field):
    assert_problem(writer.get("/api/v1/report", params), 422, field)
