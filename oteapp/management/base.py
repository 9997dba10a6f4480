"""What the commands of SPEC section 7 share: one-line errors and the organization by slug."""

import argparse
import os
from datetime import date
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import Organization
from accounts.text import text_problem
from oteapp.files.configuration import date_parse, import_size_problem


class OneLineErrorCommand(BaseCommand):
    """A bad argument prints one line (no usage block), like every other error of these commands."""

    # Paths name files as the system spells them: bytes that are not UTF-8 arrive as lone surrogates and
    # still open the right file.
    path_options = frozenset({"file", "output"})

    def execute(self, *args, **options) -> str | None:
        # Text arguments reach the database: NUL or a lone surrogate (a non-UTF-8 byte in argv) is refused here,
        # in one line, rather than failing inside a query with a traceback.
        for name, value in options.items():
            problem = text_problem(value) if isinstance(value, str) and name not in self.path_options else None
            if problem:
                raise CommandError(f"{name.replace('_', '-')} {problem}")
        return super().execute(*args, **options)

    def create_parser(self, prog_name: str, subcommand: str, **kwargs) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.usage = argparse.SUPPRESS
        return parser


class OrganizationCommand(OneLineErrorCommand):
    """A command about one organization, named by its slug as the first argument."""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the organization's slug")

    @staticmethod
    def organization_get(slug: str) -> Organization:
        organization = Organization.objects.filter(slug=slug).first()
        if organization is None:
            raise CommandError(f"no organization with slug {slug!r}")
        return organization

    @staticmethod
    def file_read(path: str) -> bytes:
        """The file's bytes; a file over the import limit is refused before it is read."""
        try:
            with Path(path).open("rb") as file:
                problem = import_size_problem(os.fstat(file.fileno()).st_size)
                if problem:
                    raise CommandError(f"{path}: {problem}")
                return file.read(settings.IMPORT_MAX_BYTES + 1)  # a file that grew meanwhile is refused by the import
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None


def as_of_parse(text: str | None) -> date | None:
    """`--as-of YYYY-MM-DD`, the day taken as today (None: not given)."""
    if text is None:
        return None
    day, problem = date_parse(text)
    if problem or day is None:
        raise CommandError(f"--as-of {problem or 'is blank; use YYYY-MM-DD'}")
    return day
