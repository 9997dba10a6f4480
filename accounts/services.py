from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import send_mail
from django.core.mail.message import sanitize_address
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import Invitation, MemberRole, Membership, Organization, User
from accounts.signals import (
    MembershipAction,
    MembershipChange,
    invitation_accepted,
    membership_changed,
    organization_created,
)
from accounts.tenancy import organization_context

INVITATION_SALT = "accounts.invitation"


class MembershipError(ValueError):
    """A membership change that would break a rule (e.g. leave no owner)."""


class InvitationInvalid(ValueError):
    """The invitation link is tampered with, expired, or already used."""


class InvitationForAnotherUser(InvitationInvalid):
    """The signed-in user is not the invited person: no verified email address of theirs is the invited one."""


def _membership_changed(
    *, organization: Organization, actor: User | None, action: str, email: str, old_role: str = "", new_role: str = ""
) -> None:
    change = MembershipChange(
        organization=organization, actor=actor, action=action, email=email, old_role=old_role, new_role=new_role
    )
    membership_changed.send(sender=__name__, change=change)


def email_deliverable(email: str) -> bool:
    """Whether the mail layer can write this address into a header. EmailField accepts some international
    domains that IDNA cannot encode (e.g. with U+FFFD), and sending to one raises after the data is saved."""
    try:
        sanitize_address(email, settings.DEFAULT_CHARSET)
    except (UnicodeError, ValueError):
        return False
    return True


def _unique_slug(name: str) -> str:
    base = slugify(name)[:50] or "org"
    slug, suffix = base, 2
    while Organization.objects.filter(slug=slug).exists():
        slug = f"{base}-{suffix}"
        suffix += 1
    return slug


@transaction.atomic
def organization_create(*, name: str, owner: User | None = None, slug: str | None = None) -> Organization:
    """A new organization (`organization_created` lets other apps add their defaults); `owner` becomes its owner."""
    organization = Organization.objects.create(name=name.strip(), slug=slug or _unique_slug(name))
    with organization_context(organization):
        if owner is not None:
            Membership.objects.create(organization=organization, user=owner, role=MemberRole.OWNER)
        organization_created.send(sender=Organization, organization=organization)
    return organization


@transaction.atomic
def signup_organization_create(*, user: User, first_name: str, organization_name: str) -> Organization:
    """The end of a sign-up: the new user's name, and the organization they own."""
    user.first_name = first_name
    user.save(update_fields=["first_name"])
    return organization_create(name=organization_name, owner=user)


def _other_owners_exist(*, organization: Organization, membership: Membership) -> bool:
    return (
        Membership.objects.filter(organization=organization, role=MemberRole.OWNER)
        .exclude(pk=membership.pk)
        .exists()
    )


@transaction.atomic
def membership_role_change(*, organization: Organization, actor: Membership, membership: Membership, role: str) -> None:
    if role not in MemberRole.values:
        raise MembershipError(f"Unknown access level {role!r}.")
    if MemberRole.REP in (role, membership.role) and role != membership.role:
        raise MembershipError(
            "A rep's account belongs to their rep: invite a rep from their row, and remove the member to end it."
        )
    if MemberRole.OWNER in (role, membership.role) and actor.role != MemberRole.OWNER:
        raise MembershipError("Only an owner can grant or take away ownership.")
    demoting_an_owner = membership.role == MemberRole.OWNER and role != MemberRole.OWNER
    if demoting_an_owner and not _other_owners_exist(organization=organization, membership=membership):
        raise MembershipError("The organization needs at least one owner.")
    if role == membership.role:
        return
    old_role, membership.role = membership.role, role
    membership.save(update_fields=["role"])
    _membership_changed(
        organization=organization,
        actor=actor.user,
        action=MembershipAction.ROLE_CHANGED,
        email=membership.user.email,
        old_role=old_role,
        new_role=role,
    )


