"""Statements (SPEC section 12): a rep's pay for a month, line by line, as a page, a printable page and a PDF.

Managers and above open any rep's statement; a member with the rep access level opens only their own (another
rep's is 404, as if it did not exist) and has their own navigation: My statement (with pace and "what if I close
N more" on the open month), My history and My plan. Every other page refuses them (accounts.permissions
.open_to_reps).
"""

from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import MemberRole
from accounts.permissions import CAN_ENTER_ACTUALS, REP_ONLY, open_to_reps, role_required
from oteapp import engine
from oteapp.jobs.snapshots import organization_today
from oteapp.models import Rep
from oteapp.months import format_month
from oteapp.number_format import NumberTextError, parse_number
from oteapp.payouts.emails import StatementEmailError, statement_emails_set, statement_rep_from_token
from oteapp.payouts.pdf import statement_pdf_bytes
from oteapp.payouts.selectors import PayoutMonth, payout_month_get, rep_of_membership
from oteapp.payouts.services import PayoutError, rep_invite
from oteapp.selectors import organization_timezone_get, rep_get
from oteapp.views import charts
from oteapp.views.common import month_choice_for, render_tab, selected_month
from oteapp.views.leaderboard import rep_leaderboard
from oteapp.views.performance import period_report
from oteapp.views.periods import selected_period

# Managers and above open any rep's statement; a rep their own only (_rep_for).
CAN_SEE_STATEMENTS = CAN_ENTER_ACTUALS | REP_ONLY
PAGE = "oteapp/statements/page.html"
UNSUBSCRIBE = "oteapp/statements/unsubscribe.html"
PRINT = "oteapp/statements/print.html"
HISTORY = "oteapp/statements/history.html"
PLAN = "oteapp/statements/plan.html"
MAX_MORE_UNITS = Decimal(1000)
HISTORY_MONTHS = 12


def _own_rep(request: HttpRequest) -> Rep:
    """The rep a member with the rep access level is linked to; 404 when the link is gone."""
    rep = rep_of_membership(organization=request.organization, membership_id=request.membership.pk)
    if rep is None:
        raise Http404("Your account is not linked to a rep of this organization.")
    return rep


def _rep_for(request: HttpRequest, rep_id: int) -> Rep:
    """Managers and above: any rep of the organization. A rep: only their own (anyone else's is 404)."""
    role = request.membership.role
    if role == MemberRole.REP:
        rep = _own_rep(request)
        if rep.pk != rep_id:
            raise Http404("No such statement.")
        return rep
    rep = rep_get(organization=request.organization, rep_id=rep_id)
    if rep is None:
        raise Http404("No such rep.")
    return rep


def _more_units(request: HttpRequest) -> tuple[Decimal | None, str]:
    raw = request.GET.get("more", "").strip()
    if not raw:
        return None, ""
    try:
        value = parse_number(raw)
    except NumberTextError as error:
        return None, str(error)
    if value is None or value < 0 or value > MAX_MORE_UNITS:
        return None, f"Enter a number from 0 to {MAX_MORE_UNITS:,}."
    return value, ""


def _statement_context(request: HttpRequest, rep: Rep, month: date) -> dict:
    payout = payout_month_get(organization=request.organization, month=month, rep_ids={rep.pk})
    statement = payout.statements.for_rep(rep.pk)
    economics = engine.rep_plan_economics(payout.config, rep_id=rep.pk, role_key=rep.role.key)
    what_if = None
    more, more_error = _more_units(request)
    if payout.is_open and more is not None:
        actuals = list(payout.actuals)
        if not any(row.rep_id == rep.pk for row in actuals):
            actuals.append(engine.RepMonth(rep_id=rep.pk, name=rep.name, role_key=rep.role.key,
                                           start_date=rep.start_date))
        what_if = engine.what_if_more_units(
            config=payout.config, month=month, actuals=actuals, rep_id=rep.pk, more_units=more
        )
    return {
        "payout": payout,
        "statement": statement,
        "rep": rep,
        "economics": economics,
        "unit": engine.UNIT_NOUNS.get(rep.role.kind, "units"),
        "currency": payout.currency,
        "what_if": what_if,
        "more": request.GET.get("more", ""),
        "more_error": more_error,
        "own": request.membership.role == MemberRole.REP,
    }


