"""Statement emails (SPEC section 12): when a month is approved, each rep with a linked account gets their own
statement (HTML and text in the organization's currency, the PDF attached, a link to the statement page), exactly
once per organization, rep and period. Deliveries are StatementDelivery rows, claimed and finished by the same
machinery as the digests (oteapp/jobs/deliveries.py). The unsubscribe link stops these emails only: the statements
stay on the rep's pages."""

import logging
import time
from datetime import date
from urllib.parse import urlsplit

import css_inline
from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import rls
from accounts.models import MemberRole, Organization
from accounts.tenancy import organization_context
from oteapp import engine
from oteapp.jobs.deliveries import Mailer, SendResult, claim_next, due_filter, finish, open_mailer
from oteapp.models import DigestState, Rep, StatementDelivery
from oteapp.months import format_month
from oteapp.payouts.pdf import statement_pdf_bytes
from oteapp.payouts.selectors import PayoutMonth, payout_month_get

logger = logging.getLogger(__name__)

UNSUBSCRIBE_SALT = "oteapp.statement.unsubscribe"
_inliner = css_inline.CSSInliner(keep_at_rules=True, load_remote_stylesheets=False)


class StatementEmailError(ValueError):
    """A bad unsubscribe link."""


def statement_deliveries_create(*, organization: Organization, period: date) -> int:
    """One pending delivery per rep of the organization with a linked, active account at the rep level who has not
    unsubscribed. Existing rows stay as they are (the unique constraint): a month approved again after a reopening
    emails nobody twice. Returns how many rows were made."""
    recipients = Rep.objects.filter(
        organization=organization,
        membership__isnull=False,
        membership__role=MemberRole.REP,
        membership__user__is_active=True,
        receives_statement_emails=True,
    ).values_list("pk", "membership__user_id")
    created = StatementDelivery.objects.bulk_create(
        [
            StatementDelivery(organization=organization, rep_id=rep_id, recipient_id=user_id, period=period)
            for rep_id, user_id in recipients
        ],
        ignore_conflicts=True,
    )
    return len(created)


def statement_unsubscribe_url(*, organization_id: int, rep_id: int) -> str:
    # No expiry: an unsubscribe link must keep working in old mail (RFC 8058). It can only stop an email.
    token = signing.dumps({"o": organization_id, "r": rep_id}, salt=UNSUBSCRIBE_SALT)
    return settings.SITE_URL.rstrip("/") + reverse("statement_unsubscribe", kwargs={"token": token})


def statement_rep_from_token(*, token: str) -> Rep:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature as exc:
        raise StatementEmailError("This unsubscribe link is not valid.") from exc
    if not isinstance(data, dict) or not isinstance(data.get("o"), int) or not isinstance(data.get("r"), int):
        raise StatementEmailError("This unsubscribe link is not valid.")
    with organization_context(data["o"]):
        rep = Rep.objects.select_related("organization").filter(pk=data["r"]).first()
    if rep is None:
        raise StatementEmailError("This rep is no longer part of the organization.")
    return rep


def statement_emails_set(*, rep: Rep, receives: bool) -> None:
    with organization_context(rep.organization_id):
        Rep.objects.filter(pk=rep.pk).update(receives_statement_emails=receives)
    rep.receives_statement_emails = receives


def statement_message_build(*, organization: Organization, payout: PayoutMonth, rep: Rep, email: str) -> (
    EmailMultiAlternatives
):
    statement = payout.statements.for_rep(rep.pk)
    month = format_month(payout.month)
    url = settings.SITE_URL.rstrip("/") + reverse("oteapp:my_statement", kwargs={"org_slug": organization.slug})
    unsubscribe_url = statement_unsubscribe_url(organization_id=organization.pk, rep_id=rep.pk)
    context = {
        "organization": organization,
        "payout": payout,
        "statement": statement,
        "rep": rep,
        "currency": payout.currency,
        "unit": engine.UNIT_NOUNS.get(rep.role.kind, "units"),
        "statement_url": f"{url}?month={month}",
        "unsubscribe_url": unsubscribe_url,
    }
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    message = EmailMultiAlternatives(
        subject=f"{organization.name} · your statement for {payout.month:%B %Y}",
        body=render_to_string("emails/statement/body.txt", context),
        to=[email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
            # Stable per delivery: a resend after a crash carries the same id, which lets mail systems drop it.
            "Message-ID": f"<statement.{organization.pk}.{rep.pk}.{month}@{domain}>",
        },
    )
    message.attach_alternative(_inliner.inline(render_to_string("emails/statement/body.html", context)), "text/html")
    printable = render_to_string("oteapp/statements/print.html", context)
    message.attach(f"statement-{month}.pdf", statement_pdf_bytes(html=printable), "application/pdf")
    return message


def statements_send(
    *, organization: Organization, period: date, mailer: Mailer | None = None, budget_seconds: float | None = None
) -> SendResult:
    """Send the organization's due statement emails of `period`, one claimed delivery at a time. In its context.
    Nothing is sent for a month that is not approved (a reopening stops the emails not yet out)."""
    if mailer is None:
        with open_mailer() as own:
            return statements_send(organization=organization, period=period, mailer=own, budget_seconds=budget_seconds)
    result = SendResult()
    due = StatementDelivery.objects.filter(organization=organization, period=period).filter(due_filter(timezone.now()))
    if not due.exists():
        return result
    # Built before anything is claimed, so a rendering bug leaves every row pending, not stuck in 'sending'.
    payout = payout_month_get(organization=organization, month=period)
    if not payout.approved:
        return result
    reps_by_user = {
        rep.membership.user_id: rep
        for rep in Rep.objects.filter(
            organization=organization, membership__role=MemberRole.REP, membership__user__is_active=True,
            receives_statement_emails=True,
        ).select_related("role", "membership__user")
    }
    deadline = time.monotonic() + (budget_seconds or settings.DIGEST_TASK_BUDGET_SECONDS)
    tried: set[int] = set()
    while True:
        if time.monotonic() > deadline:
            result.more = True
            return result
        claim = claim_next(model=StatementDelivery, organization=organization, period=period, exclude=tried)
        if claim is None:
            return result
        tried.add(claim.pk)
        rep = reps_by_user.get(claim.recipient_id)
        if rep is None or payout.statements.for_rep(rep.pk) is None:  # unlinked, unsubscribed, or no statement
            StatementDelivery.objects.filter(pk=claim.pk).delete()
            result.skipped += 1
            continue
        email = rep.membership.user.email
        try:
            mailer.send(statement_message_build(organization=organization, payout=payout, rep=rep, email=email))
        except Exception as error:  # SMTP, network, a time limit: the row must not stay 'sending'
            logger.warning("Statement delivery %s failed (attempt %s): %s", claim.pk, claim.attempts, error)
            give_up = claim.attempts >= settings.DIGEST_MAX_ATTEMPTS
            state = DigestState.FAILED if give_up else DigestState.PENDING
            finish(
                claim, model=StatementDelivery, organization=organization, state=state.value, error=str(error)[:2000]
            )
            if give_up:
                result.failed += 1
            else:
                result.retrying += 1
            continue
        finish(claim, model=StatementDelivery, organization=organization, state=DigestState.SENT.value,
               sent_at=timezone.now())
        result.sent += 1
        result.recipients.append(email)


def statements_unfinished() -> list[tuple[int, date]]:
    """(organization, period) pairs with statement emails left pending or claimed by a dead worker: the sweep's."""
    with rls.cross_organization():
        return sorted(
            StatementDelivery.unscoped.filter(due_filter(timezone.now()))
            .values_list("organization_id", "period")
            .distinct()
        )
