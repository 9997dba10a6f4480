"""The Actuals tab: the grid edited a row at a time, reps added and ended, the CSV upload with a preview,
access levels, isolation and query budgets."""

import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import organization_context
from oteapp.models import AuditEvent, MonthlyActual, Rep
from tests.factories import UserFactory, actual_create, organization_with_members, team_bulk_create
from tests.factories import rep_create as make_rep
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db

OCTOBER = date(2026, 10, 1)
HTMX = {"HX-Request": "true"}
CSV_HEADER = "month,rep,role,deals,meetings,team_deals,revenue,start_date\n"


@pytest.fixture
def team(organization):
    """Closers Ana (with a row) and Ben (without), setter Eli, manager Gus, all hired before October."""
    start = date(2025, 1, 1)
    reps = {
        "Ana": make_rep(organization, name="Ana", role="closer", start_date=start),
        "Ben": make_rep(organization, name="Ben", role="closer", start_date=start),
        "Eli": make_rep(organization, name="Eli", role="setter", start_date=start),
        "Gus": make_rep(organization, name="Gus", role="manager", start_date=start),
    }
    actual_create(organization, rep=reps["Ana"], month=OCTOBER, deals=5)
    return reps


@pytest.fixture
def viewer_client(organization):
    viewer = UserFactory(email="viewer@acme.example")
    with organization_context(organization):
        from accounts.models import Membership

        Membership.objects.create(organization=organization, user=viewer, role="viewer")
    client = Client()
    client.force_login(viewer)
    return client


def url(organization, name: str = "", **parts) -> str:
    base = f"/o/{organization.slug}/"
    paths = {
        "": "actuals/",
        "status": "actuals/status/",
        "row": "actuals/rows/{rep}/{month}/",
        "rep_create": "actuals/reps/new/",
        "rep_end": "actuals/reps/end/",
        "upload": "actuals/upload/",
        "apply": "actuals/upload/apply/",
        "audit": "audit/",
    }
    return base + paths[name].format(**parts)


def row_url(organization, rep, month: date = OCTOBER) -> str:
    return url(organization, "row", rep=rep.pk, month=f"{month:%Y-%m}")


def save_row(client, organization, rep, data: dict, **headers):
    return client.post(row_url(organization, rep), data, headers=headers)


def actual_of(rep, month: date = OCTOBER) -> MonthlyActual | None:
    return MonthlyActual.unscoped.filter(rep=rep, month=month).first()


def audit_rows(organization, action: str | None = None) -> list[tuple[str, str, str, str]]:
    events = AuditEvent.unscoped.filter(organization=organization).order_by("id")
    if action:
        events = events.filter(action=action)
    return [(e.subject, e.field, e.old_value, e.new_value) for e in events]


def input_value(html: str, cell_id: str) -> str:
    match = re.search(rf'<input id="{re.escape(cell_id)}"[^>]*?value="([^"]*)"', html, re.S)
    assert match, f"no input {cell_id}"
    return match.group(1)


# --- the grid -------------------------------------------------------------------------------------------


def test_grid_is_a_full_page_and_an_htmx_partial_with_rows_grouped_by_role(owner_client, organization, team):
    full = owner_client.get(url(organization) + "?month=2026-10")
    partial = owner_client.get(url(organization) + "?month=2026-10", headers=HTMX)

    assert full.status_code == partial.status_code == 200
    assert b"<html" in full.content and b"<html" not in partial.content
    assert "HX-Request" in full["Vary"] and "HX-Request" in partial["Vary"]
    assert full.context["active_tab"] == "actuals"
    assert full.context["month_choice"].month == OCTOBER
    groups = {g.role.key: [row.rep.name for row in g.rows] for g in full.context["groups"]}
    assert groups == {"closer": ["Ana", "Ben"], "setter": ["Eli"], "manager": ["Gus"]}
    html = partial.content.decode()
    assert input_value(html, f"r{team['Ana'].pk}-deals") == "5"
    assert input_value(html, f"r{team['Ben'].pk}-deals") == ""
    # Each kind edits its own unit fields.
    assert f'id="r{team["Ana"].pk}-revenue"' in html
    assert f'id="r{team["Eli"].pk}-meetings"' in html and f'id="r{team["Eli"].pk}-deals"' in html
    assert f'id="r{team["Gus"].pk}-team_deals"' in html and f'id="r{team["Gus"].pk}-deals"' not in html
    assert "1</strong> rep reported" in html and "3 missing: Ben, Eli, Gus" in html
    assert f'href="/o/{organization.slug}/audit/"' in html


