"""factory-boy factories. Tenant rows always share their organization with their related rows."""

from datetime import date
from decimal import Decimal

import factory

from accounts.models import MemberRole, Membership, Organization, User
from accounts.services import organization_create
from accounts.tenancy import organization_context
from oteapp.models import MonthlyActual, Rep, SalesRole

PASSWORD = "correct-horse-battery-9"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        from allauth.account.models import EmailAddress

        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


def organization_with_members(name: str = "Acme Insurance", **roles: User) -> Organization:
    """An organization made the way sign-up makes it; `owner=user, viewer=user2, …` add members."""
    organization = organization_create(name=name)
    with organization_context(organization):
        for role, user in roles.items():
            Membership.objects.create(organization=organization, user=user, role=MemberRole(role.rstrip("0123456789")))
    return organization


def role_of(organization: Organization, key: str) -> SalesRole:
    return SalesRole.unscoped.get(organization=organization, key=key)


def rep_create(organization: Organization, *, name: str, role: str, start_date: date | None = None) -> Rep:
    return Rep.unscoped.create(
        organization=organization, role=role_of(organization, role), name=name, start_date=start_date
    )


def actual_create(organization: Organization, *, rep: Rep, month: date, **units: str | int) -> MonthlyActual:
    return MonthlyActual.unscoped.create(
        organization=organization, rep=rep, month=month, **{k: Decimal(str(v)) for k, v in units.items()}
    )


def team_bulk_create(
    organization: Organization,
    *,
    reps: int,
    months: int,
    last_month: date = date(2026, 10, 1),
    start_date: date | None = date(2020, 1, 1),
    missing_every: int = 10,
) -> list[Rep]:
    """`reps` reps spread over the three default roles, with actuals in each of the `months` months up to
    `last_month`, in two inserts (query-budget tests need hundreds). Every `missing_every`-th rep has no
    rows, so the missing-actuals list is loaded too; 0 gives every rep its rows."""
    from oteapp.months import month_add

    roles = list(SalesRole.unscoped.filter(organization=organization).order_by("position"))
    created = Rep.unscoped.bulk_create(
        Rep(organization=organization, role=roles[index % 3], name=f"Rep {index:04d}", start_date=start_date)
        for index in range(reps)
    )
    MonthlyActual.unscoped.bulk_create(
        MonthlyActual(
            organization=organization,
            rep=rep,
            month=month_add(last_month, -offset),
            deals=Decimal(index % 7),
            meetings=Decimal(30 + index % 15),
            team_deals=Decimal(18),
        )
        for offset in range(months)
        for index, rep in enumerate(created)
        if not missing_every or index % missing_every
    )
    return created
