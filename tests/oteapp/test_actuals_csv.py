"""Actuals CSV import (SPEC section 8)."""

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.tenancy import organization_context
from oteapp.files.actuals_csv import (
    ActualsImportError,
    PlannedChange,
    PlannedRep,
    actuals_csv_import,
    actuals_csv_preview,
)
from oteapp.models import AuditEvent, MonthlyActual, Rep
from tests.factories import actual_create, rep_create
from tests.oteapp.test_config_files import database_state

pytestmark = pytest.mark.django_db

FILES = Path(__file__).parent / "files"
WORKED_EXAMPLE = FILES / "worked_example_actuals.csv"
HEADER = "month,rep,role,deals,meetings,team_deals,revenue,start_date\n"
OCTOBER = date(2026, 10, 1)


def imported(organization, data, **kwargs):
    with organization_context(organization):
        return actuals_csv_import(organization=organization, data=data, **kwargs)


def previewed(organization, data):
    with organization_context(organization):
        return actuals_csv_preview(organization=organization, data=data)


def actuals_of(organization) -> dict[str, MonthlyActual]:
    rows = MonthlyActual.unscoped.filter(organization=organization).select_related("rep")
    return {f"{row.rep.name} {row.month:%Y-%m}": row for row in rows}


def test_worked_example_creates_unknown_reps_in_their_roles(organization, owner):
    result = imported(organization, WORKED_EXAMPLE.read_bytes(), actor=owner)

    assert (result.reps_created, result.actuals_created, result.actuals_updated) == (7, 7, 0)
    assert result.months == [OCTOBER]
    reps = {rep.name: rep for rep in Rep.unscoped.filter(organization=organization).select_related("role")}
    assert {name: rep.role.key for name, rep in reps.items()} == {
        "Ana": "closer", "Ben": "closer", "Cy": "closer", "Dee": "closer",
        "Eli": "setter", "Fay": "setter", "Gus": "manager",
    }  # fmt: skip
    assert reps["Eli"].start_date == date(2024, 9, 1)
    rows = actuals_of(organization)
    assert (rows["Eli 2026-10"].deals, rows["Eli 2026-10"].meetings) == (Decimal("10"), Decimal("42"))
    assert (rows["Fay 2026-10"].deals, rows["Fay 2026-10"].meetings) == (None, Decimal("30"))
    assert rows["Gus 2026-10"].team_deals == Decimal("18")
    assert {row.version for row in rows.values()} == {1}
    assert {row.updated_by for row in rows.values()} == {owner}
    audit = AuditEvent.unscoped.filter(organization=organization, subject="Eli · 2026-10").order_by("field")
    assert [(e.action, e.field, e.old_value, e.new_value) for e in audit] == [
        ("actuals_import", "deals", "", "10"),
        ("actuals_import", "meetings", "", "42"),
    ]


def test_preview_plans_the_changes_without_writing(organization):
    with organization_context(organization):
        ana = rep_create(organization, name="Ana", role="closer")
        actual_create(organization, rep=ana, month=OCTOBER, deals=4)
    before = database_state()

    preview = previewed(organization, HEADER + "2026-10,Ana,closer,6,,,,\n2026-10,Zed,setter,,12,,,2026-10-01\n")

    assert database_state() == before
    assert preview.changes == [
        PlannedChange(rep="Ana", month=OCTOBER, field="deals", old=Decimal("4.00"), new=Decimal("6")),
        PlannedChange(rep="Zed", month=OCTOBER, field="meetings", old=None, new=Decimal("12")),
    ]
    assert preview.reps_to_create == [PlannedRep(name="Zed", role="setter", start_date=date(2026, 10, 1))]
    assert (preview.rows, preview.actuals_created, preview.actuals_updated, preview.actuals_unchanged) == (2, 1, 1, 0)