def test_saving_a_row_with_htmx_saves_audits_and_returns_the_row(owner_client, organization, team):
    ana = team["Ana"]
    response = owner_client.post(
        row_url(organization, ana), {"version": "1", "deals": "6", "revenue": "70000.50"}, headers=HTMX
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="rep-{ana.pk}"') and "<html" not in html
    assert "✓ Saved" in html and input_value(html, f"r{ana.pk}-deals") == "6"
    assert 'name="version" value="2"' in html
    assert json.loads(response["HX-Trigger"]) == {"actuals-changed": {"rep": ana.pk, "month": "2026-10"}}
    actual = actual_of(ana)
    assert (actual.deals, actual.revenue, actual.version) == (Decimal("6"), Decimal("70000.50"), 2)
    assert audit_rows(organization, "actual_update") == [
        ("Ana · 2026-10", "deals", "5", "6"),
        ("Ana · 2026-10", "revenue", "", "70000.5"),
    ]
    event = AuditEvent.unscoped.get(field="deals")
    assert event.actor.email == "owner@acme.example"


def test_a_blank_row_reports_nothing_and_a_row_of_zeros_counts_as_reported(owner_client, organization, team):
    ben, eli, gus = team["Ben"], team["Eli"], team["Gus"]

    blank = save_row(owner_client, organization, ben, {"version": "0", "deals": "", "revenue": ""}, **HTMX)
    save_row(owner_client, organization, eli, {"version": "0", "meetings": "0", "deals": ""}, **HTMX)
    save_row(owner_client, organization, gus, {"version": "0", "team_deals": ""}, **HTMX)

    assert "Blank: not reported" in blank.content.decode() and actual_of(ben) is None
    assert (actual_of(eli).meetings, actual_of(eli).deals) == (Decimal("0"), None)  # a typed 0 is a zero
    assert actual_of(gus).team_deals is None  # blank = all closers' deals: a manager's report
    status = owner_client.get(url(organization, "status") + "?month=2026-10").content.decode()
    assert "3</strong> reps reported" in status and "1 missing: Ben" in status


def test_a_cleared_cell_is_stored_blank_not_zero(owner_client, organization, team):
    """Issue 14, item 11."""
    ana = team["Ana"]
    MonthlyActual.unscoped.filter(rep=ana).update(revenue=Decimal("60000"))

    response = save_row(owner_client, organization, ana, {"version": "1", "deals": "", "revenue": "60000"}, **HTMX)

    assert response.status_code == 200
    row = actual_of(ana)
    assert (row.deals, row.revenue, row.version) == (None, Decimal("60000"), 2)
    assert input_value(response.content.decode(), f"r{ana.pk}-deals") == ""
    event = AuditEvent.unscoped.get(organization=organization, field="deals")
    assert (event.old_value, event.new_value) == ("5", "")


def test_clearing_every_cell_makes_the_rep_not_reported(owner_client, organization, team):
    ana = team["Ana"]

    save_row(owner_client, organization, ana, {"version": "1", "deals": "", "revenue": ""}, **HTMX)

    assert actual_of(ana) is None
    status = owner_client.get(url(organization, "status") + "?month=2026-10").content.decode()
    assert "missing: Ana, Ben" in status


def test_not_reported_removes_the_row_audits_it_and_lists_the_rep_as_missing(owner_client, owner, organization, team):
    """Issue 14, item 11: a row can be removed from the grid; the rep then shows under missing actuals."""
    ana = team["Ana"]
    actual_create(organization, rep=team["Ben"], month=OCTOBER, deals=3)  # the month still has a report
    actual_create(organization, rep=team["Eli"], month=OCTOBER, meetings=30)
    actual_create(organization, rep=team["Gus"], month=OCTOBER, team_deals=8)
    grid = owner_client.get(url(organization) + "?month=2026-10").content.decode()
    remove_url = f"/o/{organization.slug}/actuals/rows/{ana.pk}/2026-10/remove/"
    assert f'action="{remove_url}"' in grid
    assert grid.count("/remove/\"") == 2 * 4  # action and hx-post, on each of the four rows

    response = owner_client.post(remove_url, {"version": "1"}, headers=HTMX)

    assert response.status_code == 200 and "Marked not reported" in response.content.decode()
    assert json.loads(response["HX-Trigger"])["actuals-changed"]["rep"] == ana.pk
    assert actual_of(ana) is None
    events = AuditEvent.unscoped.filter(organization=organization, action="actual_remove")
    assert {(e.subject, e.field, e.old_value, e.new_value, e.actor) for e in events} == {
        ("Ana · 2026-10", "reported", "reported", "not reported", owner),
        ("Ana · 2026-10", "deals", "5", "", owner),
    }
    status = owner_client.get(url(organization, "status") + "?month=2026-10").content.decode()
    assert "3</strong> reps reported" in status and "1 missing: Ana" in status
    performance = owner_client.get(f"/o/{organization.slug}/performance/?month=2026-10").content.decode()
    assert "Ana" in performance[performance.index("Missing actuals") :][:400]
    audit = owner_client.get(url(organization, "audit") + "?kind=actuals").content.decode()
    assert "Marked not reported" in audit


def test_not_reported_from_a_stale_row_changes_nothing(owner_client, organization, team):
    ana = team["Ana"]
    before = tenant_rows_fingerprint()

    response = owner_client.post(f"/o/{organization.slug}/actuals/rows/{ana.pk}/2026-10/remove/", {"version": "0"})

    assert response.status_code == 409 and "while you were editing" in response.content.decode()
    assert tenant_rows_fingerprint() == before


def test_without_javascript_a_save_redirects_back_to_the_grid(owner_client, organization, team):
    response = owner_client.post(row_url(organization, team["Ben"]), {"version": "0", "deals": "4", "revenue": ""})

    assert response.status_code == 302
    assert response["Location"] == f"/o/{organization.slug}/actuals/?month=2026-10#rep-{team['Ben'].pk}"
    page = owner_client.get(response["Location"]).content.decode()
    assert "Saved Ben&#x27;s actuals for October 2026." in page


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-3", "Can&#x27;t be negative."),
        ("abc", "Enter a number, like 6, 2.5 or 10,000 (not “abc”)."),
        ("NaN", "Enter a number, like 6, 2.5 or 10,000 (not “NaN”)."),
        ("-Infinity", "Enter a number, like 6, 2.5 or 10,000 (not “-Infinity”)."),
        ("1e20", "Enter a number, like 6, 2.5 or 10,000 (not “1e20”)."),
        ("1e999999999", "Enter a number, like 6, 2.5 or 10,000 (not “1e999999999”)."),
        ("99999999999", "Must be less than 10,000,000,000."),
        ("1.234", "Use at most 2 decimal places."),
        ("1.234,5", "“1.234,5” can be read two ways"),
        ("10,00", "“10,00” can be read two ways"),
    ],
)
def test_a_bad_value_is_shown_at_its_cell_with_the_typed_values_kept(owner_client, organization, team, typed, message):
    ana = team["Ana"]
    before = tenant_rows_fingerprint()

    response = save_row(owner_client, organization, ana, {"version": "1", "deals": typed, "revenue": "12"}, **HTMX)

    assert response.status_code == 200  # htmx swaps only 2xx answers; see oteapp/views/actuals.py
    assert response["HX-Reswap"] == "outerHTML" and "HX-Trigger" not in response
    html = response.content.decode()
    cell = html[html.index(f'id="r{ana.pk}-deals"') : html.index("</td>", html.index(f'id="r{ana.pk}-deals"'))]
    assert 'aria-invalid="true"' in cell and message in cell
    assert input_value(html, f"r{ana.pk}-deals") == typed and input_value(html, f"r{ana.pk}-revenue") == "12"
    assert 'name="version" value="1"' in html
    assert tenant_rows_fingerprint() == before


