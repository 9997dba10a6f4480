"""The leaderboard (SPEC section 14): reps ranked by quota attainment over the selected period (a month, a quarter
or the year to date), with their units and status. Managers and above see it with earnings; the organization's
setting "reps may see the leaderboard" lets members at the rep level see the rep-safe board (names and attainment,
never earnings): `rep_leaderboard` renders it for them."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.http import require_safe

from accounts.permissions import CAN_ENTER_ACTUALS, role_required
from oteapp.selectors import leaderboard, organization_settings_get, rep_safe_leaderboard
from oteapp.views.common import render_cached_tab, render_tab
from oteapp.views.fragments import organization_value_get
from oteapp.views.performance import period_report
from oteapp.views.periods import selected_period

TEMPLATE = "oteapp/leaderboard/page.html"
# Who sees the full board (earnings included): managers and above.
CAN_SEE_LEADERBOARD = CAN_ENTER_ACTUALS


def _context(request: HttpRequest, *, rep_safe: bool, own_rep_id: int | None = None) -> dict:
    period_choice = selected_period(request)
    report = period_report(request, period_choice)
    entries = leaderboard(report)
    return {
        "active_tab": "my_leaderboard" if rep_safe else "leaderboard",
        "month_choice": period_choice.month_choice,
        "period_choice": period_choice,
        "currency": report.currency,
        "entries": rep_safe_leaderboard(entries) if rep_safe else entries,
        "rep_safe": rep_safe,
        "own_rep_id": own_rep_id,
    }


@require_safe
@role_required(CAN_SEE_LEADERBOARD)
def page(request: HttpRequest, org_slug: str) -> HttpResponse:
    return render_cached_tab(
        request,
        TEMPLATE,
        lambda: _context(request, rep_safe=False),
        page_context={"active_tab": "leaderboard"},
    )


def reps_see_leaderboard(request: HttpRequest) -> bool:
    """Whether the organization lets members with the rep access level see the rep-safe board (their navigation
    shows it then). Cached per data version, as the fiscal year start is."""
    return organization_value_get(
        request,
        name="leaderboard-visible-to-reps",
        build=lambda: organization_settings_get(organization=request.organization).leaderboard_visible_to_reps,
    )


def rep_leaderboard(request: HttpRequest, *, own_rep_id: int | None) -> HttpResponse:
    """The board as a rep sees it, their own row marked: names, units, quota attainment and status, never earnings.
    Refused (403) unless the organization lets reps see it. For the rep access level's route (My leaderboard);
    rendered for each rep, not cached, since it marks their own row."""
    if not reps_see_leaderboard(request):
        raise PermissionDenied("This organization does not show the leaderboard to reps.")
    return render_tab(request, TEMPLATE, _context(request, rep_safe=True, own_rep_id=own_rep_id))


urlpatterns = [
    path("leaderboard/", page, name="leaderboard"),
]
