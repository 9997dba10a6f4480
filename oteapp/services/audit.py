"""The audit trail: one row per changed field, written by the services that change it."""

from collections.abc import Iterable

from accounts.models import Organization, User
from accounts.signals import MembershipChange
from accounts.tenancy import organization_context
from oteapp.models import AuditEvent

SUBJECT_MAX_LENGTH = AuditEvent._meta.get_field("subject").max_length


def _text(value: object) -> str:
    return "" if value is None else str(value)


def audit_events_create(
    *,
    organization: Organization,
    actor: User | None,
    action: str,
    changes: Iterable[tuple[str, str, object, object]],
) -> list[AuditEvent]:
    """Record `(subject, field, old, new)` changes of many subjects in one insert; unchanged skipped."""
    events = [
        AuditEvent(
            organization=organization,
            actor=actor,
            action=action,
            subject=subject[:SUBJECT_MAX_LENGTH],
            field=field,
            old_value=_text(old),
            new_value=_text(new),
        )
        for subject, field, old, new in changes
        if _text(old) != _text(new)
    ]
    return AuditEvent.objects.bulk_create(events)


def audit_changes(
    *,
    organization: Organization,
    actor: User | None,
    action: str,
    subject: str,
    changes: Iterable[tuple[str, object, object]],
) -> list[AuditEvent]:
    """Record `(field, old, new)` changes of one subject."""
    return audit_events_create(
        organization=organization,
        actor=actor,
        action=action,
        changes=((subject, field, old, new) for field, old, new in changes),
    )


def membership_change_audit(sender: object, *, change: MembershipChange, **kwargs: object) -> None:
    """Receiver of accounts.signals.membership_changed (connected in OteappConfig.ready): who joined, left, was
    invited or changed access level goes to the audit trail, in the same transaction as the change."""
    with organization_context(change.organization):
        audit_events_create(
            organization=change.organization,
            actor=change.actor,
            action=change.action,
            changes=[(f"member {change.email}", "role", change.old_role, change.new_role)],
        )
