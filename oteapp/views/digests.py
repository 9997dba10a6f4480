"""Digest settings of the signed-in member, the owners' "send me a preview", reopening a frozen month's
snapshot, and the one-click unsubscribe page that works without logging in."""

import logging

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST
from kombu.exceptions import OperationalError

from accounts.permissions import CAN_CONFIGURE, OWNER_ONLY, role_required
from oteapp.jobs import tasks
from oteapp.jobs.digests import (
    DigestError,
    digest_eligible,
    digest_membership_from_token,
    digest_preference_set,
    digest_preview_period,
)
from oteapp.jobs.snapshots import SnapshotError, snapshot_month_get, snapshot_reopen
from oteapp.months import format_month, parse_month
from oteapp.selectors import month_has_actuals, months_with_actuals, recent_digest_deliveries

logger = logging.getLogger(__name__)

RECENT_DELIVERIES = 6


@require_http_methods(["GET", "HEAD", "POST"])
def preferences(request: HttpRequest, org_slug: str) -> HttpResponse:
    membership = request.membership
    if request.method == "POST":
        if not digest_eligible(membership):  # viewers are read-only and get no digests anyway
            raise PermissionDenied("Digests go to owners, admins and managers.")
        wanted = request.POST.get("receives_digests") == "on"
        digest_preference_set(membership=membership, receives_digests=wanted)
        messages.success(request, "Monthly digests are on." if wanted else "Monthly digests are off.")
        return redirect("oteapp:digest_preferences", org_slug=org_slug)
    is_owner = membership.role in OWNER_ONLY
    context = {
        "active_tab": "digests",
        "eligible": digest_eligible(membership),
        "is_owner": is_owner,
        "deliveries": recent_digest_deliveries(
            organization=request.organization, user=request.user, limit=RECENT_DELIVERIES
        ),
    }
    if is_owner:
        context["preview_months"] = sorted(months_with_actuals(organization=request.organization), reverse=True)
        context["preview_default"] = digest_preview_period(organization=request.organization)
    return render(request, "oteapp/digests/preferences.html", context)


@require_POST
@role_required(OWNER_ONLY)
def preview(request: HttpRequest, org_slug: str) -> HttpResponse:
    organization = request.organization
    try:
        period = parse_month(request.POST["month"]) if request.POST.get("month") else None
    except ValueError as error:
        messages.error(request, str(error))
        return redirect("oteapp:digest_preferences", org_slug=org_slug)
    period = period or digest_preview_period(organization=organization)
    if period is None or not month_has_actuals(organization=organization, month=period):
        messages.error(request, "There are no actuals for that month, so there is nothing to preview.")
        return redirect("oteapp:digest_preferences", org_slug=org_slug)
    try:
        # Enqueued now, not on commit: the preview writes nothing, and a broker outage is then an answer the
        # owner sees rather than an error after the response was decided.
        tasks.digest_preview_send.delay(organization.pk, request.user.pk, format_month(period))
    except OperationalError:
        logger.exception("Could not enqueue a digest preview for organization %s", organization.pk)
        messages.error(request, "The preview could not be queued just now. Please try again in a minute.")
    else:
        messages.success(request, f"A preview of the {period:%B %Y} digest is on its way to {request.user.email}.")
    return redirect("oteapp:digest_preferences", org_slug=org_slug)


@require_http_methods(["GET", "HEAD", "POST"])
@role_required(CAN_CONFIGURE)
def snapshot_reopen_view(request: HttpRequest, org_slug: str, month: str) -> HttpResponse:
    organization = request.organization
    try:
        first_day = parse_month(month)
    except ValueError as error:
        return render(request, "oteapp/digests/snapshot_reopen.html", {"error": str(error)}, status=404)
    if request.method == "POST":
        try:
            snapshot_reopen(organization=organization, actor=request.user, month=first_day)
        except SnapshotError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"{first_day:%B %Y} was recomputed with the current configuration.")
        return redirect(reverse("oteapp:history", kwargs={"org_slug": org_slug}) + f"?month={month}")
    snapshot = snapshot_month_get(organization=organization, month=first_day)
    currency = snapshot.config.get("organization", {}).get("currency") if snapshot else None
    context = {"month": first_day, "snapshot": snapshot, "currency": currency}
    return render(request, "oteapp/digests/snapshot_reopen.html", context)


@csrf_exempt  # RFC 8058 one-click: mail providers POST without a session or CSRF token; the signed link is the key
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        membership = digest_membership_from_token(token=token)
    except DigestError as error:
        return render(request, "oteapp/digests/unsubscribe.html", {"error": str(error)}, status=400)
    done = request.method == "POST"
    if done:
        digest_preference_set(membership=membership, receives_digests=False)
    context = {"membership": membership, "done": done, "digest_organization": membership.organization}
    return render(request, "oteapp/digests/unsubscribe.html", context)


urlpatterns = [
    path("digests/", preferences, name="digest_preferences"),
    path("digests/preview/", preview, name="digest_preview"),
    path("snapshots/<str:month>/reopen/", snapshot_reopen_view, name="snapshot_reopen"),
]

# Outside /o/<slug>/, whose middleware requires a login: mounted in config/urls.py.
public_urlpatterns = [
    path("digests/unsubscribe/<str:token>/", unsubscribe, name="digest_unsubscribe"),
]
