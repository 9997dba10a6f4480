"""`manage.py payroll SLUG --month YYYY-MM [-o FILE]`: the payroll CSV of an approved month (SPEC section 12)."""

from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from accounts.tenancy import organization_context
from oteapp.files.payroll import payroll_csv_text
from oteapp.management.base import OrganizationCommand
from oteapp.months import parse_month
from oteapp.payouts.selectors import payout_month_get, reps_by_id
from oteapp.payouts.services import PayoutError


class Command(OrganizationCommand):
    help = "Write the payroll CSV of an approved month."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--month", required=True, help="the month, YYYY-MM")
        parser.add_argument("-o", "--output", help="the file to write (default: standard output)")

    def handle(self, *args, slug: str, month: str, output: str | None, **options) -> None:
        organization = self.organization_get(slug)
        try:
            first_day = parse_month(month)
        except ValueError as exc:
            raise CommandError(f"--month {exc}") from None
        with organization_context(organization):
            payout = payout_month_get(organization=organization, month=first_day)
            reps = reps_by_id(organization=organization, rep_ids={s.rep_id for s in payout.statements.statements})
            try:
                text = payroll_csv_text(payout=payout, reps=reps)
            except PayoutError as exc:
                raise CommandError(exc.message) from None
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
