from collections.abc import Callable

from django.contrib.auth.views import redirect_to_login
from django.db import connection, transaction
from django.http import Http404, HttpRequest, HttpResponse

from accounts import rls
from accounts.selectors import request_membership_get
from accounts.tenancy import enter_organization, leave_organization

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Liveness must not depend on the database.
NO_DATABASE_PATHS = frozenset({"/healthz"})


class TenantTransactionMiddleware:
    """One transaction per request (instead of ATOMIC_REQUESTS, which starts too late to carry the
    row-level-security settings for the middleware's own queries). A 5xx answer rolls it back."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in NO_DATABASE_PATHS:
            return self.get_response(request)
        with transaction.atomic():
            if rls.rls_enabled():
                user = request.user
                bypass = request.path.startswith("/admin/") and user.is_active and user.is_staff
                rls.begin_request(user_id=user.pk, bypass=bypass)
            response = self.get_response(request)
            if response.status_code >= 500:
                transaction.set_rollback(True)
            elif rls.rls_enabled() and not request_transaction_is_outermost():
                # Inside an enclosing transaction (a test's) the SET LOCALs would outlive the request.
                rls.end_request()
        return response


def request_transaction_is_outermost() -> bool:
    """True when the request's own transaction is the connection's outermost: its commit ends every
    SET LOCAL, so resetting them first would be two wasted round trips per request."""
    return len(connection.atomic_blocks) == 1


class OrganizationMiddleware:
    """Resolves `/o/<org_slug>/…`: the user must be a member (else 404), and the request runs in
    that organization's context, reset when the response is done."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.organization = None
        request.membership = None
        try:
            return self.get_response(request)
        finally:
            token = getattr(request, "_organization_token", None)
            if token is not None:
                leave_organization(token, restore_database=not request_transaction_is_outermost())

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs) -> HttpResponse | None:
        slug = view_kwargs.get("org_slug")
        if slug is None:
            return None
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        # A write takes its organization's row lock first, in the same query: the data_version triggers
        # (oteapp migration 0003) lock that row after every write statement, and taking it up front
        # keeps two concurrent writers from each holding a row the other needs (a deadlock).
        found = request_membership_get(user=request.user, slug=slug, for_write=request.method not in SAFE_METHODS)
        if found is None:
            raise Http404("No such organization.")
        membership = found.membership
        request.organization = membership.organization
        request.membership = membership
        request._organization_token = enter_organization(
            membership.organization_id, database_previous=found.database_previous
        )
        if request.session.get("organization_slug") != slug:
            request.session["organization_slug"] = slug
        return None
