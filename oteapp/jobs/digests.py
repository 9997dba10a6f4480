"""Monthly performance digests: one email per organization, recipient and period.

After a month closes in the organization's timezone, every owner, admin and manager who has not opted out
gets one digest of that month. Each (organization, recipient, period) has one DigestDelivery row, claimed
with SELECT … FOR UPDATE SKIP LOCKED and moved pending → sending → sent (or back to pending, and failed
after DIGEST_MAX_ATTEMPTS). A 'sending' row older than DIGEST_SENDING_TIMEOUT_SECONDS belonged to a worker
that died and is sent again. docs/jobs.md explains the one window where that makes a duplicate possible.

The numbers come from the engine report the Team Performance page shows (with the configuration the month's
snapshot pinned) and are formatted with the page's template filters.
"""

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import rls
from accounts.models import MemberRole, Membership, Organization, User
from accounts.tenancy import organization_context
from oteapp import engine
from oteapp.engine.numbers import RATIO, quantize
from oteapp.jobs.deliveries import Claim, Mailer, SendResult, claim_next, due_filter, finish, open_mailer
from oteapp.jobs.snapshots import (
    month_is_closed,
    organization_today,
    snapshots_freeze,
)
from oteapp.models import DigestDelivery, DigestState, MonthlyActual, MonthlySnapshot, OrganizationSettings
from oteapp.months import format_month, month_add
from oteapp.selectors import month_report_get, organization_config_get

logger = logging.getLogger(__name__)

DIGEST_ROLES = (MemberRole.OWNER, MemberRole.ADMIN, MemberRole.MANAGER)
UNSUBSCRIBE_SALT = "oteapp.digest.unsubscribe"
HISTORY_MONTHS = 6
TOP_INSIGHTS = 3
# Bars show attainment up to at least this ratio, so 100% sits at the same place in every digest.
BAR_SCALE_FLOOR = Decimal("1.5")
TEXT_BAR_WIDTH = 20
STATUS_COLORS = {
    engine.STATUS_ON_TARGET: "#147a3d",
    engine.STATUS_AT_RISK: "#c77700",
    engine.STATUS_OFF_TARGET: "#b42318",
    None: "#9aa3b2",
}
_inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


class DigestError(ValueError):
    """A digest that cannot be made (no such month, a bad unsubscribe link)."""


# --- content --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar of an attainment chart, as two table cells either side of the 100% line."""

    label: str
    value: Decimal | None
    status: str | None
    scale: Decimal

    @property
    def color(self) -> str:
        return STATUS_COLORS.get(self.status, STATUS_COLORS[None])

    @property
    def target_width(self) -> int:
        """Where 100% sits, as a percentage of the track."""
        return int(100 / self.scale)

    @property
    def over_width(self) -> int:
        return 100 - self.target_width

    @property
    def below_fill(self) -> int:
        """Filled share of the part up to 100%."""
        return 0 if self.value is None else int(min(max(self.value, Decimal(0)), Decimal(1)) * 100)

    @property
    def above_fill(self) -> int:
        """Filled share of the part beyond 100%."""
        if self.value is None or self.value <= 1:
            return 0
        return int(min((self.value - 1) / (self.scale - 1), Decimal(1)) * 100)

    @property
    def text(self) -> str:
        """The plain-text version: one block per 1/20 of the scale."""
        if self.value is None:
            return ""
        return "█" * int(min(max(self.value, Decimal(0)) / self.scale, Decimal(1)) * TEXT_BAR_WIDTH)


@dataclass(frozen=True)
class RoleLine:
    role: engine.RoleReport
    bar: Bar
    change: Decimal | None  # OTE attainment against the previous month, as a ratio


@dataclass(frozen=True)
class Change:
    label: str
    kind: str  # "money" or "ratio": which filter formats it
    current: Decimal | None  # the engine's full precision, shown as the dashboard shows it
    previous: Decimal | None  # from the previous month's snapshot, rounded as the report contract rounds

    @property
    def delta(self) -> Decimal | None:
        if self.current is None or self.previous is None:
            return None
        # Both sides at the contract's precision, so the change is the difference of what is stored.
        return (_ratio(self.current) if self.kind == "ratio" else _money(self.current)) - self.previous


