"""What every tab shares: the selected month and the page-or-partial rendering."""

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.cache import patch_vary_headers

from oteapp.months import format_month, parse_month
from oteapp.selectors import closed_months_get, months_with_actuals
from oteapp.services.configuration import ConfigurationConflict
from oteapp.views.fragments import fragment_render, organization_value_get, page_render


@dataclass(frozen=True)
class ProposedChange:
    """One value a confirmation page lists: what it is, its value now and after."""

    subject: str
    label: str
    old_text: str
    new_text: str


@dataclass(frozen=True)
class Confirmation:
    """A change shown before it is made (templates/oteapp/confirm.html): the values now → after, and a POST form
    carrying exactly the `fields` that make it, with the configuration version the page showed."""

    title: str
    intro: str
    changes: list[ProposedChange]
    action: str  # where the form posts
    fields: list[tuple[str, str]]  # hidden inputs
    button: str
    cancel: str  # where "Cancel" leads
    notes: tuple[str, ...] = ()
    error: str = ""


CONFIRM_TEMPLATE = "oteapp/confirm.html"


@dataclass(frozen=True)
class MonthChoice:
    month: date
    months: list[date]  # months with actuals, newest first, for the selector
    invalid: str | None = None  # a ?month= value that was not a month
    closed_on: date | None = None  # the day a closed month's figures were frozen (every tab says so)

    @property
    def param(self) -> str:
        return format_month(self.month)


def months_and_closed(request: HttpRequest) -> tuple[list[date], dict[date, date]]:
    """The months with actuals (newest first) and the closed months with their freezing day: cached per data
    version, so at most three queries per version and process."""
    organization = request.organization
    return organization_value_get(
        request,
        name="months-with-actuals-and-closed",
        build=lambda: (
            sorted(months_with_actuals(organization=organization), reverse=True),
            closed_months_get(organization=organization),
        ),
    )


def month_choice_for(request: HttpRequest, month: date, *, invalid: str | None = None) -> MonthChoice:
    """The selector's state for `month`."""
    months, closed = months_and_closed(request)
    return MonthChoice(month=month, months=months, invalid=invalid, closed_on=closed.get(month))


def selected_month(request: HttpRequest) -> MonthChoice:
    """`?month=YYYY-MM`, else the latest month with actuals, else the current month."""
    months, _ = months_and_closed(request)
    raw = request.GET.get("month")
    invalid = None
    if raw:
        try:
            return month_choice_for(request, parse_month(raw))
        except ValueError:
            invalid = raw
    default = months[0] if months else timezone.localdate().replace(day=1)
    return month_choice_for(request, default, invalid=invalid)


def render_tab(
    request: HttpRequest, template: str, context: dict, *, partial: str = "tab", status: int = 200
) -> HttpResponse:
    """The full page, or only its `partial` for an htmx request (not for a history restore, which
    needs the whole page). Responses vary on HX-Request so caches keep the two apart."""
    if request.htmx and not request.htmx.history_restore_request:
        template = f"{template}#{partial}"
    response = render(request, template, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def render_cached_tab(
    request: HttpRequest,
    template: str,
    build_context: Callable[[], dict],
    *,
    page_context: dict,
    partial: str = "tab",
) -> HttpResponse:
    """`render_tab` for a read-only tab whose fragment is a function of the organization's data only
    (oteapp/views/fragments.py): `build_context` runs on a cache miss; a full page renders the layout around the
    cached fragment with `page_context` (the template shows `tab_html` in place of its `#tab`)."""
    if request.htmx and not request.htmx.history_restore_request:
        html = fragment_render(request, template=template, partial=partial, build_context=build_context)
        response = HttpResponse(html)
    else:
        response = HttpResponse(
            page_render(request, template=template, page_context=page_context, build_context=build_context)
        )
    patch_vary_headers(response, ["HX-Request"])
    return response


def error_status(request: HttpRequest, status: int) -> int:
    """The status of a refused form: htmx 2 swaps only 2xx answers (and the CSP rules out configuring it
    with inline script), so htmx gets 200 with the errors in the page; other clients get `status`."""
    return 200 if request.htmx else status


def conflict_text(conflict: ConfigurationConflict, *, doing: str) -> str:
    """ "The configuration was changed by Ana at 14:02 while you were editing, so nothing was saved." (the time as
    the organization reads it), as the actuals grid says it of a row."""
    by = f" by {conflict.changed_by}" if conflict.changed_by else ""
    at = ""
    if conflict.changed_at is not None:
        try:
            zone = zoneinfo.ZoneInfo(conflict.settings.timezone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = zoneinfo.ZoneInfo("UTC")
        at = f" at {timezone.localtime(conflict.changed_at, zone):%H:%M}"
    return f"The configuration was changed{by}{at} while you were {doing}, so nothing was saved."
