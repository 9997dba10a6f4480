"""`manage.py report SLUG --month YYYY-MM [--format json|text]`: a month's report (the SPEC section 6 contract)."""

from django.core.management.base import CommandError, CommandParser

from accounts.tenancy import organization_context
from oteapp.engine import report_to_json, report_to_text
from oteapp.management.base import OrganizationCommand
from oteapp.months import parse_month
from oteapp.selectors import month_report_get


class Command(OrganizationCommand):
    help = "Print an organization's report for one month, as JSON or text."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--month", required=True, help="the month, YYYY-MM")
        parser.add_argument("--format", dest="output_format", choices=("json", "text"), default="json")

    def handle(self, *args, slug: str, month: str, output_format: str, **options) -> None:
        organization = self.organization_get(slug)
        try:
            first_day = parse_month(month)
        except ValueError as exc:
            raise CommandError(f"--month {exc}") from None
        with organization_context(organization):
            report = month_report_get(organization=organization, month=first_day).report
        if output_format == "json":
            self.stdout.write(report_to_json(report))
        else:
            self.stdout.write(report_to_text(report), ending="")
