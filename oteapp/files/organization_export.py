"""Everything an organization has stored here, in one JSON document (the owner's export)."""

from typing import Any

from django.utils import timezone

from accounts.models import Membership, Organization
from oteapp.files.configuration import config_export
from oteapp.models import AuditEvent, MonthlyActual, MonthlySnapshot, Rep
from oteapp.months import format_month


def _text(value: object) -> str | None:
    return None if value is None else str(value)


def organization_data_export(*, organization: Organization) -> dict[str, Any]:
    members = Membership.objects.filter(organization=organization).select_related("user").order_by("user__email")
    reps = Rep.objects.filter(organization=organization).select_related("role").order_by("name")
    actuals = (
        MonthlyActual.objects.filter(organization=organization)
        .select_related("rep", "updated_by")
        .order_by("month", "rep__name")
    )
    snapshots = MonthlySnapshot.objects.filter(organization=organization).order_by("month")
    audit = AuditEvent.objects.filter(organization=organization).select_related("actor").order_by("created_at", "id")
    return {
        "format": "ote-organization-export",
        "version": "1.0",
        "exported_at": timezone.now().isoformat(),
        "organization": {
            "name": organization.name,
            "slug": organization.slug,
            "created_at": organization.created_at.isoformat(),
        },
        "configuration": config_export(organization=organization),
        "members": [
            {
                "email": m.user.email,
                "name": m.user.get_full_name(),
                "role": m.role,
                "receives_digests": m.receives_digests,
            }
            for m in members
        ],
        "reps": [
            {
                "name": r.name,
                "email": r.email,
                "role": r.role.key,
                "start_date": _text(r.start_date),
                "end_date": _text(r.end_date),
            }
            for r in reps
        ],
        "actuals": [
            {
                "month": format_month(a.month),
                "rep": a.rep.name,
                "deals": _text(a.deals),
                "meetings": _text(a.meetings),
                "team_deals": _text(a.team_deals),
                "revenue": _text(a.revenue),
                "updated_at": a.updated_at.isoformat(),
                "updated_by": a.updated_by.email if a.updated_by else None,
            }
            for a in actuals
        ],
        "snapshots": [
            {
                "month": format_month(s.month),
                "computed_at": s.computed_at.isoformat(),
                "frozen_at": s.frozen_at.isoformat() if s.frozen_at else None,
                "report": s.report,
                "config": s.config,
            }
            for s in snapshots
        ],
        "audit": [
            {
                "at": e.created_at.isoformat(),
                "actor": e.actor.email if e.actor else None,
                "action": e.action,
                "subject": e.subject,
                "field": e.field,
                "old": e.old_value,
                "new": e.new_value,
            }
            for e in audit
        ],
    }
