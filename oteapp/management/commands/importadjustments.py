"""`manage.py importadjustments SLUG FILE.csv`: adjustments (`month,rep,kind,amount,reason,reverses_month`), all or
nothing."""

from django.core.management.base import CommandError, CommandParser

from accounts.tenancy import organization_context
from oteapp.files.adjustments_csv import AdjustmentsImportError, adjustments_csv_import
from oteapp.management.base import OrganizationCommand
from oteapp.payouts.services import PayoutError


class Command(OrganizationCommand):
    help = "Import adjustments from a CSV file (SPEC section 12); a bad file changes nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("file", help="the adjustments CSV file")

    def handle(self, *args, slug: str, file: str, **options) -> None:
        organization = self.organization_get(slug)
        data = self.file_read(file)
        with organization_context(organization):
            try:
                items = adjustments_csv_import(organization=organization, data=data, actor=None)
            except (AdjustmentsImportError, PayoutError) as exc:
                raise CommandError(f"{file}: {exc}") from None
        self.stdout.write(f"Imported {file} into {slug}: {len(items)} adjustment{'' if len(items) == 1 else 's'}.")
