"""`manage.py snapshot (--month YYYY-MM | --open) [--org SLUG] [--reopen [--actor EMAIL]]`: compute snapshots now.

`--month` computes one month (a closed month is frozen, see oteapp/jobs/snapshots.py); `--open` is the nightly job
(every open month); `--reopen` recomputes a frozen month with today's configuration (audited)."""

import argparse
from datetime import date

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization, User
from accounts.tenancy import organization_context
from oteapp.jobs.snapshots import (
    SnapshotError,
    SnapshotStats,
    organization_id_batches,
    snapshot_reopen,
    snapshots_compute,
    snapshots_open_months_compute,
)
from oteapp.months import parse_month


class Command(BaseCommand):
    help = "Compute monthly snapshots now, for one organization or all."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.usage = argparse.SUPPRESS  # a bad argument prints one line, like every other error
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--month", help="the month, YYYY-MM")
        which.add_argument("--open", action="store_true", help="every open month (the nightly job)")
        parser.add_argument("--org", dest="slug", help="one organization's slug (default: all)")
        parser.add_argument("--reopen", action="store_true", help="recompute a frozen month with today's configuration")
        parser.add_argument("--actor", help="email of the person reopening, for the audit trail")

    def handle(
        self, *args, month: str | None, open: bool, slug: str | None, reopen: bool, actor: str | None, **options
    ) -> None:
        organization = None
        if slug is not None:
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                raise CommandError(f"no organization with slug {slug!r}")
        try:
            first_day = parse_month(month) if month else None
        except ValueError as exc:
            raise CommandError(f"--month {exc}") from None
        if reopen:
            self._reopen(organization, first_day, actor)
            return
        batches = [[organization.pk]] if organization else organization_id_batches()
        stats = SnapshotStats()
        for batch in batches:
            if first_day is None:
                stats.add(snapshots_open_months_compute(organization_ids=batch))
            else:
                stats.add(snapshots_compute(months_by_organization={org_id: [first_day] for org_id in batch}))
        self.stdout.write(f"Snapshots: {stats}")

    def _reopen(self, organization: Organization | None, month: date | None, actor_email: str | None) -> None:
        if organization is None or month is None:
            raise CommandError("--reopen needs --org and --month")
        actor = None
        if actor_email:
            actor = User.objects.filter(email__iexact=actor_email).first()
            if actor is None:
                raise CommandError(f"no user with email {actor_email!r}")
        with organization_context(organization):
            try:
                snapshot = snapshot_reopen(organization=organization, actor=actor, month=month)
            except SnapshotError as exc:
                raise CommandError(str(exc)) from None
        self.stdout.write(f"Reopened {month:%Y-%m}: total actual {snapshot.report['summary']['total_actual']}")