def test_reimporting_a_month_updates_its_rows_without_duplicates(organization):
    imported(organization, WORKED_EXAMPLE.read_bytes())

    same = imported(organization, WORKED_EXAMPLE.read_bytes())
    assert (same.actuals_created, same.actuals_updated, same.reps_created) == (0, 0, 0)
    assert same.notices == ["7 rows already up to date."]
    assert {row.version for row in actuals_of(organization).values()} == {1}

    changed = WORKED_EXAMPLE.read_text().replace("2026-10,Ana,closer,6,", "2026-10,Ana,closer,7,")
    result = imported(organization, changed)

    assert (result.actuals_created, result.actuals_updated) == (0, 1)
    rows = actuals_of(organization)
    assert len(rows) == 7
    assert MonthlyActual.unscoped.filter(organization=organization).count() == 7
    assert (rows["Ana 2026-10"].deals, rows["Ana 2026-10"].version) == (Decimal("7"), 2)
    assert rows["Ben 2026-10"].version == 1
    event = AuditEvent.unscoped.filter(organization=organization, subject="Ana · 2026-10").latest("id")
    assert (event.field, event.old_value, event.new_value) == ("deals", "6", "7")


def test_column_order_case_bom_crlf_and_blank_lines_are_accepted(organization):
    data = '\ufeffRep,Month,DEALS,role\r\nAna,2026-10,6,closer\r\n\r\n,,,\r\nBen,2026-11,"4",closer\r\n'.encode()
    result = imported(organization, data)
    assert result.actuals_created == 2
    assert actuals_of(organization)["Ben 2026-11"].deals == Decimal("4")


def test_a_column_left_out_keeps_stored_values_and_a_blank_cell_clears(organization):
    with organization_context(organization):
        eli = rep_create(organization, name="Eli", role="setter")
        actual_create(organization, rep=eli, month=OCTOBER, meetings=40, deals=9, revenue=1000)

    imported(organization, "month,rep,role,meetings,deals\n2026-10,Eli,,42,\n")

    row = actuals_of(organization)["Eli 2026-10"]
    assert (row.meetings, row.deals, row.revenue) == (Decimal("42"), None, Decimal("1000"))


def test_a_start_date_updates_a_known_rep(organization):
    with organization_context(organization):
        rep_create(organization, name="Ana", role="closer", start_date=date(2025, 1, 1))
    result = imported(organization, HEADER + "2026-10,Ana,closer,6,,,,2026-09-15\n")
    assert result.reps_updated == 1
    assert Rep.unscoped.get(organization=organization, name="Ana").start_date == date(2026, 9, 15)
    event = AuditEvent.unscoped.get(organization=organization, subject="rep Ana")
    assert (event.field, event.old_value, event.new_value) == ("start_date", "2025-01-01", "2026-09-15")