@dataclass(frozen=True)
class DigestContent:
    """What every recipient of one organization's digest sees; built once per send run."""

    organization: Organization
    period: date
    report: engine.Report
    roles: list[RoleLine]
    insights: list[engine.Insight]
    previous_month: date
    has_previous: bool
    changes: list[Change]
    history: list[Bar]
    dashboard_url: str

    def context(self) -> dict:
        return {
            "organization": self.organization,
            "period": self.period,
            "currency": self.report.currency,
            "summary": self.report.summary,
            "roles": self.roles,
            "insights": self.insights,
            "more_insights": len(self.report.insights) - len(self.insights),
            "previous_month": self.previous_month,
            "has_previous": self.has_previous,
            "changes": self.changes,
            "history": self.history,
            "dashboard_url": self.dashboard_url,
        }


def _ratio(value: Decimal | float | None) -> Decimal | None:
    """A ratio as the report contract rounds it, so both sides of a change are on the same footing."""
    if value is None:
        return None
    return quantize(Decimal(str(value)), RATIO)


def _money(value: Decimal | float | None) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def dashboard_url(*, organization: Organization, month: date) -> str:
    path = reverse("oteapp:performance", kwargs={"org_slug": organization.slug})
    return f"{settings.SITE_URL.rstrip('/')}{path}?month={format_month(month)}"


class _StoredSnapshot(NamedTuple):
    report: dict
    config: dict
    frozen_at: datetime | None


def digest_content_get(*, organization: Organization, period: date) -> DigestContent:
    """Three queries (five when the month has no frozen snapshot), in the organization's context: the last
    months' snapshots, the configuration when the period's snapshot pinned none, and the month's actuals
    and reps. The report is month_report_get's: with the configuration a closed month's snapshot pinned
    (read here with the snapshots instead of once more), else today's."""
    first = month_add(period, -(HISTORY_MONTHS - 1))
    snapshots = {
        month: _StoredSnapshot(*stored)
        for month, *stored in MonthlySnapshot.objects.filter(
            organization=organization, month__gte=first, month__lte=period
        ).values_list("month", "report", "config", "frozen_at")
    }
    pinned = snapshots.get(period)
    if pinned is not None and pinned.frozen_at is not None:
        config = engine.config_from_dict(pinned.config)
    else:
        config = organization_config_get(organization=organization)
    report = month_report_get(organization=organization, month=period, config=config).report
    summary = report.summary
    scale = max(
        [BAR_SCALE_FLOOR, *(role.ote_attainment for role in report.roles if role.ote_attainment is not None)]
    )
    previous_month = month_add(period, -1)
    previous = snapshots.get(previous_month)
    previous_summary = previous.report["summary"] if previous else {}
    previous_roles = {role["key"]: role for role in previous.report["roles"]} if previous else {}

    history_values: list[tuple[date, Decimal | None]] = []
    for offset in range(HISTORY_MONTHS - 1, 0, -1):
        month = month_add(period, -offset)
        if month in snapshots:
            history_values.append((month, _ratio(snapshots[month].report["summary"]["team_ote_attainment"])))
    history_values.append((period, summary.team_ote_attainment))
    history_scale = max([BAR_SCALE_FLOOR, *(value for _, value in history_values if value is not None)])

    def role_change(role: engine.RoleReport) -> Decimal | None:
        before = previous_roles.get(role.key, {}).get("ote_attainment")
        now_value = _ratio(role.ote_attainment)
        return None if before is None or now_value is None else now_value - _ratio(before)

    return DigestContent(
        organization=organization,
        period=period,
        report=report,
        roles=[
            RoleLine(
                role=role,
                bar=Bar(label=role.name, value=role.ote_attainment, status=role.status, scale=scale),
                change=role_change(role),
            )
            for role in report.roles
        ],
        insights=list(report.insights[:TOP_INSIGHTS]),
        previous_month=previous_month,
        has_previous=previous is not None,
        changes=[
            Change("Team OTE attainment", "ratio", summary.team_ote_attainment,
                   _ratio(previous_summary.get("team_ote_attainment"))),
            Change("Team avg OTE attainment", "ratio", summary.team_avg_attainment,
                   _ratio(previous_summary.get("team_avg_attainment"))),
            Change("Total actual earnings", "money", summary.total_actual,
                   _money(previous_summary.get("total_actual"))),
            Change("Revenue", "money", summary.revenue, _money(previous_summary.get("revenue"))),
            Change("EBITDA", "money", summary.ebitda, _money(previous_summary.get("ebitda"))),
        ],
        history=[
            Bar(
                label=month.strftime("%b %Y"),
                value=value,
                status=engine.status_for(value, config),
                scale=history_scale,
            )
            for month, value in history_values
        ],
        dashboard_url=dashboard_url(organization=organization, month=period),
    )


