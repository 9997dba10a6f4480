"""Statements, adjustments, approval and payroll (SPEC section 12) through the pages, the services and the command
line: worked example B to the cent everywhere, the month's lock, and every bad input of issue 16 item 10 refused
with a clear message and nothing changed."""

import csv
import io
import json
import re
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import MemberRole, Membership
from accounts.tenancy import organization_context
from oteapp.models import Adjustment, AuditEvent, MonthApproval, MonthlyActual, Rep
from oteapp.payouts.services import PayoutError, adjustment_add, month_approve, month_reopen, rep_invite
from tests.factories import UserFactory, actual_create, organization_with_members, rep_create, team_bulk_create
from tests.payouts.conftest import EXAMPLE_B, OCT, SEP
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db

TIMES = "\u00d7"  # the multiplication sign of the statement's lines


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def money(value: float) -> str:
    return f"${value:,.2f}" if value >= 0 else f"-${-value:,.2f}"


def statement_figures(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-(?:figure|line)="(\w+)">([^<]+)<', html))


@pytest.mark.parametrize("month", list(EXAMPLE_B))
def test_worked_example_b_on_the_statement_page_to_the_cent(owner_client, organization, example_b, month):
    commission, _, earned, _, payout, balance = EXAMPLE_B[month]
    url = f"/o/{organization.slug}/statements/{example_b.pk}/?month={month}"

    body = owner_client.get(url).content.decode()

    figures = statement_figures(body)
    assert figures["earned"] == money(earned) and figures["payout"] == money(payout)
    assert figures["balance_after"] == money(balance)
    assert money(commission) in body
    if month == "2026-09":
        assert f"5 deals {TIMES} $1,134.00 {TIMES} 1 = $5,670.00" in body
        assert f"2.5 deals {TIMES} $1,134.00 {TIMES} 1.5" in body and "$4,252.50" in body
        assert f"0.5 deals {TIMES} $1,134.00 {TIMES} 2 = $1,134.00" in body
        assert "Q3 SPIFF" in body and figures["ote_attainment"] == "221.1%"
    if month == "2026-10":
        assert "Clawback of 2026-09: policy lapsed" in body and "\u2212$1,134.00" in body


def test_worked_example_b_from_the_command_line_to_the_cent(organization, example_b):
    for month, (commission, adjustments, earned, recovery, payout, balance) in EXAMPLE_B.items():
        data = json.loads(run("statements", organization.slug, "--month", month, "--format", "json"))
        assert data["month"] == month and data["state"] == "closed" and data["currency"] == "USD"
        (ana,) = data["statements"]
        assert (ana["rep"], ana["role"], ana["commission"], ana["adjustments"], ana["earned"]) == (
            "Ana", "closer", commission, adjustments, earned,
        )
        assert (ana["draw"], ana["draw_recovery"], ana["payout"], ana["balance_after"]) == (
            2000.0, recovery, payout, balance,
        )
        assert ana["pace"] is None
    september = json.loads(run("statements", organization.slug, "--month", "2026-09"))["statements"][0]
    assert september["ote_attainment"] == 2.2113
    assert [(line["kind"], line["units"], line["multiplier"], line["amount"]) for line in september["lines"]][:3] == [
        ("commission", 5.0, 1.0, 5670.0), ("commission", 2.5, 1.5, 4252.5), ("commission", 0.5, 2.0, 1134.0),
    ]


def test_payroll_csv_of_the_approved_month_from_the_web_and_the_command_line(
    owner_client, owner, organization, example_b
):
    run("approve", organization.slug, "--month", "2026-09", "--actor", owner.email)

    web = owner_client.get(f"/o/{organization.slug}/payouts/2026-09/payroll.csv")
    cli = run("payroll", organization.slug, "--month", "2026-09")

    assert web.status_code == 200 and web["Content-Disposition"].endswith('payroll-2026-09.csv"')
    assert web.content.decode() == cli
    header, row = list(csv.reader(io.StringIO(cli)))
    assert header == [
        "period", "rep", "email", "role", "base", "commission", "adjustments", "draw_recovery", "payout", "currency",
        "approved_at", "approved_by",
    ]
    assert row[:10] == ["2026-09", "Ana", "ana@acme.example", "closer", "0.00", "11056.50", "500.00", "866.00",
                        "10690.50", "USD"]
    assert row[11] == owner.email and row[10].startswith(date.today().isoformat()[:4])


def test_payroll_defuses_formula_cells(owner, organization, example_b):
    with organization_context(organization):
        Rep.objects.filter(pk=example_b.pk).update(name="=HYPERLINK(1)", email="@evil@x.example")
    run("approve", organization.slug, "--month", "2026-09", "--actor", owner.email)

    row = list(csv.reader(io.StringIO(run("payroll", organization.slug, "--month", "2026-09"))))[1]

    assert row[1] == "'=HYPERLINK(1)" and row[2] == "'@evil@x.example"


def test_the_payouts_tab_shows_everyones_figures_and_totals(owner_client, organization, example_b):
    bo = rep_create(organization, name="Bo", role="closer", start_date=date(2026, 1, 1))
    actual_create(organization, rep=bo, month=SEP, deals=5)

    body = owner_client.get(f"/o/{organization.slug}/payouts/?month=2026-09").content.decode()

    assert "Ana" in body and "Bo" in body and ">Closed<" in body
    assert "$16,360.50" in body  # 10,690.50 + Bo's 5 x 1,134 = 5,670.00
    assert "Approve $16,360.50" in body


def test_approval_shows_the_total_then_locks_the_month_and_reopening_needs_a_reason(
    owner_client, owner, organization, example_b
):
    slug = organization.slug
    confirmation = owner_client.get(f"/o/{slug}/payouts/2026-09/approve/").content.decode()
    assert "$10,690.50" in confirmation and "1 rep will be paid" in confirmation

    assert owner_client.post(f"/o/{slug}/payouts/2026-09/approve/").status_code == 302
    with organization_context(organization):
        approval = MonthApproval.objects.get(month=SEP)
        assert approval.approved_by == owner and approval.approved_at is not None
        before = tenant_rows_fingerprint()
        with pytest.raises(PayoutError, match="2026-09 is approved"):
            adjustment_add(organization=organization, actor=owner, rep=example_b, month=SEP, kind="bonus",
                           amount=Decimal(1), reason="late")
    row = owner_client.post(
        f"/o/{slug}/actuals/rows/{example_b.pk}/2026-09/", {"deals": "9", "version": "1"}, headers={"HX-Request": "1"}
    ).content.decode()
    assert "2026-09 is approved, so its actuals are locked" in row
    assert tenant_rows_fingerprint() == before

    refused = owner_client.post(f"/o/{slug}/payouts/2026-09/reopen/", {"reason": "  "})
    assert refused.status_code == 422 and "required" in refused.content.decode().lower()
    assert tenant_rows_fingerprint() == before
    assert owner_client.post(f"/o/{slug}/payouts/2026-09/reopen/", {"reason": "late SPIFF"}).status_code == 302
    with organization_context(organization):
        assert not MonthApproval.objects.get(month=SEP).approved
        audit = list(AuditEvent.objects.filter(action__in=["month_approve", "month_reopen"]).values_list(
            "action", "new_value"))
        assert ("month_reopen", "reopened: late SPIFF") in audit and ("month_approve", "approved") in audit
        adjustment_add(organization=organization, actor=owner, rep=example_b, month=SEP, kind="bonus",
                       amount=Decimal(1), reason="late")


def test_a_link_to_approve_or_reopen_a_month_that_cannot_be_leads_back_to_the_month_saying_why(
    owner_client, organization, example_b
):
    slug = organization.slug
    with organization_context(organization):
        before = tenant_rows_fingerprint()
    cases = (
        ("2026-12/approve/", "December 2026 cannot be approved: it is still open"),
        ("2026-05/approve/", "May 2026 cannot be approved: it has no actuals and no adjustments"),
        ("2026-09/reopen/", "September 2026 is not approved, so there is nothing to reopen."),
    )
    for path, message in cases:
        response = owner_client.get(f"/o/{slug}/payouts/{path}", follow=True)
        month = path[:7]
        assert response.redirect_chain == [(f"/o/{slug}/payouts/?month={month}", 302)]
        body = response.content.decode()
        assert message in body and "Approve $" not in body.split("</h1>")[0]
    with organization_context(organization):
        assert tenant_rows_fingerprint() == before


def test_adjustments_by_managers_are_audited_and_shown_on_the_list(client, organization, example_b):
    manager = UserFactory()
    with organization_context(organization):
        Membership.objects.create(organization=organization, user=manager, role=MemberRole.MANAGER)
    client.force_login(manager)

    response = client.post(
        f"/o/{organization.slug}/payouts/adjustments/?month=2026-10",
        {"month": "2026-10", "rep": example_b.pk, "kind": "correction", "amount": "-25.50", "reason": "typo"},
    )

    assert response.status_code == 302
    body = client.get(f"/o/{organization.slug}/payouts/?month=2026-10").content.decode()
    assert "typo" in body and "\u2212$25.50" in body
    with organization_context(organization):
        assert AuditEvent.objects.filter(action="adjustment_add", subject="Ana · 2026-10", actor=manager).exists()


def test_adjustments_import_all_or_nothing(owner_client, organization, example_b, tmp_path):
    good = "month,rep,kind,amount,reason,reverses_month\n2026-10,Ana,bonus,$250,contest,\n"
    bad = good + "2026-10,Ana,clawback,-10,,2026-09\n2026-10,Nobody,bonus,5,x,\n"
    before = tenant_rows_fingerprint()

    path = tmp_path / "bad.csv"
    path.write_text(bad)
    with pytest.raises(CommandError, match=r"line 3, column reason: a reason is required \(and 1 more problems\)"):
        call_command("importadjustments", organization.slug, str(path))
    upload = io.BytesIO(bad.encode())
    upload.name = "bad.csv"
    body = owner_client.post(
        f"/o/{organization.slug}/payouts/adjustments/upload/?month=2026-10", {"adjustments-file": upload}
    ).content.decode()
    assert "Nothing was imported" in body and "line 4, column rep: no rep named" in body
    assert tenant_rows_fingerprint() == before

    path.write_text(good)
    assert "1 adjustment" in run("importadjustments", organization.slug, str(path))
    with organization_context(organization):
        assert Adjustment.objects.filter(reason="contest", amount=Decimal("250")).exists()


BAD_ADJUSTMENTS = [
    ({"reason": ""}, "reason"),
    ({"kind": "clawback", "amount": "-10", "reverses_month": "2026-11"}, "2026-11 is after the adjustment"),
    ({"kind": "clawback", "amount": "-10"}, "a clawback names the month it reverses"),
    ({"kind": "bonus", "amount": "-10"}, "a bonus is positive"),
    ({"amount": "ten"}, "amount"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_ADJUSTMENTS)
def test_a_bad_adjustment_is_a_field_error_and_changes_nothing(owner_client, organization, example_b, changes,
                                                             message):
    data = {"month": "2026-10", "rep": example_b.pk, "kind": "bonus", "amount": "10", "reason": "why"} | changes
    before = tenant_rows_fingerprint()

    response = owner_client.post(f"/o/{organization.slug}/payouts/adjustments/?month=2026-10", data)

    assert response.status_code == 422
    assert message.lower() in response.content.decode().lower()
    assert tenant_rows_fingerprint() == before


def test_bad_inputs_of_item_10_are_clear_errors_that_change_nothing(
    owner_client, owner, organization, example_b, tmp_path
):
    slug = organization.slug
    # A negative draw (the configuration file and the form).
    with pytest.raises(CommandError, match=r"roles\.closer\.monthly_draw"):
        path = tmp_path / "negative-draw.json"
        path.write_text(json.dumps({"version": "2.0", "roles": {"closer": {"monthly_draw": -1}}}))
        call_command("importconfig", slug, str(path))
    # Approving an open month (December 2026 is the current month in the tests' clock or later).
    with pytest.raises(CommandError, match="is still open: a month can be approved once it has ended"):
        run("approve", slug, "--month", "2099-01", "--actor", owner.email)
    # Payroll of an unapproved month.
    with pytest.raises(CommandError, match="2026-09 is closed: payroll exports an approved month only"):
        run("payroll", slug, "--month", "2026-09")
    refused = owner_client.get(f"/o/{slug}/payouts/2026-09/payroll.csv")
    assert refused.status_code == 409 and "approved month only" in refused.content.decode()
    # Inviting a rep without an email.
    bo = rep_create(organization, name="Bo", role="closer")
    with organization_context(organization), pytest.raises(PayoutError, match="Bo has no email address"):
        rep_invite(organization=organization, actor=Membership.objects.get(user=owner), rep=bo)
    before = tenant_rows_fingerprint()
    response = owner_client.post(f"/o/{slug}/reps/{bo.pk}/invite/", follow=True)
    assert "Bo has no email address" in response.content.decode()
    assert tenant_rows_fingerprint() == before
    # Reopening a month that is not approved; approving as a manager.
    with pytest.raises(CommandError, match="2026-09 is not approved"):
        run("reopen", slug, "--month", "2026-09", "--actor", owner.email, "--reason", "x")
    manager = UserFactory()
    with organization_context(organization):
        Membership.objects.create(organization=organization, user=manager, role=MemberRole.MANAGER)
    with pytest.raises(CommandError, match="may not approve payouts: it needs owner or admin access"):
        run("approve", slug, "--month", "2026-09", "--actor", manager.email)
    with organization_context(organization):
        assert not MonthApproval.objects.exists()
        assert MonthlyActual.objects.count() == 3


def test_a_month_without_statements_cannot_be_approved(owner, organization):
    with organization_context(organization), pytest.raises(PayoutError, match="nothing to approve"):
        month_approve(organization=organization, actor=owner, month=date(2026, 5, 1))


def test_reopen_is_refused_without_approval_and_audits_nothing(owner, organization, example_b):
    with organization_context(organization), pytest.raises(PayoutError):
        month_reopen(organization=organization, actor=owner, month=OCT, reason="x")


# --- constant queries ---------------------------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


@pytest.mark.parametrize("page", ["payouts", "statement", "statement_print"])
def test_statement_page_and_payouts_tab_keep_constant_queries_in_reps_and_months(client, page):
    counts = set()
    for reps, months in ((3, 1), (60, 1), (3, 12), (60, 12)):
        owner = UserFactory()
        organization = organization_with_members(f"Co {reps} {months}", owner=owner)
        team = team_bulk_create(organization, reps=reps, months=months, last_month=OCT, missing_every=0)
        with organization_context(organization):
            for rep in team[:5]:
                adjustment_add(organization=organization, actor=owner, rep=rep, month=OCT, kind="bonus",
                               amount=Decimal(10), reason="spiff")
        client.force_login(owner)
        url = {
            "payouts": f"/o/{organization.slug}/payouts/?month=2026-10",
            "statement": f"/o/{organization.slug}/statements/{team[0].pk}/?month=2026-10",
            "statement_print": f"/o/{organization.slug}/statements/{team[0].pk}/print/?month=2026-10",
        }[page]
        counts.add(_queries(client, url))
    assert len(counts) == 1, counts
