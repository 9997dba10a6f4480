"""The period a tab shows (SPEC section 14): a month, a fiscal quarter or the fiscal year to date, chosen with
`?period=2026-10|2026-Q3|2026-ytd` on Team Performance, the leaderboard and History.

Without `?period=`, a tab shows the month of `?month=` (or the default month), as every other tab does; the tabs'
links carry the period's last month, so moving between tabs keeps the time in view. Quarters and years follow the
organization's fiscal year start; the year to date runs through the current month in the organization's time zone
(months without actuals count for nothing, so a past year is the whole year).
"""

from dataclasses import dataclass
from datetime import date

from django.http import HttpRequest

from oteapp import engine
from oteapp.jobs.snapshots import organization_today
from oteapp.selectors import organization_settings_get
from oteapp.views.common import MonthChoice, month_choice_for, months_and_closed, selected_month
from oteapp.views.fragments import organization_value_get


@dataclass(frozen=True)
class PeriodOption:
    value: str  # the ?period= value
    label: str


@dataclass(frozen=True)
class PeriodChoice:
    period: engine.Period
    label: str  # "Q3 2026 (Jul to Sep)" with an en dash, see period_label
    month_choice: MonthChoice  # the period's last month with actuals: what the tabs' links and month banner use
    groups: tuple[tuple[str, tuple[PeriodOption, ...]], ...]  # the selector's options, by kind
    closed_months: int  # how many of its months are closed (their figures frozen)
    today: date  # in the organization's time zone
    invalid: str | None = None  # a ?period= value that could not be read, and why

    @property
    def param(self) -> str:
        return self.period.label

    @property
    def is_month(self) -> bool:
        return self.period.kind == engine.PERIOD_MONTH


EN_DASH = "\N{EN DASH}"


def _range(first: date, last: date, *, with_year: bool = True) -> str:
    if first == last:
        return f"{first:%b %Y}"
    if first.year == last.year:
        return f"{first:%b}{EN_DASH}{last:%b %Y}" if with_year else f"{first:%b}{EN_DASH}{last:%b}"
    return f"{first:%b %Y}{EN_DASH}{last:%b %Y}"


def period_label(period: engine.Period, *, fiscal_year_start: int) -> str:
    """How a period reads: "October 2026", "Q3 2026 (Jul-Sep)", "Q1 FY2026 (Feb-Apr 2025)", "2026 to date
    (Jan-Nov)", "FY2026 to date (Feb 2025-Jan 2026)", with en dashes."""
    first, last = period.months[0], period.months[-1]
    if period.kind == engine.PERIOD_MONTH:
        return f"{first:%B %Y}"
    calendar_year = fiscal_year_start == 1
    year = f"{period.fiscal_year}" if calendar_year else f"FY{period.fiscal_year}"
    months = _range(first, last, with_year=not calendar_year)
    if period.kind == engine.PERIOD_QUARTER:
        return f"Q{period.quarter} {year} ({months})"
    return f"{year} to date ({months})"


def _settings(request: HttpRequest) -> tuple[int, str]:
    """The fiscal year start and the time zone, once per data version and process."""
    organization = request.organization

    def build() -> tuple[int, str]:
        settings = organization_settings_get(organization=organization)
        return settings.fiscal_year_start, settings.timezone

    return organization_value_get(request, name="fiscal-year-start-and-timezone", build=build)


