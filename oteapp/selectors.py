"""Reads of the domain. A month's report loads in a constant number of queries, whatever the number
of reps, and is computed by the one engine."""

import functools
import hashlib
import json
import operator
import zoneinfo
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from accounts.models import Organization, User
from accounts.tenancy import NoOrganizationInContext, current_organization_id
from oteapp import engine
from oteapp.engine.report import build
from oteapp.gc_pause import gc_paused
from oteapp.models import (
    AuditEvent,
    DigestDelivery,
    MonthlyActual,
    MonthlySnapshot,
    OrganizationSettings,
    Rep,
    SalesRole,
)
from oteapp.months import month_add, month_end


@dataclass(frozen=True)
class MonthReport:
    month: date
    config: engine.OrgConfig
    report: engine.Report
    actuals: Sequence[engine.RepMonth]  # the rows the report was computed from (pace projects the same rows)


def organization_settings_get(*, organization: Organization) -> OrganizationSettings:
    return OrganizationSettings.objects.get(organization=organization)


def organization_roles(*, organization: Organization) -> list[SalesRole]:
    return list(SalesRole.objects.filter(organization=organization).order_by("position", "key"))


# What the Configuration tab edits: their values make the configuration's version.
VERSIONED_SETTINGS = (
    "currency", "timezone", "deal_value", "meeting_to_deal_rate", "comp_model", "monthly_operating_expenses",
    "on_target_threshold", "at_risk_threshold", "misalignment_tolerance", "fiscal_year_start",
    "leaderboard_visible_to_reps",
)
VERSIONED_ROLE_FIELDS = (
    "key", "name", "kind", "annual_ote", "annual_base", "monthly_quota", "commission_rate", "ramp", "accelerators",
    "monthly_draw", "draw_recoverable",
)


def configuration_version(*, settings: OrganizationSettings, roles: Iterable[SalesRole]) -> str:
    """A fingerprint of the stored configuration (settings and roles, as their rows hold them). A page that edits
    the configuration sends the version it showed, and a write refuses to overwrite a configuration whose version
    moved on since (services.configuration.ConfigurationConflict): whatever path changed it, imports included."""
    values = [[str(getattr(settings, name)) for name in VERSIONED_SETTINGS]]
    ordered = sorted(roles, key=lambda role: role.key)
    values += [[_json_value(getattr(role, name)) for name in VERSIONED_ROLE_FIELDS] for role in ordered]
    return hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:20]


def _json_value(value: object) -> object:
    return value if isinstance(value, list) else str(value)  # ramps and tiers are JSON already


def _decimals(values: list) -> tuple[Decimal, ...]:
    return tuple(Decimal(str(value)) for value in values or ())


# What the engine's configuration is built from: the only columns of the settings and roles that the snapshot job
# loads (as plain rows with these attribute names) and that config_from_models reads.
SETTINGS_FIELDS = (
    "timezone", "currency", "deal_value", "meeting_to_deal_rate", "comp_model", "monthly_operating_expenses",
    "on_target_threshold", "at_risk_threshold", "misalignment_tolerance",
)
ROLE_FIELDS = (
    "key", "name", "kind", "annual_ote", "annual_base", "monthly_quota", "commission_rate", "ramp", "accelerators",
    "monthly_draw", "draw_recoverable",
)


def role_config(role: SalesRole) -> engine.RoleConfig:
    return engine.RoleConfig(
        key=role.key,
        name=role.name,
        kind=role.kind,
        annual_ote=role.annual_ote,
        annual_base=role.annual_base,
        monthly_quota=role.monthly_quota,
        commission_rate=role.commission_rate,
        ramp=_decimals(role.ramp),
        accelerators=tuple(
            engine.AcceleratorTier(
                from_attainment=Decimal(str(tier["from"])), multiplier=Decimal(str(tier["multiplier"]))
            )
            for tier in role.accelerators or ()
        ),
        monthly_draw=role.monthly_draw,
        draw_recoverable=role.draw_recoverable,
    )


