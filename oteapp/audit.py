"""The audit trail: one row per changed field, written by the services that change it."""

from collections.abc import Iterable

from accounts.models import Organization, User
from oteapp.models import AuditEvent


def _text(value: object) -> str:
    return "" if value is None else str(value)


def audit_changes(
    *,
    organization: Organization,
    actor: User | None,
    action: str,
    subject: str,
    changes: Iterable[tuple[str, object, object]],
) -> list[AuditEvent]:
    """Record `(field, old, new)` changes; unchanged fields are skipped."""
    events = [
        AuditEvent(
            organization=organization,
            actor=actor,
            action=action,
            subject=subject,
            field=field,
            old_value=_text(old),
            new_value=_text(new),
        )
        for field, old, new in changes
        if _text(old) != _text(new)
    ]
    return AuditEvent.objects.bulk_create(events)
