"""The Payouts tab (SPEC section 12, managers and above): each rep's earned, adjustments, draw and payout for the
month with totals and the month's state; adjustments added one by one or from a CSV file; approval (owner or admin,
after a confirmation showing the total) and reopening (with a reason); the payroll CSV of an approved month."""

from datetime import date

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.permissions import CAN_CONFIGURE, CAN_ENTER_ACTUALS, role_required
from oteapp.files.adjustments_csv import AdjustmentsImportError, adjustments_csv_import
from oteapp.files.payroll import payroll_csv_text, payroll_filename
from oteapp.forms.payouts import AdjustmentForm, AdjustmentsUploadForm, ReopenForm
from oteapp.months import format_month, parse_month
from oteapp.number_format import format_money
from oteapp.payouts.selectors import adjustable_reps_query, month_adjustments_get, payout_month_get, reps_by_id
from oteapp.payouts.services import PayoutError, adjustment_add, month_approve, month_reopen
from oteapp.views.common import (
    Confirmation,
    ProposedChange,
    error_status,
    month_choice_for,
    render_tab,
    selected_month,
)

PAGE = "oteapp/payouts/page.html"
REOPEN = "oteapp/payouts/reopen.html"
CONFIRM = "oteapp/confirm.html"


def payouts_url(org_slug: str, month: date) -> str:
    return reverse("oteapp:payouts", kwargs={"org_slug": org_slug}) + f"?month={format_month(month)}"


def _context(request: HttpRequest, month_choice, **extra) -> dict:
    organization = request.organization
    payout = payout_month_get(organization=organization, month=month_choice.month)
    adjustments = month_adjustments_get(organization=organization, month=month_choice.month)
    reps = reps_by_id(organization=organization, rep_ids={s.rep_id for s in payout.statements.statements})
    rows = [(statement, reps.get(statement.rep_id)) for statement in payout.statements.statements]
    form = extra.pop("form", None) or AdjustmentForm(
        reps=adjustable_reps_query(organization=organization), initial={"month": month_choice.param}
    )
    return {
        "active_tab": "payouts",
        "month_choice": month_choice,
        "payout": payout,
        "rows": rows,
        "totals": payout.totals,
        "currency": payout.currency,
        "adjustments": adjustments,
        "form": form,
        "upload_form": extra.pop("upload_form", None) or AdjustmentsUploadForm(),
        "may_approve": request.membership.role in CAN_CONFIGURE,
        **extra,
    }


