"""Reads of statements and payouts (SPEC section 12).

A month's statements depend on every earlier month (draw balances carry over in month order), so the selector loads
the organization's months up to the one asked for set-based, in seven queries whatever the number of reps and
months: the settings, the roles, the reps' own plans, the configurations pinned by closed months, the actuals, the
adjustments and the approvals. The engine then computes each month with its own configuration (a closed month's
pinned one, today's for the others): the same inputs as the report, so the same numbers.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import QuerySet

from accounts.models import Organization
from oteapp import engine
from oteapp.jobs.snapshots import month_is_closed, organization_today
from oteapp.models import Adjustment, MonthApproval, MonthlyActual, MonthlySnapshot, OrganizationSettings, Rep
from oteapp.months import format_month
from oteapp.rounding import round_half_up
from oteapp.selectors import (
    config_from_models,
    organization_rep_plans_get,
    organization_roles,
    rep_months,
)

STATE_OPEN = engine.STATE_OPEN
STATE_CLOSED = engine.STATE_CLOSED
STATE_APPROVED = engine.STATE_APPROVED
CENT = Decimal("0.01")
STATE_LABELS = {STATE_OPEN: "Open", STATE_CLOSED: "Closed", STATE_APPROVED: "Approved"}


@dataclass(frozen=True)
class PayoutTotals:
    base: Decimal
    commission: Decimal
    adjustments: Decimal
    earned: Decimal
    draw_recovery: Decimal
    payout: Decimal


@dataclass(frozen=True)
class PayoutMonth:
    """One month's statements with its state; `history` is every month with statements up to it, oldest first
    (the month itself last when it has any)."""

    month: date
    state: str
    approval: MonthApproval | None  # the approval row (approved, or reopened since), if any
    today: date  # in the organization's time zone
    statements: engine.MonthStatements
    history: tuple[engine.MonthStatements, ...]
    timezone: str
    config: engine.OrgConfig  # the month's (a closed month's pinned one)
    actuals: tuple[engine.RepMonth, ...]  # the month's actuals rows (every rep's: a manager's team deals need them)

    @property
    def label(self) -> str:
        return format_month(self.month)

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def approved(self) -> bool:
        return self.state == STATE_APPROVED

    @property
    def is_open(self) -> bool:
        return self.state == STATE_OPEN

    @property
    def currency(self) -> str:
        return self.statements.currency

    def contract(self) -> dict:
        """The statements contract of SPEC section 12."""
        return engine.statements_to_dict(self.statements, state=self.state)

    @property
    def totals(self) -> PayoutTotals:
        items = self.statements.statements
        return PayoutTotals(
            base=sum((_cents(s.base) for s in items), Decimal(0)),
            commission=sum((_cents(s.commission) for s in items), Decimal(0)),
            adjustments=sum((s.adjustments for s in items), Decimal(0)),
            earned=sum((s.earned for s in items), Decimal(0)),
            draw_recovery=sum((s.draw_recovery for s in items), Decimal(0)),
            payout=sum((s.payout for s in items), Decimal(0)),
        )


def _cents(value: Decimal) -> Decimal:
    return round_half_up(value, CENT)


def month_state_of(*, month: date, today: date, approval: MonthApproval | None) -> str:
    if approval is not None and approval.approved:
        return STATE_APPROVED
    return STATE_CLOSED if month_is_closed(month=month, today=today) else STATE_OPEN


def approved_months_among(*, organization: Organization, months: set[date]) -> set[date]:
    """Which of `months` are approved (their statements locked). One query; none for no months."""
    if not months:
        return set()
    return set(
        MonthApproval.objects.filter(organization=organization, month__in=months, approved_at__isnull=False)
        .values_list("month", flat=True)
    )


def month_approval_get(*, organization: Organization, month: date) -> MonthApproval | None:
    return MonthApproval.objects.select_related("approved_by", "reopened_by").filter(
        organization=organization, month=month
    ).first()


def adjustments_inputs(rows) -> dict[date, list[engine.Adjustment]]:
    by_month: dict[date, list[engine.Adjustment]] = defaultdict(list)
    for rep_id, name, role_key, month, kind, amount, reason, reverses in rows:
        by_month[month].append(
            engine.Adjustment(
                rep_id=rep_id, name=name, role_key=role_key, month=month, kind=kind, amount=amount,
                reason=reason, reverses_month=reverses,
            )
        )
    return by_month


ADJUSTMENT_FIELDS = ("rep_id", "rep__name", "rep__role__key", "month", "kind", "amount", "reason", "reverses_month")


def payout_months_get(
    *,
    organization: Organization,
    months: list[date],
    as_of: date | None = None,
    rep_ids: set[int] | None = None,
) -> list[PayoutMonth]:
    """The statements of each of `months` (their order kept), every earlier month computed for the draw balances.
    Seven queries, whatever the number of reps and months. `as_of` fixes "today" (pace, open or closed); `rep_ids`
    limits the statements to those reps (a rep's own pages), the balances being each rep's own anyway."""
    if not months:
        return []
    last = max(months)
    settings = OrganizationSettings.objects.get(organization=organization)
    today = as_of or organization_today(timezone_name=settings.timezone)
    current = config_from_models(
        settings=settings,
        roles=organization_roles(organization=organization),
        rep_plans=organization_rep_plans_get(organization=organization),
    )
    pinned = {
        month: engine.config_from_dict(config)
        for month, config in MonthlySnapshot.objects.filter(
            organization=organization, month__lte=last, frozen_at__isnull=False
        ).values_list("month", "config")
    }
    # Every rep's rows, even for one rep's statements: a manager's blank team deals are all closers' deals.
    actuals = MonthlyActual.objects.filter(organization=organization, month__lte=last)
    actuals_of: dict[date, list[engine.RepMonth]] = defaultdict(list)
    for _, month, row in rep_months(actuals.order_by("month", "rep__name")):
        actuals_of[month].append(row)
    adjustments = Adjustment.objects.filter(organization=organization, month__lte=last)
    if rep_ids is not None:
        adjustments = adjustments.filter(rep_id__in=rep_ids)
    adjustments_of = adjustments_inputs(adjustments.order_by("month", "id").values_list(*ADJUSTMENT_FIELDS))
    approvals = {
        approval.month: approval
        for approval in MonthApproval.objects.select_related("approved_by", "reopened_by").filter(
            organization=organization, month__in=set(months)
        )
    }
    inputs = [
        engine.MonthInputs(
            month=month,
            config=pinned.get(month, current),
            actuals=tuple(actuals_of.get(month, ())),
            adjustments=tuple(adjustments_of.get(month, ())),
        )
        for month in sorted(set(actuals_of) | set(adjustments_of) | set(months))
    ]
    computed = engine.statements_over(inputs, as_of=today, rep_ids=rep_ids)
    by_month = {statements.month: statements for statements in computed}
    ordered = [statements for statements in computed if statements.statements]
    return [
        PayoutMonth(
            month=month,
            state=month_state_of(month=month, today=today, approval=approvals.get(month)),
            approval=approvals.get(month),
            today=today,
            statements=by_month[month],
            history=tuple(statements for statements in ordered if statements.month <= month),
            timezone=settings.timezone,
            config=pinned.get(month, current),
            actuals=tuple(actuals_of.get(month, ())),
        )
        for month in months
    ]


def payout_month_get(
    *, organization: Organization, month: date, as_of: date | None = None, rep_ids: set[int] | None = None
) -> PayoutMonth:
    """One month's statements (see payout_months_get): seven queries."""
    return payout_months_get(organization=organization, months=[month], as_of=as_of, rep_ids=rep_ids)[0]


def month_adjustments_get(*, organization: Organization, month: date) -> list[Adjustment]:
    """The month's adjustments with their reps and authors, in the order entered. One query."""
    return list(
        Adjustment.objects.filter(organization=organization, month=month)
        .select_related("rep", "rep__role", "created_by")
        .order_by("id")
    )


def rep_of_membership(*, organization: Organization, membership_id: int) -> Rep | None:
    """The rep a member with the rep access level is linked to (None: not linked). One query."""
    return Rep.objects.select_related("role").filter(organization=organization, membership_id=membership_id).first()


def reps_by_id(*, organization: Organization, rep_ids: set) -> dict[int, Rep]:
    """The reps of the given ids with their roles. One query."""
    return {rep.pk: rep for rep in Rep.objects.select_related("role").filter(organization=organization, pk__in=rep_ids)}


def adjustable_reps_query(*, organization: Organization) -> QuerySet[Rep]:
    """Every rep of the organization, by name: an adjustment may pay or claw back a rep in any month, one who has
    left included (a policy lapses after its seller has gone)."""
    return Rep.objects.filter(organization=organization).order_by("name")