def test_without_javascript_a_bad_value_answers_422_with_the_whole_grid(owner_client, organization, team):
    ben = team["Ben"]
    response = owner_client.post(row_url(organization, ben), {"version": "0", "deals": "-3", "revenue": ""})

    assert response.status_code == 422
    html = response.content.decode()
    assert "<html" in html and "Can&#x27;t be negative." in html and input_value(html, f"r{ben.pk}-deals") == "-3"
    assert actual_of(ben) is None


def test_a_stale_version_is_a_conflict_that_keeps_the_newer_value_and_both_edits_are_audited(organization, team):
    first, second = UserFactory(email="first@acme.example"), UserFactory(email="second@acme.example")
    with organization_context(organization):
        from accounts.models import Membership

        Membership.objects.create(organization=organization, user=first, role="manager")
        Membership.objects.create(organization=organization, user=second, role="manager")
    clients = {}
    for user in (first, second):
        clients[user.email] = Client()
        clients[user.email].force_login(user)
    ana = team["Ana"]
    # Both loaded the grid at version 1.
    save_row(clients["first@acme.example"], organization, ana, {"version": "1", "deals": "6", "revenue": ""}, **HTMX)

    response = clients["second@acme.example"].post(
        row_url(organization, ana), {"version": "1", "deals": "4", "revenue": ""}, headers=HTMX
    )

    html = response.content.decode()
    assert response.status_code == 200 and "HX-Trigger" not in response
    assert "is-conflict" in html and "Changed by first@acme.example" in html
    assert input_value(html, f"r{ana.pk}-deals") == "4"  # the user's value, to re-apply
    assert '<span class="cell-current">now 6</span>' in html
    assert f'id="r{ana.pk}-revenue"' in html and "now blank" not in html  # equal values are not flagged
    assert 'name="version" value="2"' in html
    assert actual_of(ana).deals == Decimal("6")

    # Without JavaScript the same conflict answers 409.
    plain = save_row(clients["second@acme.example"], organization, ana, {"version": "1", "deals": "4", "revenue": ""})
    assert plain.status_code == 409 and actual_of(ana).deals == Decimal("6")

    # Saving again from the version shown applies the second edit deliberately.
    save_row(clients["second@acme.example"], organization, ana, {"version": "2", "deals": "4", "revenue": ""}, **HTMX)
    assert actual_of(ana).deals == Decimal("4")
    events = AuditEvent.unscoped.filter(organization=organization, field="deals").order_by("id")
    assert [(e.actor.email, e.old_value, e.new_value) for e in events] == [
        ("first@acme.example", "5", "6"),
        ("second@acme.example", "6", "4"),
    ]