def test_reps_named_like_another_organizations_are_created_here(organization, other_organization):
    with organization_context(other_organization):
        their_ana = rep_create(other_organization, name="Ana", role="closer")
        actual_create(other_organization, rep=their_ana, month=OCTOBER, deals=9)
    theirs_before = list(MonthlyActual.unscoped.filter(organization=other_organization).values())
    their_reps_before = list(Rep.unscoped.filter(organization=other_organization).values())

    result = imported(organization, HEADER + "2026-10,Ana,setter,,30,,,\n")

    assert (result.reps_created, result.actuals_created) == (1, 1)
    ours = Rep.unscoped.get(organization=organization, name="Ana")
    assert ours.pk != their_ana.pk and ours.role.key == "setter"
    assert actuals_of(organization)["Ana 2026-10"].meetings == Decimal("30")
    assert list(MonthlyActual.unscoped.filter(organization=other_organization).values()) == theirs_before
    assert list(Rep.unscoped.filter(organization=other_organization).values()) == their_reps_before
    assert not AuditEvent.unscoped.filter(organization=other_organization).exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "line 1: the file is empty; expected the header month,rep,role,"),
        (b"month,rep\xff\n", "not a CSV file: it is not UTF-8 text"),
        ("rep,role,deals\nAna,closer,6\n", "line 1, column month: missing; the header must include month,rep,role"),
        ("month,rep,role,deal\n", 'line 1, column "deal": unknown column; the columns are month,rep,role,'),
        ("month,rep,role,deals,deals\n", "line 1, column deals: appears twice"),
        (
            HEADER + "2026-10,Ana,closer,6,,,,\n2026-10,Ben,closer,4,,,,\n2026-13,Cy,closer,3,,,,\n",
            'line 4, column month: "2026-13" is not a month; use YYYY-MM',
        ),
        (HEADER + "10/2026,Ana,closer,6,,,,\n", 'line 2, column month: "10/2026" is not a month; use YYYY-MM'),
        (HEADER + ",Ana,closer,6,,,,\n", "line 2, column month: required; use YYYY-MM"),
        (HEADER + "2026-10,,closer,6,,,,\n", "line 2, column rep: the rep's name must be 1 to 200 characters"),
        (
            HEADER + "2026-10,Ana,hunter,6,,,,\n",
            'line 2, column role: unknown role "hunter"; the roles are closer (Closers), setter (Setters)',
        ),
        (HEADER + "2026-10,Ana,closer,-1,,,,\n", 'line 2, column deals: must be a number ≥ 0, got "-1"'),
        (HEADER + "2026-10,Ana,closer,six,,,,\n", "line 2, column deals: enter a number, like 6, 2.5 or 10,000"),
        (HEADER + "2026-10,Ana,closer,NaN,,,,\n", "line 2, column deals: enter a number, like 6, 2.5 or 10,000 (not"),
        (HEADER + "2026-10,Ana,closer,\"1.234,5\",,,,\n", "line 2, column deals: “1.234,5” can be read two ways"),
        (
            HEADER + "2026-10,Ana,closer,6,,,1.234,\n",
            'line 2, column revenue: use at most 2 decimal places, got "1.234"',
        ),
        (
            HEADER + "2026-10,Ana,closer,6,,,,1/2/2026\n",
            'line 2, column start_date: "1/2/2026" is not a date; use YYYY-MM-DD',
        ),
        (HEADER + "2026-10,Ana,closer,6,,,\n", "line 2: 7 cells, but the header has 8 columns"),
        (
            HEADER + "2026-10,Ana,closer,6,,,,\n2026-10,Ana,closer,7,,,,\n",
            "line 3: Ana already has a row for 2026-10 on line 2",
        ),
        (HEADER + "2026-10,Zed,,6,,,,\n", "line 2, column role: required for the new rep Zed"),
        (
            HEADER + "2026-10,Zed,closer,6,,,,\n2026-11,Zed,setter,,3,,,\n",
            'line 3, column role: Zed is "closer" on line 2',
        ),
        (
            HEADER + "2026-10,Zed,closer,6,,,,2026-01-01\n2026-11,Zed,closer,6,,,,2026-02-01\n",
            "line 3, column start_date: Zed starts on 2026-01-01 on line 2",
        ),
        (HEADER + "2026-10,Known,setter,6,,,,\n", 'line 2, column role: Known is in role "closer", not "setter"'),
        (
            HEADER + '2026-10,"Ana,closer,6,,,,\n',
            "line 2: not a valid CSV file (unexpected end of data); check the quotes",
        ),
        (
            HEADER + '2026-10,"Ana"x,closer,6,,,,\n',
            "line 2: not a valid CSV file (',' expected after '\"'); check the quotes",
        ),
    ],
)
def test_bad_files_are_refused_whole_with_line_and_column(organization, data, message):
    with organization_context(organization):
        known = rep_create(organization, name="Known", role="closer")
        actual_create(organization, rep=known, month=OCTOBER, deals=1)
    before = database_state()

    with pytest.raises(ActualsImportError) as error:
        imported(organization, data)
    assert str(error.value).startswith(message)
    assert "\n" not in str(error.value)
    assert database_state() == before
    with pytest.raises(ActualsImportError):
        previewed(organization, data)


def test_every_bad_row_is_listed_in_line_order(organization):
    data = HEADER + "2026-13,Ana,closer,6,,,,\n2026-10,Ben,closer,-1,,,,\n"
    with pytest.raises(ActualsImportError) as error:
        imported(organization, data)
    assert error.value.errors == [
        'line 2, column month: "2026-13" is not a month; use YYYY-MM',
        'line 3, column deals: must be a number ≥ 0, got "-1"',
    ]


def _csv(reps: int, month: str) -> str:
    return HEADER + "".join(f"{month},Rep {index:04d},closer,{index % 7},,,,\n" for index in range(reps))


def test_import_runs_a_constant_number_of_queries(organization):
    counts = []
    for reps, months in ((5, ("2026-01", "2026-02")), (120, ("2026-03", "2026-04"))):
        imported(organization, _csv(reps, months[0]))  # creates the reps
        with CaptureQueriesContext(connection) as creating:
            imported(organization, _csv(reps, months[1]))
        with CaptureQueriesContext(connection) as updating:
            imported(organization, _csv(reps, months[1]).replace(",closer,", ",closer,1"))
        counts.append((len(creating), len(updating)))
    assert counts[0] == counts[1]
