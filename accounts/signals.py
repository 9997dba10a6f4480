"""Signals `accounts` sends so that other apps can react without `accounts` importing them.

`organization_created` is sent by `organization_create` inside its transaction, with the organization in
context, as `organization=`: receivers create what every organization needs (oteapp: its settings and sales
roles), and an error in one rolls the creation back.

`membership_changed` is sent inside the transaction of every change to who belongs to an organization
(an invitation sent, resent, revoked or accepted; an access level changed; a member removed), so a receiver
that writes (the audit trail, oteapp/services/audit.py) commits or rolls back with the change itself.

Its receivers get `sender="accounts.services"` and one keyword argument, `change`: a `MembershipChange`.
Connect receivers in the receiving app's `AppConfig.ready()` with a `dispatch_uid`.
"""

from dataclasses import dataclass

from django.dispatch import Signal

from accounts.models import Organization, User


class MembershipAction:
    """What happened; the values are stored as the audit event's action."""

    INVITATION_SENT = "invitation_sent"
    INVITATION_RESENT = "invitation_resent"
    INVITATION_REVOKED = "invitation_revoked"
    INVITATION_ACCEPTED = "invitation_accepted"
    ROLE_CHANGED = "member_role_changed"
    REMOVED = "member_removed"


@dataclass(frozen=True)
class MembershipChange:
    organization: Organization
    actor: User | None  # who did it: the inviter, the admin, or the person accepting
    action: str  # a MembershipAction value
    email: str  # whose membership or invitation it is
    old_role: str  # "" when there was none (a new invitation, a new member)
    new_role: str  # "" when there is none left (revoked, removed)


membership_changed = Signal()
# Sent by `invitation_accept` inside its transaction and the organization's context, with `invitation_id` and the
# `membership` it gave (new or existing): oteapp links a rep's invitation to the rep's account.
invitation_accepted = Signal()
organization_created = Signal()
