"""`manage.py exportconfig SLUG [-o FILE]`: the configuration as a version 2.0 file (stdout by default)."""

import argparse
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization
from accounts.tenancy import organization_context
from oteapp.config_files import config_export_json


class Command(BaseCommand):
    help = "Export an organization's configuration as JSON (version 2.0)."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.usage = argparse.SUPPRESS  # a bad argument prints one line, like every other error
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the organization's slug")
        parser.add_argument("-o", "--output", help="write to this file instead of standard output")

    def handle(self, *args, slug: str, output: str | None, **options) -> None:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"no organization with slug {slug!r}")
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