def test_an_unchanged_save_keeps_the_version_and_writes_no_audit(owner_client, organization, team):
    save_row(owner_client, organization, team["Ana"], {"version": "1", "deals": "5.00", "revenue": ""}, **HTMX)
    assert actual_of(team["Ana"]).version == 1
    assert audit_rows(organization) == []


def test_an_ended_rep_leaves_later_grids_and_cannot_get_a_new_row_there(owner_client, organization, team):
    gus = team["Gus"]
    Rep.unscoped.filter(pk=gus.pk).update(end_date=date(2026, 10, 15))
    november = owner_client.get(url(organization) + "?month=2026-11")
    assert "Gus" not in [row.rep.name for g in november.context["groups"] for row in g.rows]

    november_row = row_url(organization, gus, date(2026, 11, 1))
    response = owner_client.post(november_row, {"version": "0", "team_deals": "3"}, headers=HTMX)

    assert "Gus does not work here in 2026-11." in response.content.decode()
    plain = owner_client.post(november_row, {"version": "0", "team_deals": "3"})
    assert plain.status_code == 422 and "Gus: Gus does not work here in 2026-11." in plain.content.decode()
    assert actual_of(gus, date(2026, 11, 1)) is None


def test_a_row_outside_the_reps_dates_stays_visible_when_it_has_actuals(owner_client, organization, team):
    late = make_rep(organization, name="Zoe", role="closer", start_date=date(2027, 1, 1))
    actual_create(organization, rep=late, month=OCTOBER, deals=1)
    page = owner_client.get(url(organization) + "?month=2026-10")
    assert "Zoe" in [row.rep.name for g in page.context["groups"] for row in g.rows]


# --- access ---------------------------------------------------------------------------------------------


