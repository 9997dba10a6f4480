"""`manage.py backfill_snapshots [--org SLUG]`: a snapshot of every month with actuals.

Closed months that have no snapshot yet are frozen with today's configuration (the best record there is);
existing snapshots are left alone unless their actuals changed. Running it again writes nothing."""

import argparse

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization
from oteapp.jobs.snapshots import SnapshotStats, organization_id_batches, snapshots_backfill


class Command(BaseCommand):
    help = "Snapshot every past month with actuals, for one organization or all (in batches)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.usage = argparse.SUPPRESS
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--org", dest="slug", help="one organization's slug (default: all)")

    def handle(self, *args, slug: str | None, **options) -> None:
        if slug is not None:
            organization = Organization.objects.filter(slug=slug).first()
            if organization is None:
                raise CommandError(f"no organization with slug {slug!r}")
            batches = [[organization.pk]]
        else:
            batches = organization_id_batches()
        stats = SnapshotStats()
        for batch in batches:
            stats.add(snapshots_backfill(organization_ids=batch))
        self.stdout.write(f"Backfill: {stats}")
