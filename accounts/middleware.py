import re
from collections.abc import Callable
from contextlib import nullcontext

from django.conf import settings
from django.contrib.auth.middleware import get_user
from django.contrib.auth.views import redirect_to_login
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.http import Http404, HttpRequest, HttpResponse

from accounts import rls
from accounts.backends import prefetched_user
from accounts.selectors import request_context_get, request_membership_get
from accounts.sessions import SessionStore
from accounts.tenancy import enter_organization, leave_organization, organization_in_context
from config.db import default_vendor

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Liveness must not depend on the database.
NO_DATABASE_PATHS = frozenset({"/healthz"})
ORGANIZATION_PATH = re.compile(r"/o/(?P<slug>[-a-zA-Z0-9_]+)/")  # config/urls.py: o/<slug:org_slug>/


class RequestContextMiddleware:
    """Reads the request's session, its user and, for a read under `/o/<slug>/`, the user's membership there
    in one statement (`request_context_get`) before anything else needs them: a screen served from the
    fragment cache then costs this one round trip to PostgreSQL. Django's own checks still decide who the
    user is (`accounts.backends`); OrganizationMiddleware decides access. Writes read their membership in
    their transaction, with the organization's lock (OrganizationMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session_key = request.COOKIES.get(settings.SESSION_COOKIE_NAME)
        if (
            not session_key
            or request.path in NO_DATABASE_PATHS
            or default_vendor() != "postgresql"  # the function it calls is PostgreSQL's (accounts migration 0004)
            or not isinstance(request.session, SessionStore)
        ):
            return self.get_response(request)
        match = ORGANIZATION_PATH.match(request.path_info) if request.method in SAFE_METHODS else None
        slug = match["slug"] if match else None
        found = request_context_get(session_key=session_key, slug=slug)
        request.session.preload(None if found is None else found.session_data)
        if found is None or found.user is None:
            return self.get_response(request)
        if slug is not None:
            request.prefetched_membership = (slug, found.membership)
        with prefetched_user(found.user):
            # Decided now, with Django's checks (get_user): the lazy `request.user` costs a proxy call on each of the
            # half-dozen uses even a cached screen makes of it.
            request.user = get_user(request)
            return self.get_response(request)


class TenantTransactionMiddleware:
    """One transaction per request (instead of ATOMIC_REQUESTS, which starts too late to carry the
    row-level-security settings for the middleware's own queries). A 5xx answer rolls it back. The settings
    are made before the transaction's first statement (rls.RequestSettings): a request that runs none sends
    PostgreSQL nothing, not even BEGIN and COMMIT."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path in NO_DATABASE_PATHS:
            return self.get_response(request)

        def bypass() -> bool:
            user = request.user
            return request.path.startswith("/admin/") and user.is_active and user.is_staff

        db = connections[DEFAULT_DB_ALIAS]
        with transaction.atomic():
            request_settings = (
                rls.RequestSettings(
                    user_id=lambda: request.user.pk, bypass=bypass, organization_id=organization_in_context, db=db
                )
                if rls.rls_enabled(db)
                else nullcontext()
            )
            with request_settings as made:
                response = self.get_response(request)
                if response.status_code >= 500:
                    transaction.set_rollback(True)
                elif made is not None and not made.pending and not request_transaction_is_outermost(db):
                    # Inside an enclosing transaction (a test's) the SET LOCALs would outlive the request.
                    rls.end_request()
        return response


def request_transaction_is_outermost(db: BaseDatabaseWrapper = connection) -> bool:
    """True when the request's own transaction is the connection's outermost: its commit ends every
    SET LOCAL, so resetting them first would be two wasted round trips per request."""
    return len(db.atomic_blocks) == 1


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
        prefetched = getattr(request, "prefetched_membership", None)
        if prefetched is not None and prefetched[0] == slug:
            # Read with the session (RequestContextMiddleware), for the user Django has just confirmed.
            membership = prefetched[1]
            if membership is None:
                raise Http404("No such organization.")
            token = enter_organization(membership.organization_id)
        else:
            # A write takes its organization's row lock first, in the same query: the data_version triggers
            # (oteapp migration 0003) lock that row after every write statement, and taking it up front
            # keeps two concurrent writers from each holding a row the other needs (a deadlock).
            found = request_membership_get(
                user=request.user, slug=slug, for_write=request.method not in SAFE_METHODS
            )
            if found is None:
                raise Http404("No such organization.")
            membership = found.membership
            token = enter_organization(membership.organization_id, database_previous=found.database_previous)
        request.organization = membership.organization
        request.membership = membership
        request._organization_token = token
        if request.session.get("organization_slug") != slug:
            request.session["organization_slug"] = slug
        return None