# --- messages -------------------------------------------------------------------------------------


def digest_unsubscribe_token(*, organization_id: int, user_id: int) -> str:
    # No expiry: an unsubscribe link must keep working in old mail (RFC 8058). It can only lower privileges.
    return signing.dumps({"o": organization_id, "u": user_id}, salt=UNSUBSCRIBE_SALT)


def digest_unsubscribe_url(*, organization_id: int, user_id: int) -> str:
    token = digest_unsubscribe_token(organization_id=organization_id, user_id=user_id)
    return settings.SITE_URL.rstrip("/") + reverse("digest_unsubscribe", kwargs={"token": token})


def _message_id(*, organization_id: int, user_id: int, period: date) -> str:
    # Stable per delivery: a resend after a crash carries the same id, which lets mail systems drop it.
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    return f"<digest.{organization_id}.{user_id}.{format_month(period)}@{domain}>"


def digest_message_build(*, content: DigestContent, recipient: User, preview: bool = False) -> EmailMultiAlternatives:
    organization = content.organization
    unsubscribe_url = digest_unsubscribe_url(organization_id=organization.pk, user_id=recipient.pk)
    context = {
        **content.context(),
        "recipient": recipient,
        "preview": preview,
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": settings.SITE_URL.rstrip("/")
        + reverse("oteapp:digest_preferences", kwargs={"org_slug": organization.slug}),
    }
    subject = " ".join(render_to_string("emails/digest/subject.txt", context).split())
    headers = {
        "List-Unsubscribe": f"<{unsubscribe_url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "Auto-Submitted": "auto-generated",
    }
    if not preview:
        headers["Message-ID"] = _message_id(
            organization_id=organization.pk, user_id=recipient.pk, period=content.period
        )
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("emails/digest/body.txt", context),
        to=[recipient.email],
        headers=headers,
    )
    message.attach_alternative(_inliner.inline(render_to_string("emails/digest/body.html", context)), "text/html")
    return message


# --- preferences and unsubscribe ------------------------------------------------------------------