def test_a_viewer_sees_the_grid_read_only_and_every_write_is_refused(viewer_client, organization, team):
    page = viewer_client.get(url(organization) + "?month=2026-10").content.decode()
    tab = page[page.index('<div class="page-head"') :]  # below the tab navigation and month selector
    assert "Ana" in tab and "<input" not in tab and "<button" not in tab and "<form" not in tab
    assert "Upload CSV" not in tab and "Audit trail" not in tab
    before = tenant_rows_fingerprint()

    posts = [
        (row_url(organization, team["Ana"]), {"version": "1", "deals": "9"}),
        (url(organization, "rep_create"), {"new-name": "Mallory", "new-role": "closer"}),
        (url(organization, "rep_end"), {"end-rep": team["Ana"].pk, "end-end_date": "2026-10-31"}),
        (url(organization, "upload"), {}),
        (url(organization, "apply"), {"token": "x"}),
    ]
    for target, data in posts:
        assert viewer_client.post(target, data).status_code == 403, target
        assert viewer_client.post(target, data, headers=HTMX).status_code == 403, target
    assert viewer_client.get(url(organization, "upload")).status_code == 403
    assert tenant_rows_fingerprint() == before


def test_write_endpoints_refuse_get(owner_client, organization, team):
    for target in (row_url(organization, team["Ana"]), url(organization, "rep_create"), url(organization, "apply")):
        assert owner_client.get(target).status_code == 405


def test_writes_need_the_csrf_token(owner, organization, team):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    target = row_url(organization, team["Ana"])

    assert client.post(target, {"version": "1", "deals": "7"}, headers=HTMX).status_code == 403
    client.get(url(organization))  # sets the CSRF cookie
    token = client.cookies["csrftoken"].value
    response = client.post(target, {"version": "1", "deals": "7"}, headers={**HTMX, "X-CSRFToken": token})
    assert response.status_code == 200 and actual_of(team["Ana"]).deals == Decimal("7")


def test_another_organizations_reps_are_404(owner_client, organization, other_organization, team):
    foreign = make_rep(other_organization, name="Zed", role="closer")
    actual_create(other_organization, rep=foreign, month=OCTOBER, deals=2)
    before = tenant_rows_fingerprint()

    assert owner_client.post(row_url(organization, foreign), {"version": "1", "deals": "9"}).status_code == 404
    end = {"end-rep": foreign.pk, "end-end_date": "2026-10-31"}
    assert owner_client.post(url(organization, "rep_end"), end).status_code == 404
    assert owner_client.post(url(other_organization, ""), {}).status_code == 404
    assert owner_client.post(row_url(other_organization, foreign), {"version": "1", "deals": "9"}).status_code == 404
    assert tenant_rows_fingerprint() == before


def test_a_malformed_month_in_the_row_url_is_404(owner_client, organization, team):
    assert owner_client.post(url(organization, "row", rep=team["Ana"].pk, month="2026-13"), {}).status_code == 404


# --- reps -----------------------------------------------------------------------------------------------


def test_adding_a_rep_audits_it_and_shows_it_in_the_grid(owner_client, organization, team):
    data = {"new-name": "  Cy  ", "new-role": "closer", "new-start_date": "2026-10-05", "new-email": "cy@acme.example"}
    response = owner_client.post(url(organization, "rep_create") + "?month=2026-10", data, headers=HTMX)

    assert response.status_code == 200
    location = json.loads(response["HX-Location"])
    assert location == {"path": f"/o/{organization.slug}/actuals/?month=2026-10", "target": "#tab", "swap": "outerHTML"}
    cy = Rep.unscoped.get(organization=organization, name="Cy")
    assert (cy.role.key, cy.start_date, cy.email) == ("closer", date(2026, 10, 5), "cy@acme.example")
    assert audit_rows(organization, "rep_create") == [
        ("rep Cy", "name", "", "Cy"),
        ("rep Cy", "role", "", "closer"),
        ("rep Cy", "start_date", "", "2026-10-05"),
        ("rep Cy", "email", "", "cy@acme.example"),
    ]
    grid = owner_client.get(location["path"], headers=HTMX).content.decode()
    assert "Added Cy (Closers)." in grid and f'id="rep-{cy.pk}"' in grid


