"""`manage.py statements SLUG --month YYYY-MM [--as-of YYYY-MM-DD] [--format json|csv]`: every rep's statement of
the month (SPEC section 12's contract as JSON; as CSV, one row per rep with the contract's figures)."""

import json

from django.core.management.base import CommandError, CommandParser

from accounts.tenancy import organization_context
from oteapp.files.csv_writer import csv_text
from oteapp.management.base import OrganizationCommand, as_of_parse
from oteapp.months import parse_month
from oteapp.payouts.selectors import payout_month_get

CSV_COLUMNS = (
    "rep", "role", "base", "commission", "adjustments", "earned", "draw", "draw_recovery", "payout", "balance_after",
    "ote_attainment", "quota_attainment",
)


class Command(OrganizationCommand):
    help = "Print every rep's statement for a month (SPEC section 12), as JSON or CSV."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--month", required=True, help="the month, YYYY-MM")
        parser.add_argument(
            "--as-of", dest="as_of", help="the day taken as today for pace, YYYY-MM-DD (default: today there)"
        )
        parser.add_argument("--format", dest="output_format", choices=("json", "csv"), default="json")

    def handle(self, *args, slug: str, month: str, as_of: str | None, output_format: str, **options) -> None:
        organization = self.organization_get(slug)
        try:
            first_day = parse_month(month)
        except ValueError as exc:
            raise CommandError(f"--month {exc}") from None
        today = as_of_parse(as_of)
        with organization_context(organization):
            payout = payout_month_get(organization=organization, month=first_day, as_of=today)
        contract = payout.contract()
        if output_format == "json":
            self.stdout.write(json.dumps(contract, indent=2))
            return
        rows = [[statement[column] for column in CSV_COLUMNS] for statement in contract["statements"]]
        self.stdout.write(csv_text([CSV_COLUMNS, *rows]), ending="")
