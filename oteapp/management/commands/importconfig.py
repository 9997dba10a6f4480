"""`manage.py importconfig SLUG FILE`: a configuration file (version 2.0, or the old dashboard's 1.1)."""

from django.core.management.base import CommandError, CommandParser

from accounts.tenancy import organization_context
from oteapp.files.configuration import ConfigImportError
from oteapp.management.base import OrganizationCommand
from oteapp.services.configuration import configuration_import


class Command(OrganizationCommand):
    help = "Import an organization's configuration from a JSON file; a bad file changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file", help="the configuration JSON file")

    def handle(self, *args, slug: str, file: str, **options) -> None:
        organization = self.organization_get(slug)
        data = self.file_read(file)
        with organization_context(organization):
            try:
                # The web's service: it also asks for the snapshots to be recomputed.
                result = configuration_import(organization=organization, actor=None, data=data)
            except ConfigImportError as exc:
                raise CommandError(f"{file}: {exc}") from None
        for notice in result.notices:
            self.stdout.write(notice)
        self.stdout.write(f"Imported {file} into {slug}: {result.summary()}.")
