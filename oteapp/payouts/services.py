"""Writes of payouts (SPEC section 12): adjustments, month approval and reopening, and the rep's account link.

Every write is audited and refused whole with a PayoutError (one readable sentence, the same on the web and the
command line) when a rule says no. Approval takes the organization's settings row lock, as imports do, so an
approval and an adjustment of the same month cannot interleave.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.dispatch import Signal
from django.utils import timezone

from accounts.models import Invitation, MemberRole, Membership, Organization, User
from accounts.permissions import CAN_CONFIGURE, CAN_ENTER_ACTUALS
from accounts.services import MembershipError, invitation_create, invitation_resend, invitation_revoke
from accounts.text import text_problem
from oteapp import engine
from oteapp.jobs.snapshots import month_is_closed, organization_today, snapshots_freeze
from oteapp.models import Adjustment, MonthApproval, MonthlyActual, OrganizationSettings, Rep, WebhookEventType
from oteapp.months import format_month
from oteapp.payouts.emails import statement_deliveries_create
from oteapp.services.audit import audit_changes
from oteapp.webhooks.events import webhook_event_emit

ACTION_ADJUSTMENT_ADD = "adjustment_add"
ACTION_ADJUSTMENTS_IMPORT = "adjustments_import"
ACTION_MONTH_APPROVE = "month_approve"
ACTION_MONTH_REOPEN = "month_reopen"
ACTION_REP_INVITE = "rep_invite"
PAYOUT_ACTIONS = (
    ACTION_ADJUSTMENT_ADD, ACTION_ADJUSTMENTS_IMPORT, ACTION_MONTH_APPROVE, ACTION_MONTH_REOPEN, ACTION_REP_INVITE,
)
REASON_MAX_LENGTH = Adjustment._meta.get_field("reason").max_length
AMOUNT_LIMIT = Decimal(10) ** 12  # a MONEY column: 14 digits, 2 of them cents

# Sent after an approval commits, with `organization` and `month` (a date): the hook for what follows an approval
# (the statement emails). Receivers run after the commit, outside the request's transaction, so a failing receiver
# cannot undo an approval. The `payouts.approved` webhook is stored in the approval's transaction instead (as
# `month.closed` is in the freeze's), so a crash right after the commit cannot lose it.
payouts_approved = Signal()


class PayoutError(ValueError):
    """A payout write the rules refuse; `field` names the offending input when there is one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def _label(month: date) -> str:
    return format_month(month)


def _member_role(*, organization: Organization, user: User | None) -> str | None:
    if user is None:
        return None
    return Membership.objects.filter(organization=organization, user=user).values_list("role", flat=True).first()


def _require_level(*, organization: Organization, actor: User | None, allowed: frozenset[str], doing: str) -> None:
    """The actor must be a member at one of the `allowed` levels; no actor is an operator on the command line
    (`importadjustments`, like `importactuals`), who may."""
    if actor is None:
        return
    role = _member_role(organization=organization, user=actor)
    if role not in allowed:
        who = actor.email
        levels = " or ".join(sorted(allowed, key=lambda level: list(MemberRole.values).index(level)))
        raise PayoutError(f"{who} may not {doing}: it needs {levels} access.")


def _lock_settings(organization: Organization) -> OrganizationSettings:
    return OrganizationSettings.objects.select_for_update().get(organization=organization)


def _approval_locked(*, organization: Organization, month: date) -> MonthApproval | None:
    return MonthApproval.objects.select_for_update().filter(organization=organization, month=month).first()


def refuse_if_approved(*, organization: Organization, month: date, doing: str) -> None:
    """PayoutError when `month` is approved: its statements are locked until it is reopened."""
    if MonthApproval.objects.filter(organization=organization, month=month, approved_at__isnull=False).exists():
        raise PayoutError(f"{_label(month)} is approved, so {doing} is locked; reopen the month first.")


# --- adjustments -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdjustmentInput:
    rep: Rep
    month: date
    kind: str
    amount: Decimal
    reason: str
    reverses_month: date | None = None


