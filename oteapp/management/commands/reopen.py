"""`manage.py reopen SLUG --month YYYY-MM --actor EMAIL --reason TEXT`: reopen an approved month."""

from django.core.management.base import CommandParser

from oteapp.management.payouts import PayoutCommand
from oteapp.payouts.services import month_reopen


class Command(PayoutCommand):
    help = "Reopen an approved month's payouts (SPEC section 12), with a reason, as an owner or admin."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--reason", required=True, help="why the month is reopened (audited)")

    def handle(self, *args, slug: str, month: str, actor: str, reason: str, **options) -> None:
        organization, first_day, user = self.inputs(slug=slug, month=month, actor=actor)
        self.run(month_reopen, organization=organization, actor=user, month=first_day, reason=reason)
        self.stdout.write(f"Reopened the payouts of {month} of {slug}: approve it again once it is right.")
