"""`manage.py createorg SLUG --name NAME [--owner EMAIL]`: an organization made as sign-up makes it."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils.text import slugify

from accounts.models import Organization, User
from accounts.services import organization_create
from oteapp.management.base import OneLineErrorCommand


class Command(OneLineErrorCommand):
    help = "Create an organization with default settings and roles; --owner creates the owner if missing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="the organization's URL name, e.g. acme")
        parser.add_argument("--name", required=True, help="the organization's display name")
        parser.add_argument("--owner", help="email of the owner; a user is created when there is none")

    @transaction.atomic
    def handle(self, *args, slug: str, name: str, owner: str | None, **options) -> None:
        if not slug or slugify(slug) != slug or len(slug) > 60:
            raise CommandError(f"{slug!r} is not a valid slug; use lowercase letters, digits and hyphens")
        if Organization.objects.filter(slug=slug).exists():
            raise CommandError(f"an organization with slug {slug!r} already exists")
        if not name.strip() or len(name.strip()) > 200:
            raise CommandError("--name must be 1 to 200 characters")
        user, created = None, False
        if owner is not None:
            email = owner.strip().lower()
            try:
                validate_email(email)
            except ValidationError:
                raise CommandError(f"--owner {owner!r} is not an email address") from None
            user = User.objects.filter(email=email).first()
            if user is None:
                # No password: the owner chooses one through the reset link, which also proves the address.
                user, created = User.objects.create_user(email, None), True
                EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        organization = organization_create(name=name, owner=user, slug=slug)
        self.stdout.write(f"Created organization {organization.slug} ({organization.name}).")
        if user is not None:
            self.stdout.write(f"Owner: {user.email}.")
        if created:
            reset_url = settings.SITE_URL.rstrip("/") + reverse("account_reset_password")
            self.stdout.write(f"{user.email} has no password yet; they set one at {reset_url}")