def test_a_rep_name_already_taken_is_a_form_error_and_nothing_is_created(owner_client, organization, team):
    before = tenant_rows_fingerprint()
    data = {"new-name": "ana", "new-role": "setter"}
    response = owner_client.post(url(organization, "rep_create") + "?month=2026-10", data)

    assert response.status_code == 422
    assert "There is already a rep named Ana; use a different name." in response.content.decode()
    assert tenant_rows_fingerprint() == before
    htmx = owner_client.post(url(organization, "rep_create"), {"new-name": "Ana", "new-role": "closer"}, headers=HTMX)
    assert htmx.status_code == 200 and b"already a rep named Ana" in htmx.content and b"<html" not in htmx.content


def test_ending_a_rep_audits_it_and_drops_them_from_later_months(owner_client, organization, team):
    ben = team["Ben"]
    response = owner_client.post(
        url(organization, "rep_end") + "?month=2026-10", {"end-rep": ben.pk, "end-end_date": "2026-10-31"}
    )

    assert response.status_code == 302
    ben.refresh_from_db()
    assert ben.end_date == date(2026, 10, 31)
    assert audit_rows(organization, "rep_end") == [("rep Ben", "end_date", "", "2026-10-31")]
    october = owner_client.get(url(organization) + "?month=2026-10").context["groups"]
    november = owner_client.get(url(organization) + "?month=2026-11").context["groups"]
    assert "Ben" in [row.rep.name for g in october for row in g.rows]
    assert "Ben" not in [row.rep.name for g in november for row in g.rows]


def test_a_rep_cannot_end_before_a_month_with_actuals(owner_client, organization, team):
    actual_create(organization, rep=team["Ana"], month=date(2026, 11, 1), deals=2)
    data = {"end-rep": team["Ana"].pk, "end-end_date": "2026-10-31"}
    response = owner_client.post(url(organization, "rep_end"), data)

    assert response.status_code == 422
    assert "Ana has actuals for 2026-11" in response.content.decode()
    assert Rep.unscoped.get(pk=team["Ana"].pk).end_date is None


# --- CSV upload -----------------------------------------------------------------------------------------


def upload(client, organization, content: str, **headers):
    from django.core.files.uploadedfile import SimpleUploadedFile

    file = SimpleUploadedFile("actuals.csv", content.encode(), content_type="text/csv")
    return client.post(url(organization, "upload") + "?month=2026-10", {"csv-file": file}, headers=headers)


def test_the_preview_lists_the_changes_and_writes_nothing(owner_client, organization, team):
    before = tenant_rows_fingerprint()
    content = CSV_HEADER + "2026-10,Ana,closer,7,,,,\n2026-10,Cy,closer,3,,,,\n"

    response = upload(owner_client, organization, content, **HTMX)

    assert response.status_code == 200 and b"<html" not in response.content
    html = response.content.decode()
    assert "Preview: what this file will change" in html and "Apply these changes" in html
    assert re.search(r"<td>Ana</td>\s*<td>2026-10</td>\s*<td>deals</td>\s*<td class=\"num\">5</td>", html)
    assert "<td>Cy</td><td>closer</td>" in html
    assert tenant_rows_fingerprint() == before


def test_applying_the_preview_writes_it_and_shows_the_grid_of_its_first_month(owner_client, organization, team):
    content = CSV_HEADER + "2026-11,Ana,closer,2,,,,\n2026-10,Ana,closer,7,,,,\n2026-10,Cy,closer,3,,,,\n"
    preview = upload(owner_client, organization, content)
    token = preview.context["token"]

    response = owner_client.post(url(organization, "apply") + "?month=2026-10", {"token": token}, headers=HTMX)

    location = json.loads(response["HX-Location"])
    assert location["path"] == f"/o/{organization.slug}/actuals/?month=2026-10"
    assert actual_of(team["Ana"]).deals == Decimal("7")
    assert actual_of(team["Ana"], date(2026, 11, 1)).deals == Decimal("2")
    cy = Rep.unscoped.get(organization=organization, name="Cy")
    assert actual_of(cy).deals == Decimal("3")
    grid = owner_client.get(location["path"], headers=HTMX).content.decode()
    assert "CSV applied: 1 rep created, 2 actuals rows created, 1 actuals row updated." in grid
    assert f'id="rep-{cy.pk}"' in grid
    assert AuditEvent.unscoped.filter(organization=organization, action="actuals_import").exists()


