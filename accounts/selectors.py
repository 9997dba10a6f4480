from django.db.models import QuerySet

from accounts.models import Invitation, Membership, Organization, User


def user_memberships(*, user: User) -> list[Membership]:
    """The organizations a user belongs to (the organization switcher), across tenants by design."""
    return list(Membership.unscoped.select_related("organization").filter(user=user).order_by("organization__name"))


def organization_members(*, organization: Organization) -> QuerySet[Membership]:
    return Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")


def organization_pending_invitations(*, organization: Organization) -> QuerySet[Invitation]:
    return Invitation.objects.filter(organization=organization, accepted_at__isnull=True).order_by("-created_at")