# The rep's own plan figures (SPEC section 14), in engine.RepPlan.FIELDS order.
REP_PLAN_FIELDS = Rep.PLAN_FIELDS
_ANY_PLAN = functools.reduce(operator.or_, (Q(**{f"{name}__isnull": False}) for name in REP_PLAN_FIELDS))


def rep_plan_of(values: Iterable[Decimal | None]) -> engine.RepPlan | None:
    """The engine's plan from the REP_PLAN_FIELDS values of a rep (None when none is set)."""
    plan = engine.RepPlan(**dict(zip(REP_PLAN_FIELDS, values, strict=True)))
    return plan if plan.overridden() else None


def rep_plans_from_rows(rows: Iterable[tuple]) -> dict[int, engine.RepPlan]:
    """{rep id: plan} from rows of (rep id, *REP_PLAN_FIELDS); reps without an override are left out."""
    plans = {}
    for rep_id, *values in rows:
        plan = rep_plan_of(values)
        if plan is not None:
            plans[rep_id] = plan
    return plans


def organization_rep_plans_get(*, organization: Organization) -> dict[int, engine.RepPlan]:
    """One query: the plans of the organization's reps that have their own figures (active or not: a closed
    month's report can name a rep who has left since)."""
    rows = Rep.objects.filter(organization=organization).filter(_ANY_PLAN).values_list("pk", *REP_PLAN_FIELDS)
    return rep_plans_from_rows(rows)


def config_from_models(
    *,
    settings: OrganizationSettings,
    roles: list[SalesRole],
    rep_plans: Mapping[int, engine.RepPlan] | None = None,
) -> engine.OrgConfig:
    """From the models, or from rows of SETTINGS_FIELDS and ROLE_FIELDS with the same attribute names; `rep_plans`
    are the reps' own plans (organization_rep_plans_get), part of the configuration so a closed month pins them."""
    return engine.OrgConfig(
        deal_value=settings.deal_value,
        meeting_to_deal_rate=settings.meeting_to_deal_rate,
        comp_model=settings.comp_model,
        monthly_operating_expenses=settings.monthly_operating_expenses,
        roles=tuple(role_config(role) for role in roles),
        on_target_threshold=settings.on_target_threshold,
        at_risk_threshold=settings.at_risk_threshold,
        misalignment_tolerance=settings.misalignment_tolerance,
        currency=settings.currency,
        rep_plans=dict(rep_plans or {}),
    )


def organization_config_get(*, organization: Organization) -> engine.OrgConfig:
    """Three queries: the settings, the roles and the reps' own plans."""
    return config_from_models(
        settings=organization_settings_get(organization=organization),
        roles=organization_roles(organization=organization),
        rep_plans=organization_rep_plans_get(organization=organization),
    )


# Plain values, not model instances: a month of a large team is thousands of rows, and the engine needs
# none of the models' other fields (building the instances was a third of the page's time).
ACTUALS_FIELDS = (
    "organization_id", "month", "rep_id", "rep__name", "rep__role__key", "rep__start_date",
    "deals", "meetings", "team_deals", "revenue",
)
EMPLOYED_REP_FIELDS = ("organization_id", "pk", "name", "role__key", "start_date", "end_date")


class EmployedRep(NamedTuple):
    organization_id: int
    rep_id: int
    name: str
    role_key: str
    start_date: date | None
    end_date: date | None

    def active_in(self, month: date) -> bool:
        """The rule of active_reps_query, for reps loaded once for many months or organizations."""
        started = self.start_date is None or self.start_date <= month_end(month)
        return started and (self.end_date is None or self.end_date >= month)

    def as_active(self) -> engine.ActiveRep:
        return engine.ActiveRep(rep_id=self.rep_id, name=self.name, role_key=self.role_key)