@require_safe
@open_to_reps
@role_required(CAN_SEE_STATEMENTS)
def statement(request: HttpRequest, org_slug: str, rep_id: int) -> HttpResponse:
    rep = _rep_for(request, rep_id)
    if request.membership.role == MemberRole.REP:
        url = reverse("oteapp:my_statement", kwargs={"org_slug": org_slug})
        return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)
    choice = selected_month(request)
    context = {"active_tab": "payouts", "month_choice": choice, **_statement_context(request, rep, choice.month)}
    context["month_selector_url"] = request.path
    return render_tab(request, PAGE, context)


def _print_response(request: HttpRequest, rep: Rep, month: date, *, pdf: bool) -> HttpResponse:
    context = {"organization": request.organization, **_statement_context(request, rep, month)}
    html = render_to_string(PRINT, context, request=request)
    if not pdf:
        return HttpResponse(html)
    response = HttpResponse(statement_pdf_bytes(html=html), content_type="application/pdf")
    filename = f"{request.organization.slug}-statement-{rep.pk}-{format_month(month)}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@open_to_reps
@role_required(CAN_SEE_STATEMENTS)
def statement_print(request: HttpRequest, org_slug: str, rep_id: int) -> HttpResponse:
    """The statement on a page of its own, for printing (and the PDF's source)."""
    rep = _rep_for(request, rep_id)
    return _print_response(request, rep, selected_month(request).month, pdf=False)


@require_safe
@open_to_reps
@role_required(CAN_SEE_STATEMENTS)
def statement_pdf(request: HttpRequest, org_slug: str, rep_id: int) -> HttpResponse:
    rep = _rep_for(request, rep_id)
    return _print_response(request, rep, selected_month(request).month, pdf=True)


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def rep_invite_view(request: HttpRequest, org_slug: str, rep_id: int) -> HttpResponse:
    """Invite the rep to their own account (their statements), at the rep's email."""
    rep = rep_get(organization=request.organization, rep_id=rep_id)
    if rep is None:
        raise Http404("No such rep.")
    try:
        rep = rep_invite(organization=request.organization, actor=request.membership, rep=rep)
    except PayoutError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"{rep.name} is invited at {rep.email}: accepting links the account to them.")
    back = reverse("oteapp:statement", kwargs={"org_slug": org_slug, "rep_id": rep_id})
    month = request.GET.get("month", "")
    return redirect(f"{back}?month={month}" if month else back)


# --- the rep's own pages -----------------------------------------------------------------------------------------


def _rep_month_choice(request: HttpRequest):
    """The month of ?month=, else the current month (a rep's statement starts at the open month, with pace)."""
    if request.GET.get("month"):
        return selected_month(request)
    return month_choice_for(request, _today(request).replace(day=1))


def _today(request: HttpRequest) -> date:
    """Today in the organization's time zone. One query."""
    return organization_today(timezone_name=organization_timezone_get(organization=request.organization))


@require_safe
@open_to_reps
@role_required(REP_ONLY)
def my_statement(request: HttpRequest, org_slug: str) -> HttpResponse:
    rep = _own_rep(request)
    choice = _rep_month_choice(request)
    context = {"active_tab": "my_statement", "month_choice": choice, **_statement_context(request, rep, choice.month)}
    return render_tab(request, PAGE, context)


def history_rows(payout: PayoutMonth, rep_id: int) -> list[engine.Statement]:
    rows = [statements.for_rep(rep_id) for statements in payout.history]
    return [row for row in rows if row is not None][-HISTORY_MONTHS:]


