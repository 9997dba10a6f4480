"""The admin site: signed in through allauth's throttled login, and only with a second factor.

Staff see every organization's rows, past row-level security (accounts/admin.py), so the admin asks more than
the app does: its own login form, which allauth's failed-login throttle and MFA stage do not guard, is
replaced by a redirect to allauth's login (allauth's documented `secure_admin_login`), and staff who have not
set up an authenticator app (TOTP) are sent to set one up before any admin page opens.
"""

from functools import update_wrapper

from allauth.account.decorators import secure_admin_login
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse


class StaffAdminSite(admin.AdminSite):
    site_header = "OTE Dashboard administration"

    def login(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        return secure_admin_login(super().login)(request, extra_context)

    def admin_view(self, view, cacheable: bool = False):
        protected = super().admin_view(view, cacheable)

        def second_factor_required(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            user = request.user
            if user.is_active and user.is_staff and not is_mfa_enabled(user, [Authenticator.Type.TOTP]):
                messages.warning(
                    request,
                    "The admin needs two-factor authentication: set up an authenticator app, then open the admin again",
                )
                return HttpResponseRedirect(reverse("mfa_activate_totp"))
            return protected(request, *args, **kwargs)

        return update_wrapper(second_factor_required, view)