@require_safe
@role_required(CAN_ENTER_ACTUALS)
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    return render_tab(request, PAGE, _context(request, selected_month(request)))


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def adjustment_create_view(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    choice = selected_month(request)
    form = AdjustmentForm(request.POST, reps=adjustable_reps_query(organization=organization))
    if form.is_valid():
        data = form.cleaned_data
        choice = month_choice_for(request, data["month"])
        try:
            adjustment_add(
                organization=organization, actor=request.user, rep=data["rep"], month=data["month"],
                kind=data["kind"], amount=data["amount"], reason=data["reason"],
                reverses_month=data["reverses_month"],
            )
        except PayoutError as error:
            form.add_error(error.field if error.field in form.fields else None, error.message)
        else:
            messages.success(request, f"{data['kind'].capitalize()} for {data['rep'].name} added.")
            return redirect(payouts_url(org_slug, data["month"]))
    context = _context(request, choice, form=form)
    return render_tab(request, PAGE, context, status=error_status(request, 422))


@require_POST
@role_required(CAN_ENTER_ACTUALS)
def adjustments_upload(request: HttpRequest, org_slug: str) -> HttpResponse:
    choice = selected_month(request)
    form = AdjustmentsUploadForm(request.POST, request.FILES)
    errors: list[str] = []
    if form.is_valid():
        try:
            items = adjustments_csv_import(
                organization=request.organization, data=form.cleaned_data["file"], actor=request.user
            )
        except (AdjustmentsImportError, PayoutError) as error:
            errors = getattr(error, "errors", None) or [str(error)]
        else:
            count = len(items)
            messages.success(request, f"{count} adjustment{'' if count == 1 else 's'} imported.")
            return redirect(payouts_url(org_slug, min(item.month for item in items)))
    context = _context(request, choice, upload_form=form, upload_errors=errors)
    return render_tab(request, PAGE, context, status=error_status(request, 422))


def _month_or_404(month: str) -> date:
    try:
        return parse_month(month)
    except ValueError as error:
        raise Http404(str(error)) from None


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(CAN_CONFIGURE)
def approve(request: HttpRequest, org_slug: str, month: str) -> HttpResponse:
    """GET: the confirmation, with the month's total payout. POST: approve."""
    first_day = _month_or_404(month)
    error = ""
    if request.method == "POST":
        try:
            month_approve(organization=request.organization, actor=request.user, month=first_day)
        except PayoutError as refused:
            error = refused.message
        else:
            messages.success(request, f"Payouts of {first_day:%B %Y} approved.")
            return redirect(payouts_url(org_slug, first_day))
    payout = payout_month_get(organization=request.organization, month=first_day)
    if payout.approved:
        # A double click or a second tab: the month is approved, as asked; no confirmation offers to approve it again.
        approval = payout.approval
        by = approval.approved_by.display_name if approval.approved_by else "someone no longer here"
        messages.info(request, f"{first_day:%B %Y} is already approved (by {by}).")
        return redirect(payouts_url(org_slug, first_day))
    if request.method != "POST" and (payout.is_open or not payout.statements.statements):
        # A link kept from another day, or typed: no confirmation for a month that cannot be approved.
        why = "it is still open; a month can be approved once it has ended" if payout.is_open else (
            "it has no actuals and no adjustments, so there is nothing to approve"
        )
        messages.info(request, f"{first_day:%B %Y} cannot be approved: {why}.")
        return redirect(payouts_url(org_slug, first_day))
    totals = payout.totals
    count = len(payout.statements.statements)
    total = format_money(totals.payout, currency=payout.currency)
    confirmation = Confirmation(
        title=f"Approve the payouts of {first_day:%B %Y}",
        intro=(
            f"{count} rep{'' if count == 1 else 's'} will be paid {total}"
            " in total. Approval locks the month's statements, actuals and adjustments, and emails each rep with an "
            "account their statement."
        ),
        changes=[
            ProposedChange(subject=format_month(first_day), label="state", old_text=payout.state_label,
                           new_text="Approved"),
            ProposedChange(subject=format_month(first_day), label="total payout", old_text="",
                           new_text=format_money(totals.payout, currency=payout.currency)),
        ],
        action=reverse("oteapp:payouts_approve", kwargs={"org_slug": org_slug, "month": month}),
        fields=[],
        button=f"Approve {format_money(totals.payout, currency=payout.currency)}",
        cancel=payouts_url(org_slug, first_day),
        error=error,
    )
    # The month is the path's: no month selector here (it would ignore a ?month= asked for).
    context = {"active_tab": "payouts", "confirmation": confirmation}
    return render_tab(request, CONFIRM, context, status=error_status(request, 409) if error else 200)


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(CAN_CONFIGURE)
def reopen(request: HttpRequest, org_slug: str, month: str) -> HttpResponse:
    """GET: the form asking for a reason. POST: reopen the approved month."""
    first_day = _month_or_404(month)
    if request.method != "POST" and not payout_month_get(organization=request.organization, month=first_day).approved:
        messages.info(request, f"{first_day:%B %Y} is not approved, so there is nothing to reopen.")
        return redirect(payouts_url(org_slug, first_day))
    form = ReopenForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                month_reopen(
                    organization=request.organization, actor=request.user, month=first_day,
                    reason=form.cleaned_data["reason"],
                )
            except PayoutError as refused:
                form.add_error("reason" if refused.field == "reason" else None, refused.message)
            else:
                messages.success(request, f"{first_day:%B %Y} reopened: approve it again once it is right.")
                return redirect(payouts_url(org_slug, first_day))
        status = error_status(request, 422)
    context = {"active_tab": "payouts", "form": form, "month": first_day}
    return render_tab(request, REOPEN, context, status=status)


@require_safe
@role_required(CAN_ENTER_ACTUALS)
def payroll_csv(request: HttpRequest, org_slug: str, month: str) -> HttpResponse:
    """The payroll CSV of an approved month; 409 with the reason for any other month."""
    first_day = _month_or_404(month)
    payout = payout_month_get(organization=request.organization, month=first_day)
    reps = reps_by_id(organization=request.organization, rep_ids={s.rep_id for s in payout.statements.statements})
    try:
        text = payroll_csv_text(payout=payout, reps=reps)
    except PayoutError as error:
        return HttpResponse(error.message, status=409, content_type="text/plain; charset=utf-8")
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    filename = payroll_filename(slug=request.organization.slug, payout=payout)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


urlpatterns = [
    path("payouts/", page, name="payouts"),
    path("payouts/adjustments/", adjustment_create_view, name="adjustment_create"),
    path("payouts/adjustments/upload/", adjustments_upload, name="adjustments_upload"),
    path("payouts/<str:month>/approve/", approve, name="payouts_approve"),
    path("payouts/<str:month>/reopen/", reopen, name="payouts_reopen"),
    path("payouts/<str:month>/payroll.csv", payroll_csv, name="payroll_csv"),
]
