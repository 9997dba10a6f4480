from django.db.models import QuerySet

from accounts.models import Invitation, Membership, Organization, User


def request_membership_get(*, user: User, slug: str, for_write: bool) -> Membership | None:
    """The user's membership of the organization at `/o/<slug>/`, with that organization, in one query, or None.
    `for_write` also locks the organization's row (see OrganizationMiddleware); NO KEY UPDATE, the weakest
    lock that serializes the data_version triggers' updates of that row without blocking inserts that refer
    to it."""
    memberships = Membership.unscoped.select_related("organization").filter(user=user, organization__slug=slug)
    if for_write:
        memberships = memberships.select_for_update(of=("organization",), no_key=True)
    return memberships.first()


def user_memberships(*, user: User) -> list[Membership]:
    """The organizations a user belongs to (the organization switcher), across tenants by design."""
    return list(Membership.unscoped.select_related("organization").filter(user=user).order_by("organization__name"))


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")


def organization_pending_invitations(*, organization: Organization) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(organization=organization, accepted_at__isnull=True)
        .select_related("invited_by")
        .order_by("-sent_at", "-pk")
    )


def organization_membership_get(*, organization: Organization, membership_id: int) -> Membership | None:
    return Membership.objects.select_related("user").filter(organization=organization, pk=membership_id).first()


def organization_invitation_get(*, organization: Organization, invitation_id: int) -> Invitation | None:
    return Invitation.objects.filter(organization=organization, pk=invitation_id).first()


def user_with_email_exists(*, email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()
