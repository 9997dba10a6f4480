"""`manage.py send_digests --period YYYY-MM [--org SLUG] [--dry-run] [--retry-failed]`: send a closed month's
digests now, in this process (the hourly job does the same through the workers).

Exactly once still holds: deliveries already sent are skipped, and a worker sending at the same time
cannot claim the same row. `--dry-run` lists who would get one and writes nothing."""

import argparse
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization
from accounts.tenancy import organization_context
from oteapp.jobs.digests import (
    digest_recipients_get,
    digests_due,
    digests_prepare,
    digests_retry_failed,
    digests_send,
    period_is_closed,
)
from oteapp.jobs.snapshots import organization_id_batches
from oteapp.models import MonthlyActual
from oteapp.months import parse_month


class Command(BaseCommand):
    help = "Send the digests of a closed month now, for one organization or all."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.usage = argparse.SUPPRESS
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--period", required=True, help="the month the digest covers, YYYY-MM")
        parser.add_argument("--org", dest="slug", help="one organization's slug (default: all)")
        parser.add_argument("--dry-run", action="store_true", help="list the recipients; send and write nothing")
        parser.add_argument("--retry-failed", action="store_true", help="try deliveries that ran out of attempts again")

    def handle(self, *args, period: str, slug: str | None, dry_run: bool, retry_failed: bool, **options) -> None:
        try:
            month = parse_month(period)
        except ValueError as exc:
            raise CommandError(f"--period {exc}") from None
        if slug is not None:
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                raise CommandError(f"no organization with slug {slug!r}")
            with organization_context(organization):
                if not period_is_closed(organization=organization, period=month):
                    raise CommandError(f"{period} has not closed yet in {organization.name}'s timezone")
                if not MonthlyActual.objects.filter(organization=organization, month=month).exists():
                    raise CommandError(f"{organization.name} has no actuals for {period}")
            batches = [[organization.pk]]
        else:
            batches = organization_id_batches()
        totals = {"sent": 0, "retrying": 0, "failed": 0}
        for batch in batches:
            for organization in Organization.objects.filter(pk__in=batch).order_by("pk"):
                with organization_context(organization):
                    self._organization(organization, month, dry_run, retry_failed, totals)
        if not dry_run:
            self.stdout.write(
                f"Digests {period}: {totals['sent']} sent, {totals['retrying']} to retry, {totals['failed']} failed"
            )

    def _organization(
        self, organization: Organization, month: date, dry_run: bool, retry_failed: bool, totals: dict[str, int]
    ) -> None:
        if not period_is_closed(organization=organization, period=month):
            return
        if dry_run:
            if MonthlyActual.objects.filter(organization=organization, month=month).exists():
                for email, outcome in digest_recipients_get(organization=organization, period=month):
                    self.stdout.write(f"{organization.slug}\t{email}\t{outcome}")
            return
        digests_prepare(periods={organization.pk: month})
        if retry_failed:
            digests_retry_failed(organization=organization, period=month)
        if not digests_due(periods={organization.pk: month}):
            return
        more = True
        while more:  # a run stops at its time budget; go on until everything due was tried
            result = digests_send(organization=organization, period=month)
            for email in result.recipients:
                self.stdout.write(f"{organization.slug}\t{email}\tsent")
            totals["sent"] += result.sent
            totals["retrying"] += result.retrying
            totals["failed"] += result.failed
            more = result.more
