"""The request path, after Django's session and authentication middleware:

1. `TenantTransactionMiddleware` opens the request's transaction and, as its first statement, makes the
   row-level-security settings (the runtime role, the signed-in user, the admin's bypass: accounts/rls.py).
   Reading `request.user` for that costs Django's two queries: the session, then the user.
2. `OrganizationMiddleware`, for a view under `/o/<slug>/`, reads the user's membership with its organization
   in one query (locking the organization's row for a write) and enters that organization: the ContextVar the
   tenant managers read and the database's `app.organization_id`. Non-members get 404; a member with the rep
   access level gets 403 on every page not marked `accounts.permissions.open_to_reps`.
3. The view runs; a 5xx answer rolls the transaction back, anything else commits it.
"""

from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from accounts import rls
from accounts.models import MemberRole
from accounts.permissions import MEMBER_LEVELS, AccessLevelRequired, is_open_to_reps
from accounts.selectors import request_membership_get
from accounts.tenancy import enter_organization, leave_organization

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Liveness must not depend on the database.
NO_DATABASE_PATHS = frozenset({"/healthz"})


class PrivateCacheMiddleware:
    """`Cache-Control: private, no-store` on every answer to a signed-in user and on every download: neither a
    shared cache nor the browser's disk keeps a page or a file of an organization's data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        download = response.get("Content-Disposition", "").startswith("attachment")
        if download or (request.path not in NO_DATABASE_PATHS and request.user.is_authenticated):
            patch_cache_control(response, private=True, no_store=True)
        return response


class TenantTransactionMiddleware:
    """One transaction per request (instead of ATOMIC_REQUESTS, which starts too late to carry the
    row-level-security settings for the middleware's own queries)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in NO_DATABASE_PATHS:
            return self.get_response(request)
        # Inside an enclosing transaction (a test's), the SET LOCALs would outlive the request: reset them after.
        outermost = transaction.get_autocommit()
        with transaction.atomic():
            if rls.rls_enabled():
                user = request.user
                bypass = request.path.startswith("/admin/") and user.is_active and user.is_staff
                rls.request_settings_set(user_id=user.pk, bypass=bypass)
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            elif rls.rls_enabled() and not outermost:
                rls.request_settings_reset()
        return response


class OrganizationMiddleware:
    """Resolves `/o/<org_slug>/…`: the user must be a member (else 404), and the request runs in
    that organization's context, reset when the response is done."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organization = None
        request.membership = None
        request.organization_token = None
        try:
            return self.get_response(request)
        finally:
            if request.organization_token is not None:
                leave_organization(request.organization_token)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        slug = view_kwargs.get("org_slug")
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        # A write takes its organization's row lock first: the data_version triggers (oteapp/data_version.py) lock that
        # row after every write statement, and taking it up front keeps two concurrent writers from each holding a
        # row the other needs (a deadlock).
        membership = request_membership_get(user=request.user, slug=slug, for_write=request.method not in SAFE_METHODS)
        if membership is None:
            raise Http404("No such organization.")
        request.organization_token = enter_organization(membership.organization_id)
        request.organization = membership.organization
        request.membership = membership
        if membership.role == MemberRole.REP and not is_open_to_reps(view_func):
            # Fails closed: a rep reaches only the pages marked for them (their own pay), whatever is added later.
            raise AccessLevelRequired(allowed=MEMBER_LEVELS, role=membership.role)
        if request.session.get("organization_slug") != slug:
            request.session["organization_slug"] = slug
        return None
