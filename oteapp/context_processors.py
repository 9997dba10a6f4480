from django.http import HttpRequest

from accounts.models import MemberRole
from accounts.permissions import CAN_CONFIGURE, CAN_ENTER_ACTUALS, CAN_MANAGE_MEMBERS
from oteapp.views.leaderboard import reps_see_leaderboard
from oteapp.views.navigation import MANAGER_TABS, REP_LEADERBOARD_TAB, REP_TABS, TABS


def _rep_tabs(request: HttpRequest) -> tuple[tuple[str, str], ...]:
    return (*REP_TABS, REP_LEADERBOARD_TAB) if reps_see_leaderboard(request) else REP_TABS


def organization(request: HttpRequest) -> dict:
    """The organization's tabs and what the member may do there, for the layout of every page under it."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {
        "organization": request.organization,
        # The leaderboard and payouts show earnings: managers and above (oteapp.views.leaderboard.CAN_SEE_LEADERBOARD).
        "tabs": _rep_tabs(request) if membership.role == MemberRole.REP else [
            tab for tab in TABS if tab[0] not in MANAGER_TABS or membership.role in CAN_ENTER_ACTUALS
        ],
        "is_rep": membership.role == MemberRole.REP,
        "membership": membership,
        "can_configure": membership.role in CAN_CONFIGURE,
        "can_enter_actuals": membership.role in CAN_ENTER_ACTUALS,
        "can_manage_members": membership.role in CAN_MANAGE_MEMBERS,
    }