def rep_months(actuals: QuerySet[MonthlyActual]) -> Iterator[tuple[int, date, engine.RepMonth]]:
    """(organization id, month, the engine's input) for each actuals row of the queryset: one query."""
    for org_id, month, rep_id, name, role_key, start, deals, meetings, team_deals, revenue in actuals.values_list(
        *ACTUALS_FIELDS
    ):
        yield org_id, month, build(
            engine.RepMonth, rep_id=rep_id, name=name, role_key=role_key, start_date=start,
            deals=deals, meetings=meetings, team_deals=team_deals, revenue=revenue,
        )


def employed_reps(reps: QuerySet[Rep]) -> list[EmployedRep]:
    """The reps of the queryset with what the engine and the employment rule need: one query."""
    return [EmployedRep(*values) for values in reps.values_list(*EMPLOYED_REP_FIELDS)]


def month_actuals_get(*, organization: Organization, month: date) -> list[engine.RepMonth]:
    """One query: the month's actuals rows with their reps' names and roles."""
    rows = MonthlyActual.objects.filter(organization=organization, month=month).order_by("rep__name")
    return [rep_month for _, _, rep_month in rep_months(rows)]


def active_reps_query(*, organization: Organization, month: date):
    """Reps employed at some point in the month."""
    return Rep.objects.filter(organization=organization).filter(
        Q(start_date__isnull=True) | Q(start_date__lte=month_end(month)),
        Q(end_date__isnull=True) | Q(end_date__gte=month),
    )


def month_reps_query(*, organization: Organization, month: date) -> QuerySet[Rep]:
    """The month's active reps and any rep with a row that month (an imported row of a rep outside their
    dates still counts in the report, so it must stay visible and editable)."""
    reported = MonthlyActual.objects.filter(organization=organization, month=month).values("rep_id")
    return active_reps_query(organization=organization, month=month) | Rep.objects.filter(
        organization=organization, pk__in=reported
    )


def month_reps_with_reported(*, organization: Organization, month: date) -> QuerySet[Rep]:
    """month_reps_query by name, each with `reported`: whether it has a row that month. One query."""
    return (
        month_reps_query(organization=organization, month=month)
        .annotate(reported=Exists(MonthlyActual.objects.filter(month=month, rep=OuterRef("pk"))))
        .order_by("name")
    )


def month_actuals_by_rep(*, organization: Organization, month: date) -> dict[int, MonthlyActual]:
    return {actual.rep_id: actual for actual in MonthlyActual.objects.filter(organization=organization, month=month)}


def month_actual_get(*, rep: Rep, month: date) -> MonthlyActual | None:
    return MonthlyActual.objects.filter(organization_id=rep.organization_id, rep=rep, month=month).first()


def role_reps(*, organization: Organization, role: SalesRole) -> list[str]:
    """The names of the reps (active or ended) of a role, by name. One query."""
    reps = Rep.objects.filter(organization=organization, role=role).order_by("name")
    return list(reps.values_list("name", flat=True))


def rep_get(*, organization: Organization, rep_id: int) -> Rep | None:
    """The rep with its role, or None."""
    return Rep.objects.select_related("role").filter(organization=organization, pk=rep_id).first()


def organization_timezone_get(*, organization: Organization) -> str:
    """The organization's time zone name (UTC until it sets one). One query."""
    zone = OrganizationSettings.objects.filter(organization=organization).values_list("timezone", flat=True).first()
    return zone or "UTC"


def month_has_actuals(*, organization: Organization, month: date) -> bool:
    return MonthlyActual.objects.filter(organization=organization, month=month).exists()


def recent_digest_deliveries(*, organization: Organization, user: User, limit: int) -> QuerySet[DigestDelivery]:
    return DigestDelivery.objects.filter(organization=organization, recipient=user).order_by("-period")[:limit]


def audit_events_query(*, organization: Organization, kind_filter: Q | None = None) -> QuerySet[AuditEvent]:
    """The audit trail, newest first, optionally only one kind of event."""
    events = AuditEvent.objects.filter(organization=organization).select_related("actor", "api_key")
    if kind_filter is not None:
        events = events.filter(kind_filter)
    return events.order_by("-created_at", "-id")


