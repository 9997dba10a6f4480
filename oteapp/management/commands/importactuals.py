"""`manage.py importactuals SLUG FILE.csv`: monthly actuals from a CSV file."""

import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization
from accounts.tenancy import organization_context
from oteapp.actuals_csv import ActualsImportError, actuals_csv_text
from oteapp.services.actuals import actuals_file_apply


class Command(BaseCommand):
    help = "Import monthly actuals from a CSV file (SPEC section 8); a bad file changes nothing."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.usage = argparse.SUPPRESS  # a bad argument prints one line, like every other error
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the organization's slug")
        parser.add_argument("file", help="the actuals CSV file")

    def handle(self, *args, slug: str, file: str, **options) -> None:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"no organization with slug {slug!r}")
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        with organization_context(organization):
            try:
                # The web's service: it also asks for the touched months' snapshots to be recomputed.
                applied = actuals_file_apply(organization=organization, actor=None, data=actuals_csv_text(data))
            except ActualsImportError as exc:
                raise CommandError(f"{file}: {exc}") from None
        for notice in applied.notices:
            self.stdout.write(notice)
        self.stdout.write(f"Imported {file} into {slug}: {applied.summary()}.")