@transaction.atomic
def membership_remove(*, organization: Organization, actor: Membership, membership: Membership) -> None:
    if membership.role == MemberRole.OWNER:
        if actor.role != MemberRole.OWNER:
            raise MembershipError("Only an owner can remove an owner.")
        if not _other_owners_exist(organization=organization, membership=membership):
            raise MembershipError("The last owner cannot be removed.")
    membership.delete()
    _membership_changed(
        organization=organization,
        actor=actor.user,
        action=MembershipAction.REMOVED,
        email=membership.user.email,
        old_role=membership.role,
    )


def invitation_token(*, invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "o": invitation.organization_id}, salt=INVITATION_SALT)


def invitation_url(*, invitation: Invitation) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "invitation_accept", kwargs={"token": invitation_token(invitation=invitation)}
    )


def _invitation_send(*, invitation: Invitation, invited_by: User | None) -> None:
    """Mails the invitation with a fresh link. Called inside the caller's transaction: when the mail server
    refuses, the change is rolled back and the inviter is told, instead of a saved invitation nobody received
    (or a 500 after the commit)."""
    organization = invitation.organization
    context = {
        "organization": organization,
        "invited_by": invited_by,
        "role": invitation.get_role_display(),
        "url": invitation_url(invitation=invitation),
        "days": settings.INVITATION_MAX_AGE_DAYS,
    }
    try:
        send_mail(
            subject=f"You are invited to {organization.name}",
            message=render_to_string("emails/invitation/body.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except OSError as error:  # smtplib's errors and connection failures are all OSErrors
        raise MembershipError(
            f"The invitation email to {invitation.email} could not be sent ({error}); try again."
        ) from error


@transaction.atomic
def invitation_create(
    *, organization: Organization, invited_by: Membership, email: str, role: str, linked: bool = False
) -> Invitation:
    """Invite `email` at access level `role`. The rep level only with `linked=True`: the caller links the
    invitation to the rep it is for (accepting it sends `invitation_accepted`)."""
    email = email.strip().lower()
    if role not in MemberRole.values:
        raise MembershipError(f"Unknown access level {role!r}.")
    if role == MemberRole.REP and not linked:
        raise MembershipError("A rep is invited from their row, so that the account is linked to them.")
    if role == MemberRole.OWNER and invited_by.role != MemberRole.OWNER:
        raise MembershipError("Only an owner can invite another owner.")
    if Membership.objects.filter(organization=organization, user__email__iexact=email).exists():
        raise MembershipError(f"{email} is already a member.")
    if not email_deliverable(email):
        raise MembershipError(f"{email} is not an address we can send an invitation to.")
    invitation = Invitation.objects.create(
        organization=organization, email=email, role=role, invited_by=invited_by.user
    )
    _invitation_send(invitation=invitation, invited_by=invited_by.user)
    _membership_changed(
        organization=organization,
        actor=invited_by.user,
        action=MembershipAction.INVITATION_SENT,
        email=email,
        new_role=role,
    )
    return invitation


def _pending_invitation_locked(*, organization: Organization, invitation_id: int) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update()
        .filter(organization=organization, pk=invitation_id, accepted_at__isnull=True)
        .first()
    )
    if invitation is None:
        raise MembershipError("This invitation was already accepted or withdrawn.")
    invitation.organization = organization
    return invitation


def _may_manage_invitation(*, actor: Membership, invitation: Invitation) -> None:
    if invitation.role == MemberRole.OWNER and actor.role != MemberRole.OWNER:
        raise MembershipError("Only an owner can resend or withdraw an owner's invitation.")


@transaction.atomic
def invitation_resend(*, organization: Organization, actor: Membership, invitation_id: int) -> Invitation:
    """Mails the invitation again with a fresh link (valid for INVITATION_MAX_AGE_DAYS from now)."""
    invitation = _pending_invitation_locked(organization=organization, invitation_id=invitation_id)
    _may_manage_invitation(actor=actor, invitation=invitation)
    invitation.sent_at = timezone.now()
    invitation.save(update_fields=["sent_at"])
    _invitation_send(invitation=invitation, invited_by=actor.user)
    _membership_changed(
        organization=organization,
        actor=actor.user,
        action=MembershipAction.INVITATION_RESENT,
        email=invitation.email,
        new_role=invitation.role,
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, organization: Organization, actor: Membership, invitation_id: int) -> Invitation:
    """Withdraws a pending invitation: its links stop working."""
    invitation = _pending_invitation_locked(organization=organization, invitation_id=invitation_id)
    _may_manage_invitation(actor=actor, invitation=invitation)
    invitation.delete()
    _membership_changed(
        organization=organization,
        actor=actor.user,
        action=MembershipAction.INVITATION_REVOKED,
        email=invitation.email,
        old_role=invitation.role,
    )
    return invitation


def invitation_from_token(*, token: str) -> Invitation:
    try:
        data = signing.loads(
            token, salt=INVITATION_SALT, max_age=timedelta(days=settings.INVITATION_MAX_AGE_DAYS)
        )
    except signing.SignatureExpired as exc:
        raise InvitationInvalid("This invitation has expired. Ask for a new one.") from exc
    except signing.BadSignature as exc:
        raise InvitationInvalid("This invitation link is not valid.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("o"), int):
        raise InvitationInvalid("This invitation link is not valid.")
    # The signature vouches for the organization: look the invitation up inside it.
    with organization_context(data["o"]):
        invitation = Invitation.objects.select_related("organization").filter(pk=data.get("i")).first()
    if invitation is None:
        raise InvitationInvalid("This invitation was withdrawn. Ask the person who invited you for a new one.")
    if invitation.accepted_at is not None:
        raise InvitationInvalid("This invitation has already been used.")
    return invitation


def invitation_is_for(*, invitation: Invitation, user: User) -> bool:
    """Whether `user` may accept: one of their verified email addresses (allauth's) is the invited one. A
    signed-in session proves who someone is, the link does not: it may have been forwarded or leaked."""
    from allauth.account.models import EmailAddress

    return EmailAddress.objects.filter(user=user, email__iexact=invitation.email, verified=True).exists()


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User) -> Membership:
    """Adds the membership (or keeps an existing one) and marks the invitation used. Only the invited person
    may accept (`invitation_is_for`); anyone else gets InvitationForAnotherUser and nothing changes."""
    if not invitation_is_for(invitation=invitation, user=user):
        raise InvitationForAnotherUser(f"This invitation is for {invitation.email}.")
    organization = invitation.organization
    with organization_context(organization):
        invitation = Invitation.objects.select_for_update().filter(pk=invitation.pk).first()
        if invitation is None:
            raise InvitationInvalid("This invitation was withdrawn. Ask the person who invited you for a new one.")
        if invitation.accepted_at is not None:
            raise InvitationInvalid("This invitation has already been used.")
        membership, created = Membership.objects.get_or_create(
            organization=organization, user=user, defaults={"role": invitation.role}
        )
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["accepted_at", "accepted_by"])
        invitation_accepted.send(sender="accounts.services", invitation_id=invitation.pk, membership=membership)
        if created:
            _membership_changed(
                organization=organization,
                actor=user,
                action=MembershipAction.INVITATION_ACCEPTED,
                email=invitation.email,
                new_role=membership.role,
            )
    return membership


@transaction.atomic
def invited_user_create(*, invitation: Invitation, password: str, first_name: str = "", last_name: str = "") -> User:
    """A new user created from an invitation: the link proves the address, so it is verified."""
    from allauth.account.models import EmailAddress

    user = User.objects.create_user(invitation.email, password, first_name=first_name, last_name=last_name)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@transaction.atomic
def organization_delete(*, organization: Organization, actor: Membership, confirmation: str) -> None:
    """Deletes the organization and, by cascade, every row it owns. Owners only; the slug typed
    again guards against a slip."""
    if actor.role != MemberRole.OWNER:
        raise MembershipError("Only an owner can delete the organization.")
    if confirmation.strip() != organization.slug:
        raise MembershipError(f"Type {organization.slug} to confirm.")
    with organization_context(organization):
        organization.delete()