def test_a_bad_csv_names_line_and_column_and_writes_nothing(owner_client, organization, team):
    before = tenant_rows_fingerprint()
    content = CSV_HEADER + "2026-10,Ana,closer,7,,,,\n2026-10,Ben,closer,-3,,,,\n"

    response = upload(owner_client, organization, content)

    assert response.status_code == 422
    html = response.content.decode()
    assert "The file was not imported" in html and "line 3, column deals" in html
    assert "Apply these changes" not in html
    assert tenant_rows_fingerprint() == before


def test_apply_refuses_a_token_that_was_tampered_with_or_belongs_to_another_organization(
    owner_client, owner, organization, other_organization, team
):
    before = tenant_rows_fingerprint()
    forged = owner_client.post(url(organization, "apply"), {"token": "eyJjc3YiOiIifQ:forged"})
    foreign_salt = f"oteapp.files.actuals_csv:{other_organization.pk}:{owner.pk}"
    foreign = signing.dumps({"csv": CSV_HEADER + "2026-10,Ana,closer,9,,,,\n", "plan": ""}, salt=foreign_salt)
    replayed = owner_client.post(url(organization, "apply"), {"token": foreign})

    assert forged.status_code == replayed.status_code == 400
    assert b"could not be verified" in replayed.content
    assert tenant_rows_fingerprint() == before


def test_apply_shows_the_preview_again_when_the_data_changed_since(owner_client, organization, team):
    preview = upload(owner_client, organization, CSV_HEADER + "2026-10,Ana,closer,7,,,,\n")
    MonthlyActual.unscoped.filter(rep=team["Ana"]).update(deals=Decimal("6"), version=2)

    response = owner_client.post(url(organization, "apply"), {"token": preview.context["token"]})

    assert response.status_code == 409
    assert b"The stored data changed since your preview" in response.content
    assert actual_of(team["Ana"]).deals == Decimal("6")
    again = owner_client.post(url(organization, "apply"), {"token": response.context["token"]})
    assert again.status_code == 302 and actual_of(team["Ana"]).deals == Decimal("7")


def test_an_oversized_or_missing_file_is_refused(owner_client, organization, team):
    assert owner_client.post(url(organization, "upload"), {}).status_code == 422
    big = CSV_HEADER + "2026-10,Ana,closer,1,,,,\n" * 100_000
    response = upload(owner_client, organization, big)
    assert response.status_code == 422
    assert b"The file is too large (2,500,060 bytes); an import takes at most 2,097,152 bytes" in response.content


# --- query budgets --------------------------------------------------------------------------------------


def organization_with_reps(count: int, months: int):
    owner = UserFactory()
    organization = organization_with_members(f"Company {count}x{months}", owner=owner)
    reps = team_bulk_create(organization, reps=count, months=months, last_month=OCTOBER, start_date=date(2023, 1, 1))
    client = Client()
    client.force_login(owner)
    return organization, client, reps


def count_queries(client, method: str, path: str, data: dict | None = None, headers: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = getattr(client, method)(path, data, headers=headers or {})
    assert response.status_code in (200, 302), response.status_code
    return len(queries)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "partial"])
def test_grid_queries_do_not_grow_with_reps_or_months(htmx):
    counts = {}
    for reps, months in ((5, 1), (500, 1), (5, 36), (500, 36)):
        organization, client, _ = organization_with_reps(reps, months)
        headers = HTMX if htmx else {}
        counts[(reps, months)] = count_queries(client, "get", url(organization) + "?month=2026-10", headers=headers)
    assert len(set(counts.values())) == 1, counts


def test_row_save_and_status_queries_do_not_grow_with_reps_or_months():
    saves, statuses = {}, {}
    for reps, months in ((5, 1), (500, 1), (5, 36), (500, 36)):
        organization, client, rep_list = organization_with_reps(reps, months)
        rep = rep_list[1]
        data = {"version": "1", "deals": "9", "revenue": ""}
        saves[(reps, months)] = count_queries(client, "post", row_url(organization, rep), data, HTMX)
        statuses[(reps, months)] = count_queries(client, "get", url(organization, "status") + "?month=2026-10")
    assert len(set(saves.values())) == 1, saves
    assert len(set(statuses.values())) == 1, statuses
