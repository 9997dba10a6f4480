"""One organization per test function with something of everything for the fuzzed requests to hit: reps of
each kind (one with a row, one ended), another member, a pending invitation and a frozen month snapshot."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from accounts.models import Invitation, MemberRole, Membership, Organization, User
from accounts.services import invitation_token
from accounts.tenancy import organization_context
from oteapp.jobs.digests import digest_unsubscribe_token
from oteapp.jobs.snapshots import snapshots_compute
from oteapp.models import OrganizationSettings, Rep
from tests.factories import UserFactory, actual_create, rep_create

OCTOBER = date(2026, 10, 1)
FROZEN_MONTH = date(2025, 6, 1)  # closed long ago, so its snapshot is frozen


@dataclass
class World:
    organization: Organization
    owner: User
    client: Client  # signed in as the owner, so access levels never stop a request
    reps: dict[str, Rep]
    manager: Membership
    owner_membership: Membership
    invitation: Invitation

    @property
    def slug(self) -> str:
        return self.organization.slug

    @property
    def rep_names(self) -> tuple[str, ...]:
        return tuple(self.reps)

    @property
    def invitation_token(self) -> str:
        return invitation_token(invitation=self.invitation)

    @property
    def unsubscribe_token(self) -> str:
        return digest_unsubscribe_token(organization_id=self.organization.pk, user_id=self.manager.user_id)


@pytest.fixture
def world(owner, organization) -> World:
    OrganizationSettings.unscoped.filter(organization=organization).update(
        deal_value=Decimal("11340"), monthly_operating_expenses=Decimal("9000")
    )
    hired = date(2025, 1, 1)
    reps = {
        "Ana": rep_create(organization, name="Ana", role="closer", start_date=hired),
        "Ben": rep_create(organization, name="Ben", role="closer", start_date=hired),
        "Eli": rep_create(organization, name="Eli", role="setter", start_date=hired),
        "Gus": rep_create(organization, name="Gus", role="manager", start_date=hired),
        "Zed": rep_create(organization, name="Zed", role="closer", start_date=hired),
    }
    Rep.unscoped.filter(pk=reps["Zed"].pk).update(end_date=date(2026, 6, 30))
    actual_create(organization, rep=reps["Ana"], month=OCTOBER, deals=5)
    actual_create(organization, rep=reps["Eli"], month=OCTOBER, meetings=40, deals=9)
    actual_create(organization, rep=reps["Ana"], month=FROZEN_MONTH, deals=4)
    snapshots_compute(months_by_organization={organization.pk: [FROZEN_MONTH, OCTOBER]})
    with organization_context(organization):
        manager = Membership.objects.create(
            organization=organization, user=UserFactory(email="manager@acme.example"), role=MemberRole.MANAGER
        )
        invitation = Invitation.objects.create(
            organization=organization, email="new.person@acme.example", role=MemberRole.MANAGER, invited_by=owner
        )
        owner_membership = Membership.objects.get(organization=organization, user=owner)
    client = Client()
    client.force_login(owner)
    return World(
        organization=organization,
        owner=owner,
        client=client,
        reps=reps,
        manager=manager,
        owner_membership=owner_membership,
        invitation=invitation,
    )