def digest_membership_from_token(*, token: str) -> Membership:
    """The membership an unsubscribe link names; DigestError when the link is bad or the membership gone."""
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise DigestError("This unsubscribe link is not valid.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("o"), int) or not isinstance(data.get("u"), int):
        raise DigestError("This unsubscribe link is not valid.")
    # The signature vouches for the organization: look the membership up inside it.
    with organization_context(data["o"]):
        membership = (
            Membership.objects.select_related("organization", "user").filter(user_id=data["u"]).first()
        )
    if membership is None:
        raise DigestError("You are no longer a member of this organization, so you receive no digests from it.")
    return membership


def digest_preference_set(*, membership: Membership, receives_digests: bool) -> None:
    with organization_context(membership.organization_id):
        Membership.objects.filter(pk=membership.pk).update(receives_digests=receives_digests)
    membership.receives_digests = receives_digests


def digest_eligible(membership: Membership) -> bool:
    return membership.role in DIGEST_ROLES


# --- creating and sending deliveries --------------------------------------------------------------


def digest_deliveries_create(*, periods: Mapping[int, date]) -> None:
    """One pending delivery per eligible member of each organization for its period; existing rows are
    left as they are (the unique constraint makes this idempotent). Two queries."""
    if not periods:
        return
    with rls.cross_organization():
        recipients = Membership.unscoped.filter(
            organization_id__in=list(periods), role__in=DIGEST_ROLES, receives_digests=True, user__is_active=True
        ).values_list("organization_id", "user_id")
        DigestDelivery.unscoped.bulk_create(
            [
                DigestDelivery(organization_id=org_id, recipient_id=user_id, period=periods[org_id])
                for org_id, user_id in recipients
            ],
            ignore_conflicts=True,
        )


def digests_due(*, periods: Mapping[int, date], now: datetime | None = None) -> list[tuple[int, date]]:
    """The (organization, period) pairs with deliveries waiting: pending, or claimed by a dead worker."""
    if not periods:
        return []
    with rls.cross_organization():
        pairs = (
            DigestDelivery.unscoped.filter(organization_id__in=list(periods), period__in=set(periods.values()))
            .filter(due_filter(now or timezone.now()))
            .values_list("organization_id", "period")
            .distinct()
        )
        return sorted((org_id, period) for org_id, period in pairs if periods[org_id] == period)


def digests_unfinished(*, now: datetime | None = None) -> list[tuple[int, date]]:
    """The sweep's work: every (organization, period) with a delivery left pending or claimed by a dead worker,
    whose month ended within DIGEST_SEND_WINDOW_DAYS (a digest is not sent later than month close would send it).
    One query, on a partial index of the unfinished rows only."""
    now = now or timezone.now()
    # The earliest period whose month can still be in its window, whatever the organization's timezone.
    oldest = month_add((now - timedelta(days=settings.DIGEST_SEND_WINDOW_DAYS + 1)).date().replace(day=1), -1)
    with rls.cross_organization():
        pairs = (
            DigestDelivery.unscoped.filter(due_filter(now), period__gte=oldest)
            .values_list("organization_id", "period")
            .distinct()
        )
        return sorted(pairs)


def digests_prepare(*, periods: Mapping[int, date], now: datetime | None = None) -> list[tuple[int, date]]:
    """Freeze each period's snapshot (if not yet), create the deliveries of the periods with actuals, and
    return what is due to send."""
    now = now or timezone.now()
    with_actuals = snapshots_freeze(periods=periods, now=now)
    periods = {org_id: period for org_id, period in periods.items() if (org_id, period) in with_actuals}
    digest_deliveries_create(periods=periods)
    return digests_due(periods=periods, now=now)


def month_close_batch(*, organization_ids: list[int], now: datetime | None = None) -> list[tuple[int, date]]:
    """The hourly job for one batch of organizations: freeze the month that closed last in each one's
    timezone, and if that was less than DIGEST_SEND_WINDOW_DAYS ago, queue its digests. Returns the
    (organization, period) pairs to send. Also the sweeper: deliveries left by a dead worker come back."""
    now = now or timezone.now()
    with rls.cross_organization():
        zones = OrganizationSettings.unscoped.filter(organization_id__in=organization_ids).values_list(
            "organization_id", "timezone"
        )
        todays = {org_id: organization_today(timezone_name=zone, now=now) for org_id, zone in zones}
    periods = {org_id: month_add(today.replace(day=1), -1) for org_id, today in todays.items()}
    snapshots_freeze(periods=periods, now=now)
    in_window = {
        org_id: period for org_id, period in periods.items() if todays[org_id].day <= settings.DIGEST_SEND_WINDOW_DAYS
    }
    return digests_prepare(periods=in_window, now=now)


def _claim_next(*, organization: Organization, period: date, exclude: set[int]) -> Claim | None:
    return claim_next(model=DigestDelivery, organization=organization, period=period, exclude=exclude)


def _finish(
    delivery: Claim, *, organization: Organization, state: str, error: str = "", sent_at: datetime | None = None
) -> None:
    finish(delivery, model=DigestDelivery, organization=organization, state=state, error=error, sent_at=sent_at)


def digests_send(
    *, organization: Organization, period: date, budget_seconds: float | None = None, mailer: Mailer | None = None
) -> SendResult:
    """Send the organization's due digests of `period`, one claimed delivery at a time, over `mailer`'s
    connection (a connection of its own without one). In its context."""
    if mailer is None:
        with open_mailer() as own:
            return digests_send(organization=organization, period=period, budget_seconds=budget_seconds, mailer=own)
    result = SendResult()
    due = DigestDelivery.objects.filter(organization=organization, period=period).filter(due_filter(timezone.now()))
    if not due.exists():
        return result
    deadline = time.monotonic() + (budget_seconds or settings.DIGEST_TASK_BUDGET_SECONDS)
    # Built before anything is claimed, so a rendering bug leaves every row pending, not stuck in 'sending'.
    content = digest_content_get(organization=organization, period=period)
    eligible = {
        membership.user_id: membership.user
        for membership in Membership.objects.filter(
            organization=organization, role__in=DIGEST_ROLES, receives_digests=True, user__is_active=True
        ).select_related("user")
    }
    tried: set[int] = set()
    while True:
        if time.monotonic() > deadline:
            result.more = True
            return result
        delivery = _claim_next(organization=organization, period=period, exclude=tried)
        if delivery is None:
            return result
        tried.add(delivery.pk)
        recipient = eligible.get(delivery.recipient_id)
        if recipient is None:  # opted out or left since the row was made
            DigestDelivery.objects.filter(pk=delivery.pk).delete()
            result.skipped += 1
            continue
        try:
            mailer.send(digest_message_build(content=content, recipient=recipient))
        except Exception as error:  # SMTP, network, a time limit: the row must not stay 'sending'
            logger.warning("Digest delivery %s failed (attempt %s): %s", delivery.pk, delivery.attempts, error)
            give_up = delivery.attempts >= settings.DIGEST_MAX_ATTEMPTS
            state = DigestState.FAILED if give_up else DigestState.PENDING
            _finish(delivery, organization=organization, state=state.value, error=str(error)[:2000])
            if give_up:
                result.failed += 1
            else:
                result.retrying += 1
            continue
        _finish(delivery, organization=organization, state=DigestState.SENT.value, sent_at=timezone.now())
        result.sent += 1
        result.recipients.append(recipient.email)


def digests_retry_failed(*, organization: Organization, period: date) -> int:
    """Give deliveries that ran out of attempts a fresh start (an operator's decision)."""
    return DigestDelivery.objects.filter(organization=organization, period=period, state=DigestState.FAILED).update(
        state=DigestState.PENDING, attempts=0, error=""
    )


def digest_recipients_get(*, organization: Organization, period: date) -> list[tuple[str, str]]:
    """(email, what would happen) for each eligible member: the dry run of send_digests."""
    states = dict(
        DigestDelivery.objects.filter(organization=organization, period=period).values_list("recipient_id", "state")
    )
    members = (
        Membership.objects.filter(
            organization=organization, role__in=DIGEST_ROLES, receives_digests=True, user__is_active=True
        )
        .select_related("user")
        .order_by("user__email")
    )
    return [(m.user.email, "already sent" if states.get(m.user_id) == DigestState.SENT else "send") for m in members]


# --- preview --------------------------------------------------------------------------------------


def digest_preview_period(*, organization: Organization) -> date | None:
    """The month a preview shows: the latest closed month with actuals, else the latest month with actuals."""
    org_settings = OrganizationSettings.objects.get(organization=organization)
    this_month = organization_today(timezone_name=org_settings.timezone).replace(day=1)
    months = MonthlyActual.objects.filter(organization=organization).values_list("month", flat=True)
    closed = months.filter(month__lt=this_month).order_by("-month").first()
    return closed or months.order_by("-month").first()


def digest_preview_send(*, organization: Organization, user: User, period: date) -> None:
    """The digest of `period`, to `user` only, marked as a preview; not a delivery of the period."""
    if not MonthlyActual.objects.filter(organization=organization, month=period).exists():
        raise DigestError(f"There are no actuals for {period:%B %Y}, so there is nothing to preview.")
    content = digest_content_get(organization=organization, period=period)
    digest_message_build(content=content, recipient=user, preview=True).send()


def period_is_closed(*, organization: Organization, period: date) -> bool:
    org_settings = OrganizationSettings.objects.get(organization=organization)
    return month_is_closed(month=period, today=organization_today(timezone_name=org_settings.timezone))