@require_safe
@open_to_reps
@role_required(REP_ONLY)
def my_history(request: HttpRequest, org_slug: str) -> HttpResponse:
    rep = _own_rep(request)
    period_choice = selected_period(request, year_to_date_by_default=True)
    period = period_report(request, period_choice)
    this_month = period_choice.today.replace(day=1)
    payout = payout_month_get(organization=request.organization, month=this_month, rep_ids={rep.pk})
    rows = history_rows(payout, rep.pk)
    months = [row.month for row in rows]
    attainment = charts.attainment_chart(
        chart_id="my-attainment",
        title="Your OTE and quota attainment by month",
        months=months,
        series=[
            charts.Series("OTE attainment", [row.ote_attainment for row in rows]),
            charts.Series("Quota attainment", [row.quota_attainment for row in rows]),
        ],
    )
    payouts_chart = charts.revenue_attainment_chart(
        chart_id="my-payouts",
        title="Your payouts by month",
        months=months,
        revenue=[row.payout for row in rows],
        attainment=[row.ote_attainment for row in rows],
        currency=payout.currency,
        bar_label="Payout",
        line_label="OTE attainment",
    )
    context = {
        "active_tab": "my_history",
        "period_choice": period_choice,
        "month_choice": period_choice.month_choice,
        # The rep's sums over the period, per role they held in it (SPEC section 14), as Team Performance shows them.
        "period_rows": [(role, row) for role in period.roles for row in role.reps if row.rep_id == rep.pk],
        "rep": rep,
        "rows": list(reversed(rows)),
        "attainment_chart": attainment,
        "payouts_chart": payouts_chart,
        "currency": payout.currency,
    }
    return render_tab(request, HISTORY, context)


@require_safe
@open_to_reps
@role_required(REP_ONLY)
def my_plan(request: HttpRequest, org_slug: str) -> HttpResponse:
    rep = _own_rep(request)
    month = _today(request).replace(day=1)
    payout = payout_month_get(organization=request.organization, month=month, rep_ids={rep.pk})
    rows = history_rows(payout, rep.pk)
    context = {
        "active_tab": "my_plan",
        "rep": rep,
        "economics": engine.rep_plan_economics(payout.config, rep_id=rep.pk, role_key=rep.role.key),
        "unit": engine.UNIT_NOUNS.get(rep.role.kind, "units"),
        "currency": payout.currency,
        "balance": rows[-1].balance_after if rows else Decimal(0),
    }
    return render_tab(request, PLAN, context)


@require_safe
@open_to_reps
@role_required(REP_ONLY)
def my_leaderboard(request: HttpRequest, org_slug: str) -> HttpResponse:
    return rep_leaderboard(request, own_rep_id=_own_rep(request).pk)


@csrf_exempt  # RFC 8058 one-click: mail providers POST without a session or CSRF token; the signed link is the key
@require_http_methods(["GET", "HEAD", "POST"])
def statement_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """Stop the statement emails of the rep the link names: their statements stay on their pages."""
    try:
        rep = statement_rep_from_token(token=token)
    except StatementEmailError as error:
        return render(request, UNSUBSCRIBE, {"error": str(error)}, status=400)
    done = request.method == "POST"
    if done:
        statement_emails_set(rep=rep, receives=False)
    return render(request, UNSUBSCRIBE, {"rep": rep, "done": done, "rep_organization": rep.organization})


urlpatterns = [
    path("statements/<int:rep_id>/", statement, name="statement"),
    path("statements/<int:rep_id>/print/", statement_print, name="statement_print"),
    path("statements/<int:rep_id>/statement.pdf", statement_pdf, name="statement_pdf"),
    path("reps/<int:rep_id>/invite/", rep_invite_view, name="rep_invite"),
    path("me/statement/", my_statement, name="my_statement"),
    path("me/history/", my_history, name="my_history"),
    path("me/plan/", my_plan, name="my_plan"),
    path("me/leaderboard/", my_leaderboard, name="my_leaderboard"),
]

# Outside /o/<slug>/, whose middleware requires a login: mounted in config/urls.py.
public_urlpatterns = [
    path("statements/unsubscribe/<str:token>/", statement_unsubscribe, name="statement_unsubscribe"),
]
