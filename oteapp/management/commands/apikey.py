"""`manage.py apikey create SLUG --name NAME --scope read|write`: a new API key of the organization, printed once
(only its digest is stored); `manage.py apikey revoke SLUG PREFIX` stops one."""

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from accounts.tenancy import organization_context
from oteapp.api.keys import api_key_create, api_key_revoke
from oteapp.management.base import OrganizationCommand
from oteapp.models import ApiKey, ApiKeyScope


class Command(OrganizationCommand):
    help = "Create an API key of an organization (printed once), or revoke one by its prefix."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=("create", "revoke"))
        super().add_arguments(parser)
        parser.add_argument("prefix", nargs="?", help="revoke: the key's prefix, as the Integrations page shows it")
        parser.add_argument("--name", help="create: what the key is for, e.g. the CRM that will use it")
        parser.add_argument("--scope", choices=ApiKeyScope.values, default=ApiKeyScope.READ)

    def handle(self, *args, action: str, slug: str, prefix: str | None, name: str | None, scope: str, **options):
        organization = self.organization_get(slug)
        with organization_context(organization):
            if action == "create":
                if name is None:
                    raise CommandError("--name is required, e.g. --name 'HubSpot sync'")
                try:
                    _, text = api_key_create(organization=organization, actor=None, name=name, scope=scope)
                except ValidationError as error:
                    raise CommandError(
                        " ".join(m for messages in error.message_dict.values() for m in messages)
                    ) from None
                self.stdout.write(text)
                self.stderr.write("Keep this key now: it is not stored and cannot be shown again.")
                return
            if not prefix:
                raise CommandError("give the prefix of the key to revoke")
            api_key = ApiKey.objects.filter(organization=organization, prefix=prefix).first()
            if api_key is None:
                raise CommandError(f"no API key with prefix {prefix!r} in {slug}")
            api_key_revoke(organization=organization, actor=None, api_key=api_key)
            self.stdout.write(f"Revoked {api_key.name} ({api_key.prefix}).")
