"""`manage.py importconfig SLUG FILE`: a configuration file (version 2.0, or the old dashboard's 1.1)."""

import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization
from accounts.tenancy import organization_context
from oteapp.config_files import ConfigImportError
from oteapp.services.configuration import configuration_import


class Command(BaseCommand):
    help = "Import an organization's configuration from a JSON file; a bad file changes nothing."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.usage = argparse.SUPPRESS  # a bad argument prints one line, like every other error
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the organization's slug")
        parser.add_argument("file", help="the configuration JSON file")

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
                # The web's service: it also asks for the snapshots to be recomputed.
                result = configuration_import(organization=organization, actor=None, data=data)
            except ConfigImportError as exc:
                raise CommandError(f"{file}: {exc}") from None
        for notice in result.notices:
            self.stdout.write(notice)
        self.stdout.write(f"Imported {file} into {slug}: {result.summary()}.")
