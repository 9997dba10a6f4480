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
# Every level but rep: what an organization page allows unless it says otherwise (see `open_to_reps`).
MEMBER_LEVELS = frozenset(MemberRole.values) - {MemberRole.REP}
REP_ONLY = frozenset({MemberRole.REP})


class AccessLevelRequired(PermissionDenied):
    """A member's access level is below what the view needs; the message (shown by templates/403.html) says
    which levels may, and which one the member has."""

    def __init__(self, *, allowed: frozenset[str], role: str | None) -> None:
        self.allowed = allowed
        self.role = role
        super().__init__(access_needed_text(allowed=allowed, role=role))


def access_needed_text(*, allowed: frozenset[str], role: str | None) -> str:
    levels = [label.lower() for value, label in MemberRole.choices if value in allowed]
    needed = levels[0] if len(levels) == 1 else ", ".join(levels[:-1]) + " or " + levels[-1]
    text = f"This needs {needed} access."
    if role in MemberRole.values:
        text += f" Your access level here is {MemberRole(role).label.lower()}."
    return text


def role_required(allowed: frozenset[str]) -> Callable:
    """Allow the view only to members whose role is in `allowed`; others get 403 saying what is needed."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            membership = getattr(request, "membership", None)
            if membership is None or membership.role not in allowed:
                raise AccessLevelRequired(allowed=allowed, role=membership.role if membership else None)
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = allowed  # read by the access-level tests
        return wrapper

    return decorator


def open_to_reps(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a view that members with the rep access level may reach. Every other organization page refuses them
    (OrganizationMiddleware), so a new page shows a rep nothing until someone decides it should."""
    view.open_to_reps = True
    return view


def is_open_to_reps(view: Callable | None) -> bool:
    """Whether `view` (or a view it wraps) is marked with `open_to_reps`."""
    while view is not None:
        if getattr(view, "open_to_reps", False):
            return True
        view = getattr(view, "__wrapped__", None)
    return False