def _options(months: list[date], chosen: engine.Period, start: int, today: date) -> tuple:
    """Every month with actuals, the quarters and fiscal years they fall in (newest first), and the chosen one."""
    seen_months = dict.fromkeys([*months, *(chosen.months[-1:] if chosen.kind == engine.PERIOD_MONTH else [])])
    month_options = [PeriodOption(f"{m:%Y-%m}", f"{m:%B %Y}") for m in sorted(seen_months, reverse=True)]
    quarters: dict[str, engine.Period] = {}
    years: dict[str, engine.Period] = {}
    for month in months:
        year, quarter = engine.fiscal_quarter_of(month, start)
        if f"{year}-Q{quarter}" not in quarters:
            quarters[f"{year}-Q{quarter}"] = engine.parse_period(f"{year}-Q{quarter}", fiscal_year_start=start)
        if month <= today and f"{year}-ytd" not in years:
            years[f"{year}-ytd"] = engine.parse_period(f"{year}-ytd", fiscal_year_start=start, as_of=today)
    if chosen.kind == engine.PERIOD_QUARTER:
        quarters.setdefault(chosen.label, chosen)
    if chosen.kind == engine.PERIOD_YTD:
        years.setdefault(chosen.label, chosen)

    def listed(periods: dict[str, engine.Period]) -> tuple[PeriodOption, ...]:
        ordered = sorted(periods.values(), key=lambda period: period.months[0], reverse=True)
        return tuple(PeriodOption(period.label, period_label(period, fiscal_year_start=start)) for period in ordered)

    return (
        ("Months", tuple(month_options)),
        ("Quarters", listed(quarters)),
        ("Year to date", listed(years)),
    )


def selected_period(request: HttpRequest, *, year_to_date_by_default: bool = False) -> PeriodChoice:
    """`?period=` (a month, `YYYY-Qn` or `YYYY-ytd`), else the month of `?month=` (selected_month), or with
    `year_to_date_by_default` the fiscal year to date that month falls in (a rep's own history reads by year)."""
    start, zone = _settings(request)
    today = organization_today(timezone_name=zone)
    raw = request.GET.get("period", "").strip()
    if not raw and year_to_date_by_default:
        fiscal_year, _ = engine.fiscal_quarter_of(selected_month(request).month, start)
        raw = f"{fiscal_year}-ytd"
    invalid = None
    period = None
    if raw:
        try:
            period = engine.parse_period(raw, fiscal_year_start=start, as_of=today)
        except ValueError as error:  # PeriodError, or a year the calendar does not have (0000)
            invalid = f"“{raw}”: {error}"
    if period is None:
        month_choice = selected_month(request)
        period = engine.parse_period(f"{month_choice.month:%Y-%m}")
        if month_choice.invalid and not invalid:
            invalid = f"“{month_choice.invalid}” is not a month"
    months, closed = months_and_closed(request)
    # The tabs' links carry the period's last month with actuals (else its last month): what the other tabs show.
    with_actuals = set(months)
    reported = [month for month in period.months if month in with_actuals]
    return PeriodChoice(
        period=period,
        label=period_label(period, fiscal_year_start=start),
        month_choice=month_choice_for(request, (reported or period.months)[-1]),
        groups=_options(months, period, start, today),
        closed_months=sum(1 for month in period.months if month in closed),
        today=today,
        invalid=invalid,
    )



def preceding_periods(period: engine.Period, count: int, *, fiscal_year_start: int, today: date) -> list[engine.Period]:
    """The `count` periods of `period`'s kind that end with it, oldest first: quarters one after the other, or
    fiscal years (each to date: a past year whole, the current one through today)."""
    periods = [period]
    while len(periods) < count:
        earliest = periods[0]
        if period.kind == engine.PERIOD_QUARTER:
            before = earliest.months[0].replace(day=1)
            month = date(before.year - (before.month == 1), (before.month - 2) % 12 + 1, 1)
            year, quarter = engine.fiscal_quarter_of(month, fiscal_year_start)
            label = f"{year}-Q{quarter}"
        elif period.kind == engine.PERIOD_YTD:
            label = f"{earliest.fiscal_year - 1}-ytd"
        else:
            break
        periods.insert(0, engine.parse_period(label, fiscal_year_start=fiscal_year_start, as_of=today))
    return periods


def fiscal_settings(request: HttpRequest) -> tuple[int, date]:
    """The organization's fiscal year start and today in its time zone."""
    start, zone = _settings(request)
    return start, organization_today(timezone_name=zone)
