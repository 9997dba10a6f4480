import functools

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django_htmx.jinja import htmx_script

from accounts.permissions import CAN_CONFIGURE, CAN_ENTER_ACTUALS, CAN_MANAGE_MEMBERS
from oteapp.views.navigation import TABS


def organization(request: HttpRequest) -> dict:
    membership = getattr(request, "membership", None)
    if membership is None:
        return {}
    return {
        "organization": request.organization,
        "tabs": TABS,
        "membership": membership,
        "can_configure": membership.role in CAN_CONFIGURE,
        "can_enter_actuals": membership.role in CAN_ENTER_ACTUALS,
        "can_manage_members": membership.role in CAN_MANAGE_MEMBERS,
    }


@functools.cache
def _layout_links() -> dict[str, str]:
    """Resolved once per process: reverse() and static() cost 50-110 µs each here and the layout needs ten on
    every page (bench/FINDINGS.md), while their results depend only on the URL configuration and the static
    files' manifest, both fixed for the life of a process."""
    return {
        "home": reverse("home"),
        "organization_list": reverse("organization_list"),
        "organization_create": reverse("organization_create"),
        "login": reverse("account_login"),
        "signup": reverse("account_signup"),
        "logout": reverse("account_logout"),
        "change_password": reverse("account_change_password"),
        "two_factor": reverse("mfa_index"),
        "favicon": static("favicon.svg"),
        "css": static("css/app.css"),
        "htmx_script": htmx_script(),
    }


def layout(request: HttpRequest) -> dict:
    return {"layout": _layout_links()}
