"""Access levels of SPEC section 1, checked on the membership the middleware attached."""

from collections.abc import Callable
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from accounts.models import MemberRole

CAN_CONFIGURE = frozenset({MemberRole.OWNER, MemberRole.ADMIN})
CAN_MANAGE_MEMBERS = CAN_CONFIGURE
CAN_ENTER_ACTUALS = frozenset({MemberRole.OWNER, MemberRole.ADMIN, MemberRole.MANAGER})
OWNER_ONLY = frozenset({MemberRole.OWNER})


def role_required(allowed: frozenset[str]) -> Callable:
    """Allow the view only to members whose role is in `allowed`; others get 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None or membership.role not in allowed:
                raise PermissionDenied("Your access level does not allow this.")
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = allowed  # read by the access-level tests
        return wrapper

    return decorator
