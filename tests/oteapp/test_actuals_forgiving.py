"""Imports that forgive what is harmless and refuse what is wrong (issue 17 item 6): a spreadsheet's own export
(Excel's byte-order mark and `;`, "Team deals", "Closers", "$10,500") and its .xlsx workbook import like our CSV;
a template of the month's reps downloads and uploads back unchanged; anything that can be read two ways is refused
as a whole, naming line and column."""

import io
import zipfile
from datetime import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from accounts.tenancy import organization_context
from oteapp.files.actuals_csv import ActualsImportError, actuals_csv_import, actuals_csv_preview, actuals_csv_text
from oteapp.models import MonthlyActual, Rep, SalesRole
from tests.factories import actual_create, rep_create
from tests.tenancy.test_isolation import tenant_rows_fingerprint

pytestmark = pytest.mark.django_db

# What Excel writes for "CSV UTF-8" in a locale whose decimal separator is a comma: a byte-order mark, `;`
# between cells, and the headers and roles as a person typed them.
EXCEL_EXPORT = (
    "\ufeffMonth;Rep;Role;Deals;Meetings;Team deals;Revenue\r\n"
    "2026-10;Ana;Closers;6;;;$10,500\r\n"
    "2026-10;Eli;setters;;42;;\r\n"
    "2026-10;Gus;Manager;;;18;\r\n"
).encode()


def imported(organization, data):
    with organization_context(organization):
        return actuals_csv_import(organization=organization, data=data)


def refused(organization, data) -> list[str]:
    before = tenant_rows_fingerprint()
    with organization_context(organization), pytest.raises(ActualsImportError) as error:
        actuals_csv_import(organization=organization, data=data)
    assert tenant_rows_fingerprint() == before
    return error.value.errors


def stored(organization) -> dict[str, dict[str, Decimal | None]]:
    return {
        actual.rep.name: {
            "deals": actual.deals,
            "meetings": actual.meetings,
            "team_deals": actual.team_deals,
            "revenue": actual.revenue,
        }
        for actual in MonthlyActual.unscoped.filter(organization=organization).select_related("rep")
    }


EXPECTED = {
    "Ana": {"deals": Decimal(6), "meetings": None, "team_deals": None, "revenue": Decimal(10500)},
    "Eli": {"deals": None, "meetings": Decimal(42), "team_deals": None, "revenue": None},
    "Gus": {"deals": None, "meetings": None, "team_deals": Decimal(18), "revenue": None},
}


def test_a_spreadsheet_export_with_a_bom_semicolons_and_loose_headers_imports(organization):
    result = imported(organization, EXCEL_EXPORT)

    assert (result.reps_created, result.actuals_created) == (3, 3)
    assert stored(organization) == EXPECTED
    roles = dict(Rep.unscoped.filter(organization=organization).values_list("name", "role__key"))
    assert roles == {"Ana": "closer", "Eli": "setter", "Gus": "manager"}


def workbook(rows: list[list[object]]) -> bytes:
    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_same_sheet_saved_as_an_xlsx_workbook_imports_the_same(organization):
    # Excel turns a typed "2026-10" into 1 October 2026 and stores amounts as numbers.
    data = workbook(
        [
            ["Month", "Rep", "Role", "Deals", "Meetings", "Team deals", "Revenue"],
            [datetime(2026, 10, 1), "Ana", "Closers", 6, None, None, 10500.0],
            ["2026-10", "Eli", "setters", None, 42, None, None],
            [datetime(2026, 10, 1), "Gus", "Manager", None, None, 18, None],
            [None, None, None, None, None, None, None],
        ]
    )
    result = imported(organization, data)
    assert (result.reps_created, result.actuals_created) == (3, 3)
    assert stored(organization) == EXPECTED


def test_an_xlsx_with_a_mistake_is_refused_naming_its_row_and_column(organization):
    data = workbook([["month", "rep", "role", "deals"], ["2026-10", "Ana", "closer", "six"]])
    assert refused(organization, data) == ["line 2, column deals: enter a number, like 6, 2.5 or 10,000 (not “six”)."]


def test_a_file_that_is_neither_utf8_nor_a_workbook_is_refused(organization):
    assert refused(organization, b"PK\x03\x04 not really a zip") == [
        "not an Excel workbook (.xlsx): save it as .xlsx or CSV UTF-8"
    ]
    assert refused(organization, "month;rep\n2026-10;Zoë".encode("cp1252"))[0].startswith(
        "not a CSV file: it is not UTF-8 text"
    )


def test_a_workbook_that_would_uncompress_beyond_the_limit_is_refused_before_it_is_parsed(organization, settings):
    settings.IMPORT_MAX_BYTES = 10_000
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<" * 300_000)  # compresses to a few hundred bytes
    assert refused(organization, out.getvalue()) == [
        "the workbook uncompresses to 300,000 bytes; an import takes at most 200,000"
    ]


