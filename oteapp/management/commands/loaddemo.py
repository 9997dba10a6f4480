"""`manage.py loaddemo`: a demo organization with a year of realistic actuals (idempotent)."""

import random
from datetime import date
from decimal import Decimal

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Organization, User
from accounts.services import organization_create
from accounts.tenancy import organization_context
from oteapp.jobs.snapshots import snapshots_backfill
from oteapp.models import MonthlyActual, OrganizationSettings, Rep, SalesRole

DEMO_SLUG = "demo"
DEMO_EMAIL = "demo@example.com"
# The published demo login, printed by make run: not a secret.
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105  # nosec B105

# (name, role, average units per month, months since start at the end of the year)
DEMO_REPS = (
    ("Ana Alvarez", "closer", 6.0, 30),
    ("Ben Brooks", "closer", 4.5, 24),
    ("Cy Chen", "closer", 3.5, 14),
    ("Dee Duarte", "closer", 5.0, 20),
    ("Eva Egan", "closer", 4.0, 3),
    ("Eli Evans", "setter", 42.0, 26),
    ("Fay Fischer", "setter", 33.0, 18),
    ("Gia Grant", "setter", 38.0, 9),
    ("Gus Garcia", "manager", 0.0, 40),
)

# A senior closer on her own plan (SPEC section 14): a bigger OTE and quota than the role's.
DEMO_PLANS = {"Ana Alvarez": {"annual_ote": Decimal("72000"), "monthly_quota": Decimal("6")}}


def _month_add(month: date, months: int) -> date:
    index = month.year * 12 + month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


class Command(BaseCommand):
    help = "Create the demo organization (login printed) with twelve months of actuals."

    @transaction.atomic
    def handle(self, *args, **options) -> None:
        if Organization.objects.filter(slug=DEMO_SLUG).exists():
            self._print_login()
            return
        user = User.objects.filter(email=DEMO_EMAIL).first() or User.objects.create_user(
            DEMO_EMAIL, DEMO_PASSWORD, first_name="Demo"
        )
        EmailAddress.objects.get_or_create(user=user, email=DEMO_EMAIL, defaults={"verified": True, "primary": True})
        organization = organization_create(name="Acme Insurance (demo)", owner=user, slug=DEMO_SLUG)
        with organization_context(organization):
            self._fill(organization)
        # The year's snapshots, as the nightly job would have stored them: History reads them.
        snapshots_backfill(organization_ids=[organization.pk])
        self._print_login()

    def _fill(self, organization: Organization) -> None:
        OrganizationSettings.objects.filter(organization=organization).update(
            deal_value=Decimal("11340"),
            meeting_to_deal_rate=Decimal("0.25"),
            monthly_operating_expenses=Decimal("9000"),
        )
        roles = {role.key: role for role in SalesRole.objects.filter(organization=organization)}
        this_month = timezone.localdate().replace(day=1)
        first_month = _month_add(this_month, -12)
        # Repeatable demo numbers; nothing here is security-sensitive.
        rng = random.Random(2026)  # nosec B311
        reps = [
            Rep.objects.create(
                organization=organization,
                role=roles[role],
                name=name,
                start_date=_month_add(this_month, -tenure),
                **DEMO_PLANS.get(name, {}),
            )
            for name, role, _, tenure in DEMO_REPS
        ]
        rows = []
        for offset in range(12):
            month = _month_add(first_month, offset)
            # A gentle upward trend with noise, so the trend charts have a shape.
            season = 1 + 0.02 * offset
            closer_deals = Decimal(0)
            month_rows = []
            for rep, (_, role, average, _tenure) in zip(reps, DEMO_REPS, strict=True):
                if rep.start_date > month:
                    continue
                if role == "closer":
                    deals = Decimal(max(0, round(rng.gauss(average * season, 1.2))))
                    closer_deals += deals
                    month_rows.append(MonthlyActual(organization=organization, rep=rep, month=month, deals=deals))
                elif role == "setter":
                    meetings = Decimal(max(0, round(rng.gauss(average * season, 4))))
                    month_rows.append(MonthlyActual(organization=organization, rep=rep, month=month, meetings=meetings))
                else:  # the manager comes last in DEMO_REPS, after every closer of the month
                    month_rows.append(
                        MonthlyActual(organization=organization, rep=rep, month=month, team_deals=closer_deals)
                    )
            rows.extend(month_rows)
        MonthlyActual.objects.bulk_create(rows)

    def _print_login(self) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo organization ready: log in at {settings.SITE_URL.rstrip('/')}{reverse('account_login')} "
                f"as {DEMO_EMAIL} / {DEMO_PASSWORD}"
            )
        )
