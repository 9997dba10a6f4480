"""The API's statements and payroll (SPEC sections 12 and 16) on worked example B: the numbers of the statement
pages and the command line, the payroll CSV's rows, and only for an approved month."""

import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import organization_context
from oteapp.payouts.services import month_approve, month_reopen
from tests.api.client import ApiClient, key_for
from tests.factories import organization_with_members, team_bulk_create
from tests.payouts.conftest import EXAMPLE_B, OCT, SEP

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("month", list(EXAMPLE_B))
def test_statements_are_the_command_lines_and_the_statement_pages_numbers(
    api, owner_client, organization, example_b, month
):
    response = api.get("/api/v1/statements", month=month)

    assert response.status_code == 200
    assert response.json() == json.loads(run("statements", organization.slug, "--month", month, "--format", "json"))
    (ana,) = response.json()["statements"]
    commission, adjustments, earned, recovery, payout, balance = EXAMPLE_B[month]
    assert (ana["rep_id"], ana["commission"], ana["adjustments"], ana["earned"]) == (
        example_b.pk, commission, adjustments, earned,
    )
    assert (ana["draw_recovery"], ana["payout"], ana["balance_after"]) == (recovery, payout, balance)
    page = owner_client.get(f"/o/{organization.slug}/statements/{example_b.pk}/?month={month}").content.decode()
    assert f'data-figure="payout">${payout:,.2f}<' in page


def test_statements_say_the_months_state(api, owner, organization, example_b):
    assert api.get("/api/v1/statements", month="2026-09").json()["state"] == "closed"
    with organization_context(organization):
        month_approve(organization=organization, actor=owner, month=SEP)
    assert api.get("/api/v1/statements", month="2026-09").json()["state"] == "approved"
    assert api.get("/api/v1/statements", month="2099-01").json() == {
        "month": "2099-01", "state": "open", "currency": "USD", "statements": [],
    }


def test_payroll_of_an_approved_month_is_the_payroll_csvs_rows(api, owner, owner_client, organization, example_b):
    with organization_context(organization):
        month_approve(organization=organization, actor=owner, month=SEP)

    response = api.get("/api/v1/payroll", month="2026-09")

    assert response.status_code == 200
    body = response.json()
    assert (body["month"], body["currency"]) == ("2026-09", "USD")
    exported = owner_client.get(f"/o/{organization.slug}/payouts/2026-09/payroll.csv").content.decode()
    header, *rows = list(csv.reader(io.StringIO(exported)))
    assert [[str(row[column]) for column in header] for row in body["rows"]] == rows
    assert body["rows"][0]["rep_id"] == example_b.pk
    assert (body["rows"][0]["payout"], body["rows"][0]["approved_by"]) == ("10690.50", owner.email)


def test_payroll_of_a_month_not_approved_is_a_409_problem(api, owner, organization, example_b):
    closed = api.get("/api/v1/payroll", month="2026-10")
    assert closed.status_code == 409
    assert closed["Content-Type"] == "application/problem+json"
    problem = closed.json()
    assert problem["type"].endswith("/month-not-approved")
    assert problem["errors"] == [
        {"field": "month", "detail": "2026-10 is closed: payroll exports an approved month only; approve it first."}
    ]
    with organization_context(organization):
        month_approve(organization=organization, actor=owner, month=OCT)
        month_reopen(organization=organization, actor=owner, month=OCT, reason="late SPIFF")
    assert api.get("/api/v1/payroll", month="2026-10").status_code == 409  # reopened: no longer approved
    missing = api.get("/api/v1/payroll")
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "month"
    assert api.get("/api/v1/statements", month="2026-13").json()["errors"][0]["field"] == "month"


def _queries(api: ApiClient, path: str) -> int:
    api.get(path, month="2026-10")  # the key's last use recorded once, outside the count
    with CaptureQueriesContext(connection) as captured:
        api.get(path, month="2026-10")
    return len(captured)


@pytest.mark.parametrize("path", ["/api/v1/statements", "/api/v1/payroll"])
def test_statements_and_payroll_take_as_many_queries_for_3_reps_and_1_month_as_for_60_and_12(owner, path):
    counts = []
    for number, (reps, months) in enumerate(((3, 1), (60, 12))):
        organization = organization_with_members(f"Team {number}", owner=owner)
        team_bulk_create(organization, reps=reps, months=months)
        with organization_context(organization):
            month_approve(organization=organization, actor=None, month=OCT)
        counts.append(_queries(ApiClient(key_for(organization)), path))
    assert counts[0] == counts[1]
