"""What `approve` and `reopen` share: the month, the acting member by email, and one-line refusals."""

from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.management.base import CommandError, CommandParser

from accounts.models import Organization, User
from accounts.tenancy import organization_context
from oteapp.management.base import OrganizationCommand
from oteapp.months import parse_month
from oteapp.payouts.services import PayoutError


class PayoutCommand(OrganizationCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--month", required=True, help="the month, YYYY-MM")
        parser.add_argument("--actor", required=True, help="the email of the owner or admin acting")

    def inputs(self, *, slug: str, month: str, actor: str) -> tuple[Organization, date, User]:
        organization = self.organization_get(slug)
        try:
            first_day = parse_month(month)
        except ValueError as exc:
            raise CommandError(f"--month {exc}") from None
        user = User.objects.filter(email__iexact=actor.strip()).first()
        if user is None:
            raise CommandError(f"--actor: no user with email {actor!r}")
        return organization, first_day, user

    def run(self, service: Callable[..., Any], *, organization: Organization, **kwargs: Any) -> Any:
        with organization_context(organization):
            try:
                return service(organization=organization, **kwargs)
            except PayoutError as exc:
                raise CommandError(exc.message) from None
