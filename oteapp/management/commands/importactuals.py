"""`manage.py importactuals SLUG FILE.csv`: monthly actuals from a CSV file."""

from django.core.management.base import CommandError, CommandParser

from accounts.tenancy import organization_context
from oteapp.files.actuals_csv import ActualsImportError, actuals_csv_text
from oteapp.management.base import OrganizationCommand
from oteapp.services.actuals import actuals_file_apply


class Command(OrganizationCommand):
    help = "Import monthly actuals from a CSV file (SPEC section 8); a bad file changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file", help="the actuals CSV file")

    def handle(self, *args, slug: str, file: str, **options) -> None:
        organization = self.organization_get(slug)
        data = self.file_read(file)
        with organization_context(organization):
            try:
                # The web's service: it also asks for the touched months' snapshots to be recomputed.
                applied = actuals_file_apply(organization=organization, actor=None, data=actuals_csv_text(data))
            except ActualsImportError as exc:
                raise CommandError(f"{file}: {exc}") from None
        for notice in applied.notices:
            self.stdout.write(notice)
        self.stdout.write(f"Imported {file} into {slug}: {applied.summary()}.")
