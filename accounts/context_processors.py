import functools

from django.http import HttpRequest
from django.templatetags.static import static
from django.urls import reverse
from django_htmx.jinja import htmx_script


@functools.cache
def _layout_links() -> dict[str, str]:
    """Resolved once per process: the links depend only on the URL configuration and the static files'
    manifest, both fixed for the life of a process, and every page's layout needs them."""
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