def month_active_reps_get(*, organization: Organization, month: date) -> list[engine.ActiveRep]:
    """One query."""
    reps = active_reps_query(organization=organization, month=month).order_by("name")
    return [rep.as_active() for rep in employed_reps(reps)]


def pinned_configs_get(*, organization: Organization, months: list[date]) -> dict[date, engine.OrgConfig]:
    """One query: the configuration frozen with each closed month's snapshot. A closed month keeps the
    numbers it was reported with, on every screen and in every email, whatever changed since."""
    rows = MonthlySnapshot.objects.filter(
        organization=organization, month__in=months, frozen_at__isnull=False
    ).values_list("month", "config")
    return {month: engine.config_from_dict(config) for month, config in rows}


def month_report_get(*, organization: Organization, month: date, config: engine.OrgConfig | None = None) -> MonthReport:
    """Six queries (two when the configuration is given), constant in reps and months. Without a given
    configuration, a closed month uses the one frozen with its snapshot, else today's."""
    if config is None:
        config = pinned_configs_get(organization=organization, months=[month]).get(month) or organization_config_get(
            organization=organization
        )
    actuals = month_actuals_get(organization=organization, month=month)
    report = engine.compute_report(
        config=config,
        month=month,
        actuals=actuals,
        active_reps=month_active_reps_get(organization=organization, month=month),
    )
    return MonthReport(month=month, config=config, report=report, actuals=actuals)


# Every tab asks for this list. DISTINCT reads every actuals row of the organization; this walks the
# (organization_id, month) index instead, one probe per distinct month (a "skip scan").
_MONTHS_WITH_ACTUALS_SQL = """
WITH RECURSIVE months(month) AS (
    SELECT min(month) FROM {table} WHERE organization_id = %(org)s
    UNION ALL
    SELECT (SELECT min(month) FROM {table} WHERE organization_id = %(org)s AND month > months.month)
    FROM months WHERE months.month IS NOT NULL
)
SELECT month FROM months WHERE month IS NOT NULL
"""


def months_with_actuals(*, organization: Organization) -> list[date]:
    """One query: every month that has at least one actuals row, oldest first."""
    if current_organization_id() != organization.pk:  # raw SQL skips the manager's guard: keep it
        raise NoOrganizationInContext(f"Organization {organization.pk} read outside its context.")
    sql = _MONTHS_WITH_ACTUALS_SQL.format(table=connection.ops.quote_name(MonthlyActual._meta.db_table))
    with connection.cursor() as cursor:
        cursor.execute(sql, {"org": organization.pk})
        return [month for (month,) in cursor.fetchall()]


def closed_months_get(*, organization: Organization) -> dict[date, date]:
    """One query: each closed month (its snapshot frozen) with the day it was frozen, in the organization's
    time zone."""
    timezone_name = OrganizationSettings.objects.filter(organization=OuterRef("organization")).values("timezone")[:1]
    frozen = MonthlySnapshot.objects.filter(organization=organization, frozen_at__isnull=False).annotate(
        timezone_name=Subquery(timezone_name)
    )
    return {
        month: frozen_at.astimezone(_zone(name)).date()
        for month, frozen_at, name in frozen.values_list("month", "frozen_at", "timezone_name")
    }


