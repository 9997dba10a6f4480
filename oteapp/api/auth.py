"""Authentication of an API request: the bearer key, its rate limit, then its organization.

The key enters its organization as a member's request does (accounts.tenancy.enter_organization; the request's
OrganizationMiddleware leaves it when the answer is done): every query of the operation is scoped by the tenant
managers and by row-level security, exactly as a page's. A write locks the organization's row first, as the
middleware does for a page's write (the same lock order, no deadlock with the data_version triggers).
"""

import functools
import logging
import math
import time

import redis
from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from accounts.models import Organization
from accounts.tenancy import enter_organization
from oteapp.api.keys import api_key_authenticate, api_key_touch
from oteapp.api.problems import ApiProblem
from oteapp.audit_context import enter_api_key
from oteapp.models import ApiKey

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
logger = logging.getLogger(__name__)


@functools.cache
def _redis_client(url: str) -> redis.Redis:
    # One client (and its connection pool) per process and URL.
    return redis.Redis.from_url(url)


def rate_limit_check(api_key: ApiKey, *, now: float | None = None) -> None:
    """At most settings.API_RATE_LIMIT requests per key in each window of API_RATE_LIMIT_WINDOW seconds (a fixed
    window); over it, 429 with Retry-After the seconds left in the window.

    Counted by Redis's INCR, which is atomic and outside the request's transaction: a count in the database (the
    default cache) was read and written back by each request in its own transaction, so a burst of concurrent
    requests all read the same count and all passed. The key names the API key by its random prefix, unique across
    databases (a test database's ids start again). When Redis cannot be reached the request is let through and
    logged: the limit protects capacity, and the API's data is in PostgreSQL."""
    limit, window = settings.API_RATE_LIMIT, settings.API_RATE_LIMIT_WINDOW
    now = time.time() if now is None else now
    slot = int(now // window)
    pipe = _redis_client(settings.REDIS_URL).pipeline()  # MULTI/EXEC
    pipe.incr(f"oteapp:api-rate:{api_key.prefix}:{slot}")
    pipe.expire(f"oteapp:api-rate:{api_key.prefix}:{slot}", window + 1)
    try:
        count = pipe.execute()[0]
    except redis.RedisError as error:
        logger.warning("API rate limit not checked for key %s: Redis is unavailable (%s)", api_key.prefix, error)
        return
    if count > limit:
        retry_after = max(1, math.ceil((slot + 1) * window - now))
        raise ApiProblem(
            429,
            "Too many requests",
            f"This key may make {limit} requests every {window} seconds; retry in {retry_after} seconds.",
            type_name="rate-limited",
            headers={"Retry-After": str(retry_after)},
        )


class ApiKeyAuth(HttpBearer):
    """`Authorization: Bearer ote_…`: an active key of an organization; answers 401 otherwise."""

    openapi_description = "An API key of the organization (Organization → Integrations), sent as a bearer token."

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey | None:
        api_key = api_key_authenticate(token)
        if api_key is None:
            return None
        rate_limit_check(api_key)
        organizations = Organization.objects.filter(pk=api_key.organization_id)
        if request.method not in SAFE_METHODS:
            organizations = organizations.select_for_update(no_key=True)
        request.organization = organizations.get()
        request.organization_token = enter_organization(api_key.organization_id)
        request.api_key_token = enter_api_key(api_key.pk)
        api_key_touch(api_key)
        return api_key


def write_scope_required(request: HttpRequest) -> ApiKey:
    """The request's key, when it may write; 403 problem otherwise."""
    api_key: ApiKey = request.auth
    if not api_key.can_write:
        raise ApiProblem(
            403,
            "Read-only key",
            f"The key {api_key.name} ({api_key.prefix}) has the read scope; writing needs a key with the write scope.",
            type_name="read-only-key",
        )
    return api_key