def adjustment_problem(item: AdjustmentInput) -> tuple[str, str] | None:
    """(field, message) of what the rules refuse in one adjustment, else None."""
    if item.amount is not None and abs(item.amount) >= AMOUNT_LIMIT:
        return "amount", f"must be less than {AMOUNT_LIMIT:,} in size"
    if item.amount is not None and item.amount != item.amount.quantize(Decimal("0.01")):
        return "amount", "use at most 2 decimal places"
    if len((item.reason or "").strip()) > REASON_MAX_LENGTH:
        return "reason", f"at most {REASON_MAX_LENGTH} characters"
    if text_problem(item.reason or ""):
        return "reason", f"the reason {text_problem(item.reason)}"
    try:
        engine.validate_adjustment(_engine_adjustment(item))
    except engine.AdjustmentError as error:
        return error.field, error.message
    return None


def _engine_adjustment(item: AdjustmentInput) -> engine.Adjustment:
    return engine.Adjustment(
        rep_id=item.rep.pk, name=item.rep.name, role_key=item.rep.role.key, month=item.month, kind=item.kind,
        amount=item.amount, reason=(item.reason or "").strip(), reverses_month=item.reverses_month,
    )


def _audit_adjustments(
    *, organization: Organization, actor: User | None, action: str, items: list[AdjustmentInput]
) -> None:
    for item in items:
        reverses = f" (reverses {_label(item.reverses_month)})" if item.reverses_month else ""
        audit_changes(
            organization=organization,
            actor=actor,
            action=action,
            subject=f"{item.rep.name} · {_label(item.month)}",
            changes=[(item.kind, "", f"{item.amount} {item.reason.strip()}{reverses}")],
        )


@transaction.atomic
def adjustments_add(
    *, organization: Organization, actor: User | None, items: list[AdjustmentInput], action: str = ACTION_ADJUSTMENT_ADD
) -> list[Adjustment]:
    """Add adjustments, all or none: each is valid (a reason, a non-zero amount of the kind's sign, a clawback
    naming a month not after its own), by a manager or above, for a month not approved. Audited."""
    _require_level(organization=organization, actor=actor, allowed=CAN_ENTER_ACTUALS, doing="add adjustments")
    for item in items:
        if item.rep.organization_id != organization.pk:
            raise PayoutError("The rep belongs to another organization.")
        problem = adjustment_problem(item)
        if problem:
            raise PayoutError(f"{problem[0]}: {problem[1]}", field=problem[0])
    _lock_settings(organization)
    for month in sorted({item.month for item in items}):
        refuse_if_approved(organization=organization, month=month, doing="adding adjustments")
    created = Adjustment.objects.bulk_create(
        Adjustment(
            organization=organization, rep=item.rep, month=item.month, kind=item.kind, amount=item.amount,
            reason=item.reason.strip(), reverses_month=item.reverses_month, created_by=actor,
        )
        for item in items
    )
    _audit_adjustments(organization=organization, actor=actor, action=action, items=items)
    return created


def adjustment_add(
    *,
    organization: Organization,
    actor: User | None,
    rep: Rep,
    month: date,
    kind: str,
    amount: Decimal,
    reason: str,
    reverses_month: date | None = None,
) -> Adjustment:
    item = AdjustmentInput(rep=rep, month=month, kind=kind, amount=amount, reason=reason, reverses_month=reverses_month)
    return adjustments_add(organization=organization, actor=actor, items=[item])[0]


# --- approval ----------------------------------------------------------------------------------------------------


@transaction.atomic
def month_approve(*, organization: Organization, actor: User | None, month: date, now=None) -> MonthApproval:
    """Approve a closed month's payouts (owner or admin): its snapshot is frozen if it was not yet, its statements
    are locked, and who approved when is recorded and audited. After the commit, `payouts_approved` is sent."""
    _require_level(organization=organization, actor=actor, allowed=CAN_CONFIGURE, doing="approve payouts")
    settings = _lock_settings(organization)
    today = organization_today(timezone_name=settings.timezone, now=now)
    if not month_is_closed(month=month, today=today):
        raise PayoutError(
            f"{_label(month)} is still open: a month can be approved once it has ended "
            f"(in the organization's time zone, {settings.timezone})."
        )
    has_statements = (
        MonthlyActual.objects.filter(organization=organization, month=month).exists()
        or Adjustment.objects.filter(organization=organization, month=month).exists()
    )
    if not has_statements:
        raise PayoutError(f"{_label(month)} has no actuals and no adjustments, so there is nothing to approve.")
    approval = _approval_locked(organization=organization, month=month)
    if approval is not None and approval.approved:
        raise PayoutError(f"{_label(month)} is already approved.")
    snapshots_freeze(periods={organization.pk: month}, now=now)
    stamp = now or timezone.now()
    if approval is None:
        approval = MonthApproval(organization=organization, month=month)
    approval.approved_at = stamp
    approval.approved_by = actor
    approval.save()
    audit_changes(
        organization=organization, actor=actor, action=ACTION_MONTH_APPROVE, subject=f"Payouts {_label(month)}",
        changes=[("state", "closed", "approved")],
    )
    # With the approval, in its transaction: each linked rep's statement email, once (oteapp/payouts/emails.py).
    statement_deliveries_create(organization=organization, period=month)
    label = _label(month)
    webhook_event_emit(
        organization=organization,
        event_type=WebhookEventType.PAYOUTS_APPROVED,
        payload={
            "month": label,
            "approved_at": stamp.isoformat(),
            "statements": f"/api/v1/statements?month={label}",
            "payroll": f"/api/v1/payroll?month={label}",
        },
    )
    organization_id = organization.pk
    transaction.on_commit(
        lambda: payouts_approved.send(sender=month_approve, organization_id=organization_id, month=month), robust=True
    )
    return approval


