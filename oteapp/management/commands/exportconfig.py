"""`manage.py exportconfig SLUG [-o FILE]`: the configuration as a version 2.0 file (stdout by default)."""

from pathlib import Path

from django.core.management.base import CommandError, CommandParser

from accounts.tenancy import organization_context
from oteapp.files.configuration import config_export_json
from oteapp.management.base import OrganizationCommand


class Command(OrganizationCommand):
    help = "Export an organization's configuration as JSON (version 2.0)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("-o", "--output", help="write to this file instead of standard output")

    def handle(self, *args, slug: str, output: str | None, **options) -> None:
        organization = self.organization_get(slug)
        with organization_context(organization):
            text = config_export_json(organization=organization)
        if output is None:
            self.stdout.write(text, ending="")
            return
        try:
            Path(output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot write {output}: {exc.strerror}") from None
        self.stdout.write(f"Exported the configuration of {slug} to {output}.")