def _zone(name: str | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def latest_month_with_actuals(*, organization: Organization) -> date | None:
    return (
        MonthlyActual.objects.filter(organization=organization)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )


# --- Several months at once (Overview trend, P&L, History): constant queries in months and reps ---


def month_reports_get(
    *, organization: Organization, months: list[date], config: engine.OrgConfig | None = None
) -> list[MonthReport]:
    """The reports of `months`, in that order, in six queries however many months and reps there are
    (none for no months): the configurations frozen with closed months and today's (four, unless one
    is given), every month's actuals (one) and the reps employed in any of the months (one); then the
    engine once per month."""
    if not months:
        return []
    pinned = {} if config is not None else pinned_configs_get(organization=organization, months=months)
    if config is None:
        config = organization_config_get(organization=organization)
    actuals: dict[date, list[engine.RepMonth]] = {month: [] for month in months}
    rows = MonthlyActual.objects.filter(organization=organization, month__in=set(months)).order_by("month", "rep__name")
    for _, month, rep_month in rep_months(rows):
        actuals[month].append(rep_month)
    reps = employed_reps(
        Rep.objects.filter(organization=organization)
        .filter(
            Q(start_date__isnull=True) | Q(start_date__lte=month_end(max(months))),
            Q(end_date__isnull=True) | Q(end_date__gte=min(months)),
        )
        .order_by("name")
    )
    reports = []
    for month in months:
        active = [rep.as_active() for rep in reps if rep.active_in(month)]
        month_config = pinned.get(month, config)
        report = engine.compute_report(config=month_config, month=month, actuals=actuals[month], active_reps=active)
        reports.append(MonthReport(month=month, config=month_config, report=report, actuals=actuals[month]))
    return reports


def period_report_get(*, organization: Organization, period: engine.Period) -> engine.PeriodReport:
    """The report of a month, quarter or year to date (SPEC section 14): each of its months computed with its own
    configuration (a closed month's pinned one, today's for the others) and combined by the engine. The six queries
    of month_reports_get, whatever the number of months and reps."""
    reports = month_reports_get(organization=organization, months=list(period.months))
    return engine.period_report(period=period.label, reports=[(item.config, item.report) for item in reports])


# --- reps' own plans (the Configuration tab's rep table) -------------------------------------------------------


@dataclass(frozen=True)
class RepPlanRow:
    rep: Rep  # with its role
    economics: engine.PlanEconomics  # the rep's plan today: their own figures, else their role's
    month: engine.RepReport | None  # the rep's figures in the selected month's report (None: no actuals row)


@dataclass(frozen=True)
class RepPlans:
    rows: list[RepPlanRow]
    config: engine.OrgConfig  # today's configuration
    month: date
    frozen: bool  # the month is closed: its report keeps the plans it was frozen with


def rep_plans_get(*, organization: Organization, month: date, rep_id: int | None = None) -> RepPlans:
    """The month's reps (active, or with a row that month; or only `rep_id`) with their plan today and their figures
    in the month's report. Seven queries, whatever the number of reps."""
    reps = month_reps_query(organization=organization, month=month) if rep_id is None else Rep.objects.filter(
        organization=organization, pk=rep_id
    )
    reps = list(reps.select_related("role").order_by("role__position", "role__key", "name"))
    config = organization_config_get(organization=organization)
    pinned = pinned_configs_get(organization=organization, months=[month]).get(month)
    report = month_report_get(organization=organization, month=month, config=pinned or config).report
    figures = {rep.rep_id: rep for role in report.roles for rep in role.reps}
    rows = [
        RepPlanRow(
            rep=rep,
            economics=engine.rep_plan_economics(config, rep_id=rep.pk, role_key=rep.role.key),
            month=figures.get(rep.pk),
        )
        for rep in reps
    ]
    return RepPlans(rows=rows, config=config, month=month, frozen=pinned is not None)


def period_reports_get(*, organization: Organization, periods: list[engine.Period]) -> list[engine.PeriodReport]:
    """The reports of several periods (History by quarter or by year), in their order: the months of all of them
    loaded at once by month_reports_get, so six queries whatever the number of periods, months and reps."""
    months = sorted({month for period in periods for month in period.months})
    by_month = {item.month: item for item in month_reports_get(organization=organization, months=months)}
    return [
        engine.period_report(
            period=period.label,
            reports=[(by_month[month].config, by_month[month].report) for month in period.months],
        )
        for period in periods
    ]


# --- the leaderboard (SPEC section 14) --------------------------------------------------------------------------


@dataclass(frozen=True)
class LeaderboardEntry:
    """A rep's place on the leaderboard, with what managers see: earnings and OTE attainment included."""

    rank: int
    rep_id: int | str
    name: str
    role_name: str
    kind: str
    units: Decimal
    quota: Decimal  # ramped, over the period
    quota_attainment: Decimal | None
    status: str | None  # by OTE attainment, the organization's thresholds
    ote_attainment: Decimal | None
    earnings: Decimal


@dataclass(frozen=True)
class RepSafeEntry:
    """A place on the leaderboard as a rep may see it: names and attainment, never earnings (nor the OTE
    attainment that would give them away)."""

    rank: int
    rep_id: int | str
    name: str
    role_name: str
    kind: str
    units: Decimal
    quota_attainment: Decimal | None
    status: str | None


def leaderboard(report: engine.Report | engine.PeriodReport) -> list[LeaderboardEntry]:
    """Every rep of the report ranked by quota attainment (highest first; a rep without a quota last), ties by
    more units, then by name."""
    reps = [(role, rep) for role in report.roles for rep in role.reps]
    ordered = sorted(
        reps,
        key=lambda pair: (
            pair[1].quota_attainment is None,
            -(pair[1].quota_attainment or 0),
            -pair[1].units,
            pair[1].name,
            str(pair[1].rep_id),
        ),
    )
    return [
        LeaderboardEntry(
            rank=rank,
            rep_id=rep.rep_id,
            name=rep.name,
            role_name=role.name,
            kind=role.kind,
            units=rep.units,
            quota=rep.quota,
            quota_attainment=rep.quota_attainment,
            status=rep.status,
            ote_attainment=rep.ote_attainment,
            earnings=rep.earnings,
        )
        for rank, (role, rep) in enumerate(ordered, start=1)
    ]


def rep_safe_leaderboard(entries: list[LeaderboardEntry]) -> list[RepSafeEntry]:
    """The leaderboard as reps may see it (the organization's setting decides whether they may): the same ranks,
    without earnings."""
    return [
        RepSafeEntry(
            rank=entry.rank,
            rep_id=entry.rep_id,
            name=entry.name,
            role_name=entry.role_name,
            kind=entry.kind,
            units=entry.units,
            quota_attainment=entry.quota_attainment,
            status=entry.status,
        )
        for entry in entries
    ]


def trailing_months(month: date, span: int) -> list[date]:
    """The `span` months ending with `month`, oldest first."""
    return [month_add(month, offset) for offset in range(1 - span, 1)]


# --- P&L (the arithmetic is the engine's: engine.pnl_period, engine.pnl_total) ------------------------


@dataclass(frozen=True)
class Pnl:
    month: engine.PnlPeriod  # the selected month
    trailing: tuple[engine.PnlPeriod, ...]  # the months of the span ending with it, oldest first
    total: engine.PnlPeriod  # over the trailing months that have actuals
    months_with_actuals: int
    has_base: bool  # any base pay in the span (mixed comp model): show the base columns
    report: engine.Report  # the selected month's report


def pnl_get(*, organization: Organization, month: date, span: int = 12) -> Pnl:
    """The month's P&L and the trailing `span` months' (six queries). Months without actuals are
    shown but left out of the total: before a team records anything there is no P&L to speak of."""
    reports = month_reports_get(organization=organization, months=trailing_months(month, span))
    # One configuration for the whole span, so every month has the same roles in the same order.
    periods = [engine.pnl_period(month_report.report) for month_report in reports]
    counted = [period for period in periods if period.has_actuals]
    return Pnl(
        month=periods[-1],
        trailing=tuple(periods),
        total=engine.pnl_total(counted, roles=periods[-1].roles),
        months_with_actuals=len(counted),
        has_base=any(line.base for period in periods for line in period.roles),
        report=reports[-1].report,
    )


# --- History of attainment -------------------------------------------------------------------------

SOURCE_SNAPSHOT = "snapshot"
SOURCE_LIVE = "live"


def _decimal_or_none(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


@dataclass(frozen=True)
class AttainmentPoint:
    ote_attainment: Decimal | None
    quota_attainment: Decimal | None
    status: str | None
    headcount: int | None
    # Against the previous calendar month (as fractions: 0.034 is 3.4 points); None when either is unknown.
    ote_change: Decimal | None = None
    quota_change: Decimal | None = None


@dataclass(frozen=True)
class HistoryMonth:
    month: date
    source: str  # SOURCE_SNAPSHOT or SOURCE_LIVE
    team: AttainmentPoint  # the summary's team OTE attainment
    roles: tuple[AttainmentPoint | None, ...]  # aligned with AttainmentHistory.roles; None: role absent


@dataclass(frozen=True)
class AttainmentHistory:
    window: tuple[date, ...]  # every month of the span, oldest first
    months: tuple[HistoryMonth, ...]  # the months of the window with a snapshot or actuals, oldest first
    roles: tuple[tuple[str, str], ...]  # (key, name), in the order of the newest month that has them

    def ote_series(self) -> list[tuple[str, list[Decimal | None]]]:
        """(role name, OTE attainment per month of the window) for the chart; gaps are None."""
        by_month = {entry.month: entry for entry in self.months}
        series = []
        for index, (_key, name) in enumerate(self.roles):
            values = []
            for month in self.window:
                entry = by_month.get(month)
                point = entry.roles[index] if entry is not None else None
                values.append(point.ote_attainment if point is not None else None)
            series.append((name, values))
        return series


def _points(report: dict) -> tuple[AttainmentPoint, dict[str, tuple[str, AttainmentPoint]]]:
    """The team point and {role key: (name, point)} of a report in its contract (to_dict) form."""
    summary = report.get("summary") or {}
    team = AttainmentPoint(
        ote_attainment=_decimal_or_none(summary.get("team_ote_attainment")),
        quota_attainment=None,
        status=None,
        headcount=None,
    )
    roles = {
        role["key"]: (
            role.get("name") or role["key"],
            AttainmentPoint(
                ote_attainment=_decimal_or_none(role.get("ote_attainment")),
                quota_attainment=_decimal_or_none(role.get("quota_attainment")),
                status=role.get("status"),
                headcount=role.get("headcount"),
            ),
        )
        for role in report.get("roles") or ()
    }
    return team, roles


def attainment_history_get(*, organization: Organization, month: date, span: int = 12) -> AttainmentHistory:
    """OTE and quota attainment per role for the `span` months ending with `month`.

    A month's stored snapshot wins (history must not move when the configuration changes later);
    months with actuals but no snapshot yet are computed live. Two queries, plus four when some month
    is live, whatever the number of months and reps.
    """
    window = trailing_months(month, span)
    snapshots = {
        snapshot.month: snapshot.report
        for snapshot in MonthlySnapshot.objects.filter(
            organization=organization, month__gte=window[0], month__lte=window[-1]
        ).only("month", "report")
    }
    with_actuals = set(
        MonthlyActual.objects.filter(organization=organization, month__gte=window[0], month__lte=window[-1])
        .values_list("month", flat=True)
        .distinct()
    )
    live_months = sorted(with_actuals - snapshots.keys())
    reports: dict[date, tuple[str, dict]] = {m: (SOURCE_SNAPSHOT, report) for m, report in snapshots.items()}
    for month_report in month_reports_get(organization=organization, months=live_months):
        reports[month_report.month] = (SOURCE_LIVE, month_report.report.to_dict())

    parsed = {m: (source, *_points(report)) for m, (source, report) in reports.items()}
    names: dict[str, str] = {}
    for m in sorted(parsed, reverse=True):  # newest first: its order and names win
        for key, (name, _point) in parsed[m][2].items():
            names.setdefault(key, name)
    keys = list(names)

    months: list[HistoryMonth] = []
    for m in sorted(parsed):
        source, team, roles = parsed[m]
        previous = parsed.get(month_add(m, -1))
        previous_team, previous_roles = (previous[1], previous[2]) if previous else (None, {})
        points: list[AttainmentPoint | None] = []
        for key in keys:
            if key not in roles:
                points.append(None)
                continue
            point = roles[key][1]
            before = previous_roles.get(key, (None, None))[1]
            points.append(
                AttainmentPoint(
                    ote_attainment=point.ote_attainment,
                    quota_attainment=point.quota_attainment,
                    status=point.status,
                    headcount=point.headcount,
                    ote_change=engine.change(point.ote_attainment, before.ote_attainment if before else None),
                    quota_change=engine.change(point.quota_attainment, before.quota_attainment if before else None),
                )
            )
        team_point = AttainmentPoint(
            ote_attainment=team.ote_attainment,
            quota_attainment=None,
            status=None,
            headcount=None,
            ote_change=engine.change(team.ote_attainment, previous_team.ote_attainment if previous_team else None),
        )
        months.append(HistoryMonth(month=m, source=source, team=team_point, roles=tuple(points)))
    return AttainmentHistory(
        window=tuple(window), months=tuple(months), roles=tuple((key, names[key]) for key in keys)
    )


# --- plan modeling (SPEC section 15): the history a backtest or the optimizer runs on -------------------------


@dataclass(frozen=True)
class BacktestHistory:
    config: engine.OrgConfig  # the plan in force today
    history: tuple[engine.MonthActuals, ...]  # the last months with actuals, oldest first
    months_available: int  # every month with actuals the organization has


def backtest_history_get(*, organization: Organization, months: int) -> BacktestHistory:
    """The plan in force and the last `months` months with actuals, each with its actuals rows: six queries
    whatever the number of months and reps (the configuration's three, the months with actuals, the reps, and every
    row of the chosen months at once, without a join: each row finds its rep in memory)."""
    config = organization_config_get(organization=organization)
    available = months_with_actuals(organization=organization)
    chosen = available[-months:] if months > 0 else []
    by_month: dict[date, list[engine.RepMonth]] = {month: [] for month in chosen}
    if chosen:
        reps = {
            rep_id: (name, role_key, start)
            for rep_id, name, role_key, start in Rep.objects.filter(organization=organization).values_list(
                "pk", "name", "role__key", "start_date"
            )
        }
        rows = MonthlyActual.objects.filter(organization=organization, month__in=chosen).values_list(
            "month", "rep_id", "deals", "meetings", "team_deals", "revenue"
        )
        # Every field given, so build() skips the frozen dataclass's per-field __setattr__ (half the loading
        # time of a long history; bench/FINDINGS.md).
        with gc_paused():
            for month, rep_id, deals, meetings, team_deals, revenue in rows:
                name, role_key, start = reps[rep_id]
                by_month[month].append(
                    build(
                        engine.RepMonth, rep_id=rep_id, name=name, role_key=role_key, start_date=start,
                        deals=deals, meetings=meetings, team_deals=team_deals, revenue=revenue,
                    )
                )
    # Each month's rows as read: the engine puts a month's rows in its own order.
    history = tuple(engine.MonthActuals(month=month, actuals=tuple(by_month[month])) for month in chosen)
    return BacktestHistory(config=config, history=history, months_available=len(available))


def plan_optimization_get(
    *,
    organization: Organization,
    share: Decimal | str = engine.DEFAULT_SHARE,
    cap: Decimal | str = engine.DEFAULT_CAP,
    months: int = engine.DEFAULT_MONTHS,
    targets: Mapping[str, Decimal] | None = None,
) -> engine.Optimization:
    """The optimizer of SPEC section 15 on the organization's last `months` months with actuals (the loader's five
    queries, then the engine). Raises the engine's OptimizerInputError (InsufficientHistoryError) and PlanError."""
    loaded = backtest_history_get(organization=organization, months=max(months, 0))
    return engine.optimize(
        config=loaded.config, history=loaded.history, targets=targets, share=share, cap=cap, months=months
    )