@transaction.atomic
def month_reopen(*, organization: Organization, actor: User | None, month: date, reason: str) -> MonthApproval:
    """Reopen an approved month (owner or admin, with a reason; audited): its statements can change again and it
    needs approving again."""
    _require_level(organization=organization, actor=actor, allowed=CAN_CONFIGURE, doing="reopen payouts")
    reason = (reason or "").strip()
    if not reason:
        raise PayoutError("A reason is required to reopen an approved month.", field="reason")
    if len(reason) > REASON_MAX_LENGTH:
        raise PayoutError(f"reason: at most {REASON_MAX_LENGTH} characters", field="reason")
    _lock_settings(organization)
    approval = _approval_locked(organization=organization, month=month)
    if approval is None or not approval.approved:
        raise PayoutError(f"{_label(month)} is not approved, so there is nothing to reopen.")
    approval.approved_at = None
    approval.reopened_at = timezone.now()
    approval.reopened_by = actor
    approval.reopen_reason = reason
    approval.save()
    audit_changes(
        organization=organization, actor=actor, action=ACTION_MONTH_REOPEN, subject=f"Payouts {_label(month)}",
        changes=[("state", "approved", f"reopened: {reason}")],
    )
    return approval


# --- rep accounts ------------------------------------------------------------------------------------------------


@transaction.atomic
def rep_invite(*, organization: Organization, actor: Membership, rep: Rep) -> Rep:
    """Invite a rep to their own account (access level rep) at the rep's email; accepting links the account to
    the rep (`rep_invitation_accepted`). Managers and above; a rep without an email, or already linked, is refused."""
    if actor.role not in CAN_ENTER_ACTUALS:
        raise PayoutError("Inviting a rep needs owner, admin or manager access.")
    if rep.organization_id != organization.pk:
        raise PayoutError("The rep belongs to another organization.")
    rep = Rep.objects.select_for_update().get(organization=organization, pk=rep.pk)
    if not rep.email:
        raise PayoutError(f"{rep.name} has no email address: add one to their row before inviting them.", field="email")
    if rep.membership_id is not None:
        raise PayoutError(f"{rep.name} already has an account here.")
    # Inviting again resends the rep's pending invitation, so the link of every email sent links the account to the
    # rep (a second invitation would leave the first one's link making an account linked to no one); one sent to
    # an address the rep no longer has is withdrawn instead.
    pending = Invitation.objects.filter(
        organization=organization, pk=rep.invitation_id, accepted_at__isnull=True
    ).first()
    try:
        if pending is not None and pending.email == rep.email.strip().lower():
            invitation_resend(organization=organization, actor=actor, invitation_id=pending.pk)
            return rep
        if pending is not None:
            invitation_revoke(organization=organization, actor=actor, invitation_id=pending.pk)
        invitation = invitation_create(
            organization=organization, invited_by=actor, email=rep.email, role=MemberRole.REP, linked=True
        )
    except MembershipError as error:
        raise PayoutError(str(error)) from error
    rep.invitation = invitation
    rep.save(update_fields=["invitation"])
    return rep


def rep_invitation_accepted(sender: object, *, invitation_id: int, membership: Membership, **kwargs: object) -> None:
    """Receiver of accounts.signals.invitation_accepted: the rep the invitation was made for gets the membership
    (in the acceptance's transaction and organization)."""
    Rep.objects.filter(organization_id=membership.organization_id, invitation_id=invitation_id).update(
        membership=membership
    )


