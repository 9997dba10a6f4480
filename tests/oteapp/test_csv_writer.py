"""Issue 14 item 5: no CSV the product writes can carry a spreadsheet formula (CSV injection)."""

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from accounts.tenancy import organization_context
from oteapp.files.csv_writer import csv_text
from oteapp.models import SalesRole
from tests.factories import rep_create

pytestmark = pytest.mark.django_db

HOSTILE_ROLE = '=HYPERLINK("http://evil","x")'


def test_the_report_csv_defuses_a_formula_in_a_role_name(owner_client, organization):
    with organization_context(organization):
        SalesRole.objects.filter(key="closer").update(name=HOSTILE_ROLE)
        SalesRole.objects.filter(key="setter").update(name="@SUM(1)")
    rep_create(organization, name="@SUM(1)", role="closer")

    response = owner_client.get(f"/o/{organization.slug}/report.csv?month=2026-10")

    rows = list(csv.reader(io.StringIO(response.content.decode())))
    names = [row[2] for row in rows[1:4]]
    assert names == ["'" + HOSTILE_ROLE, "'@SUM(1)", "Managers"]
    assert not any(cell.startswith(("=", "+", "@")) for row in rows for cell in row)


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ('=HYPERLINK("http://evil","x")', '\'=HYPERLINK("http://evil","x")'),
        ("@SUM(1)", "'@SUM(1)"),
        ("+1+1", "'+1+1"),
        ("-2+3", "'-2+3"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ana = Ben", "Ana = Ben"),
        ("ana@example.com", "ana@example.com"),
        (-1376.4, "-1376.4"),
        (Decimal("-5.50"), "-5.50"),
        (0, "0"),
        (None, ""),
    ],
)
def test_text_is_defused_and_numbers_stay_numbers(cell, written):
    assert next(csv.reader(io.StringIO(csv_text([[cell]]), newline=""))) == [written]


def test_every_csv_the_product_writes_goes_through_the_one_writer():
    """A new export written with the csv module directly would bypass the defusing."""
    writer = Path(settings.BASE_DIR, "oteapp", "files", "csv_writer.py")
    offenders = []
    for package in ("accounts", "oteapp", "config"):
        for path in Path(settings.BASE_DIR, package).rglob("*.py"):
            if path != writer and re.search(r"csv\.(writer|DictWriter)\b", path.read_text()):
                offenders.append(str(path.relative_to(settings.BASE_DIR)))
    assert offenders == []