def test_a_sheet_over_the_row_limit_is_refused(organization, settings):
    settings.IMPORT_MAX_ROWS = 3
    rows = [["month", "rep", "role", "deals"]] + [["2026-10", f"Rep {i}", "closer", 1] for i in range(10)]
    assert refused(organization, workbook(rows)) == [
        "line 8: the sheet has more than 3 rows; an import takes at most 3"
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # A display name that is another role's key: which one was meant cannot be known.
        (
            "month,rep,role,deals\n2026-10,Ana,Setters,6\n",
            'line 2, column role: "Setters" could be the role hunter or setter',
        ),
        ("month,rep,role,deals\n2026-10,Ana,Hunters,6\n", 'line 2, column role: unknown role "Hunters"; the roles are'),
        ("month;rep;role;deals\n2026-10;Ana;closer;1,5\n", "line 2, column deals: “1,5” can be read two ways"),
        (
            "month;rep;role;revenue\n2026-10;Ana;closer;1.234,50\n",
            "line 2, column revenue: “1.234,50” can be read two ways",
        ),
        ("Month,Rep,Role,Team dealz\n2026-10,Ana,closer,1\n", 'line 1, column "team_dealz": unknown column'),
    ],
)
def test_what_can_be_read_two_ways_is_refused_naming_line_and_column(organization, text, message):
    SalesRole.unscoped.create(organization=organization, key="hunter", name="Setters", kind="closer", position=9)
    errors = refused(organization, text.encode())
    assert errors[0].startswith(message), errors


def test_semicolons_are_the_delimiter_only_when_the_header_says_so(organization):
    # A comma header: a semicolon inside a name is part of the name.
    imported(organization, b'month,rep,role,deals\n2026-10,"Ana; Jr",closer,6\n')
    assert Rep.unscoped.filter(organization=organization, name="Ana; Jr").exists()


def test_the_template_lists_the_months_reps_and_uploads_back_unchanged(owner_client, organization):
    ana = rep_create(organization, name="Ana", role="closer")
    rep_create(organization, name="=Eli", role="setter")  # a formula-looking name goes out defused and comes back
    actual_create(organization, rep=ana, month=datetime(2026, 10, 1).date(), deals=6, revenue="10500.50")

    response = owner_client.get(f"/o/{organization.slug}/actuals/template.csv?month=2026-10")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    assert response["Content-Disposition"] == f'attachment; filename="{organization.slug}-actuals-2026-10.csv"'
    text = response.content.decode()
    assert text.splitlines() == [
        '"month","rep","role","deals","meetings","team_deals","revenue"',
        '"2026-10","\'=Eli","setter","","","",""',
        '"2026-10","Ana","closer",6,"","",10500.5',
    ]
    with organization_context(organization):
        preview = actuals_csv_preview(organization=organization, data=text)
    assert (preview.actuals_created, preview.actuals_updated, preview.actuals_unchanged) == (1, 0, 1)
    assert preview.reps_to_create == []  # "'=Eli" is read back as the rep =Eli


def test_the_upload_page_previews_an_xlsx_and_applies_it(owner_client, organization):
    data = workbook([["Month", "Rep", "Role", "Deals"], ["2026-10", "Ana", "Closers", 6]])
    upload = SimpleUploadedFile("actuals.xlsx", data)
    preview = owner_client.post(f"/o/{organization.slug}/actuals/upload/?month=2026-10", {"csv-file": upload})
    body = preview.content.decode()
    assert preview.status_code == 200 and "Preview: what this file will change" in body and "Ana" in body
    token = body.split('name="token" value="')[1].split('"')[0]
    applied = owner_client.post(f"/o/{organization.slug}/actuals/upload/apply/?month=2026-10", {"token": token})
    assert applied.status_code == 302
    assert stored(organization)["Ana"]["deals"] == Decimal(6)


def test_a_formula_like_name_in_a_workbook_is_read_as_typed(organization):
    # The CSV copy of the sheet defuses "@Bob" (a spreadsheet would run it); the import reads it back as typed.
    imported(organization, workbook([["month", "rep", "role", "deals"], ["2026-10", "@Bob", "closer", -0.0]]))
    assert stored(organization)["@Bob"]["deals"] == Decimal(0)


def test_the_text_of_an_xlsx_is_its_first_sheet_as_csv():
    data = workbook([["month", "rep", "role", "revenue"], [datetime(2026, 10, 1), "Ana, Jr", "closer", 0.1]])
    assert actuals_csv_text(data) == '"month","rep","role","revenue"\n"2026-10","Ana, Jr","closer",0.1\n'
