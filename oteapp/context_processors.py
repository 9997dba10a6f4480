from django.http import HttpRequest

from accounts.permissions import CAN_CONFIGURE, CAN_ENTER_ACTUALS, CAN_MANAGE_MEMBERS
from oteapp.views.navigation import TABS

MANAGER_TABS = frozenset({"leaderboard", "plans", "advisor"})


def organization(request: HttpRequest) -> dict:
    """The organization's tabs and what the member may do there, for the layout of every page under it."""
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {
        "organization": request.organization,
        # The leaderboard shows earnings and the Plan lab models pay: managers and above.
        "tabs": [tab for tab in TABS if tab[0] not in MANAGER_TABS or membership.role in CAN_ENTER_ACTUALS],
        "membership": membership,
        "can_configure": membership.role in CAN_CONFIGURE,
        "can_enter_actuals": membership.role in CAN_ENTER_ACTUALS,
        "can_manage_members": membership.role in CAN_MANAGE_MEMBERS,
    }
