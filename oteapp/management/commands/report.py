"""`manage.py report SLUG (--month YYYY-MM | --period YYYY-Qn|YYYY-ytd|YYYY-MM) [--as-of YYYY-MM-DD]
[--format json|text]`: a month's report (the SPEC section 6 contract) or a period's (section 14: `period` and
`months` in place of `month`). Quarters and years follow the organization's fiscal year start; year to date runs
through the month of `--as-of` ("today", by default today in the organization's time zone)."""

from django.core.management.base import CommandError, CommandParser

from accounts.tenancy import organization_context
from oteapp import engine
from oteapp.engine import report_to_json, report_to_text
from oteapp.jobs.snapshots import organization_today
from oteapp.management.base import OrganizationCommand, as_of_parse
from oteapp.months import parse_month
from oteapp.selectors import month_report_get, organization_settings_get, period_report_get


class Command(OrganizationCommand):
    help = "Print an organization's report for a month, a quarter or the year to date, as JSON or text."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--month", help="the month, YYYY-MM")
        which.add_argument("--period", help="a fiscal quarter YYYY-Q1..Q4, a fiscal year to date YYYY-ytd, or YYYY-MM")
        parser.add_argument(
            "--as-of", dest="as_of", help="the day taken as today, YYYY-MM-DD (default: today in the organization)"
        )
        parser.add_argument("--format", dest="output_format", choices=("json", "text"), default="json")

    def handle(
        self, *args, slug: str, month: str | None, period: str | None, as_of: str | None, output_format: str, **options
    ) -> None:
        organization = self.organization_get(slug)
        today = as_of_parse(as_of)
        with organization_context(organization):
            if month is not None:
                try:
                    first_day = parse_month(month)
                except ValueError as exc:
                    raise CommandError(f"--month {exc}") from None
                report = month_report_get(organization=organization, month=first_day).report
                text = report_to_json(report) if output_format == "json" else report_to_text(report)
            else:
                settings = organization_settings_get(organization=organization)
                try:
                    chosen = engine.parse_period(
                        period,
                        fiscal_year_start=settings.fiscal_year_start,
                        as_of=today or organization_today(timezone_name=settings.timezone),
                    )
                except ValueError as exc:  # PeriodError, or a year the calendar does not have (0000)
                    raise CommandError(f"--period {exc}") from None
                report = period_report_get(organization=organization, period=chosen)
                if output_format == "json":
                    text = engine.period_report_to_json(report)
                else:
                    text = engine.period_report_to_text(report)
        if output_format == "json":
            self.stdout.write(text)
        else:
            self.stdout.write(text, ending="")

