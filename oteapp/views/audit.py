"""The audit trail: who changed which OTE, quota, rate, rep or actual, when, from what to what.
Owners and admins only; two queries per page (the count and the page), whatever the trail's length."""

from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe

from accounts.permissions import CAN_CONFIGURE, role_required
from accounts.signals import MembershipAction
from oteapp.selectors import audit_events_query, organization_timezone_get
from oteapp.views.common import render_tab

PAGE_SIZE = 50
ACTUAL_FIELDS = ("deals", "meetings", "team_deals", "revenue")

# Kinds of change, told apart by the model field that changed (the audit stores model field names).
_ACTUALS = (Q(field__in=ACTUAL_FIELDS) | Q(action="actual_remove")) & ~Q(subject__startswith="rep ")
_REPS = Q(action__startswith="rep_") | Q(subject__startswith="rep ")
MEMBERSHIP_LABELS = {
    MembershipAction.INVITATION_SENT: "Invitation sent",
    MembershipAction.INVITATION_RESENT: "Invitation resent",
    MembershipAction.INVITATION_REVOKED: "Invitation withdrawn",
    MembershipAction.INVITATION_ACCEPTED: "Invitation accepted",
    MembershipAction.ROLE_CHANGED: "Access level changed",
    MembershipAction.REMOVED: "Member removed",
}
_MEMBERS = Q(action__in=tuple(MEMBERSHIP_LABELS))
KINDS: dict[str, tuple[str, Q]] = {
    "actuals": ("Actuals", _ACTUALS),
    "ote": ("OTE and base", Q(field__in=("annual_ote", "annual_base")) & ~_REPS),
    "quota": ("Quotas and ramps", Q(field__in=("monthly_quota", "ramp")) & ~_REPS),
    "rate": (
        "Rates and deal value",
        Q(field__in=("commission_rate", "accelerators", "deal_value", "meeting_to_deal_rate")) & ~_REPS,
    ),
    "reps": ("Reps", _REPS),
    "members": ("Members and invitations", _MEMBERS),
}
KINDS["other"] = (
    "Other settings",
    ~(_ACTUALS | _REPS | _MEMBERS | KINDS["ote"][1] | KINDS["quota"][1] | KINDS["rate"][1]),
)

ACTION_LABELS = {
    "actual_update": "Edited in the grid",
    "actual_remove": "Marked not reported",
    "actuals_import": "Actuals CSV",
    "config_import": "Configuration file",
    "rep_create": "Rep added",
    "rep_end": "Rep ended",
    "plan_draft_save": "Plan draft saved",
    "plan_draft_rename": "Plan draft renamed",
    "plan_draft_delete": "Plan draft deleted",
    "plan_draft_apply": "Plan draft applied",
    "api_key_create": "API key created",
    "api_key_revoke": "API key revoked",
    "webhook_endpoint_create": "Webhook endpoint added",
    "webhook_endpoint_delete": "Webhook endpoint deleted",
    **MEMBERSHIP_LABELS,
}


def action_label(action: str) -> str:
    return ACTION_LABELS.get(action) or action.replace("_", " ").capitalize()


@require_safe
@role_required(CAN_CONFIGURE)
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    kind = request.GET.get("kind", "")
    if kind not in KINDS:
        kind = ""
    events = audit_events_query(organization=organization, kind_filter=KINDS[kind][1] if kind else None)
    page_obj = Paginator(events, PAGE_SIZE).get_page(request.GET.get("page"))
    for event in page_obj:
        event.action_label = action_label(event.action)
    context = {
        "active_tab": "audit",
        "page_obj": page_obj,
        "kind": kind,
        "kinds": [(key, label) for key, (label, _) in KINDS.items()],
        # Times in the organization's own timezone, as its people read them.
        "timezone_name": organization_timezone_get(organization=organization),
    }
    return render_tab(request, "oteapp/audit/page.html", context)


urlpatterns = [
    path("audit/", page, name="audit"),
]
