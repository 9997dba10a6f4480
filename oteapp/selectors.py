"""Reads of the domain. A month's report loads in a constant number of queries, whatever the number
of reps, and is computed by the one engine."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Q

from accounts.models import Organization
from oteapp import engine
from oteapp.models import MonthlyActual, OrganizationSettings, Rep, SalesRole
from oteapp.months import month_end


@dataclass(frozen=True)
class MonthReport:
    month: date
    config: engine.OrgConfig
    report: engine.Report


def organization_settings_get(*, organization: Organization) -> OrganizationSettings:
    return OrganizationSettings.objects.get(organization=organization)


def organization_roles(*, organization: Organization) -> list[SalesRole]:
    return list(SalesRole.objects.filter(organization=organization).order_by("position", "key"))


def _decimals(values: list) -> tuple[Decimal, ...]:
    return tuple(Decimal(str(value)) for value in values or ())


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
    )


def config_from_models(*, settings: OrganizationSettings, roles: list[SalesRole]) -> engine.OrgConfig:
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
    )


def organization_config_get(*, organization: Organization) -> engine.OrgConfig:
    """Two queries: the settings and the roles."""
    return config_from_models(
        settings=organization_settings_get(organization=organization),
        roles=organization_roles(organization=organization),
    )


def month_actuals_get(*, organization: Organization, month: date) -> list[engine.RepMonth]:
    """One query: the month's actuals rows with their reps and roles."""
    rows = (
        MonthlyActual.objects.filter(organization=organization, month=month)
        .select_related("rep__role")
        .order_by("rep__name")
    )
    return [
        engine.RepMonth(
            rep_id=row.rep_id,
            name=row.rep.name,
            role_key=row.rep.role.key,
            start_date=row.rep.start_date,
            deals=row.deals,
            meetings=row.meetings,
            team_deals=row.team_deals,
            revenue=row.revenue,
        )
        for row in rows
    ]


def active_reps_query(*, organization: Organization, month: date):
    """Reps employed at some point in the month."""
    return Rep.objects.filter(organization=organization).filter(
        Q(start_date__isnull=True) | Q(start_date__lte=month_end(month)),
        Q(end_date__isnull=True) | Q(end_date__gte=month),
    )


def month_active_reps_get(*, organization: Organization, month: date) -> list[engine.ActiveRep]:
    """One query."""
    reps = active_reps_query(organization=organization, month=month).select_related("role").order_by("name")
    return [engine.ActiveRep(rep_id=rep.pk, name=rep.name, role_key=rep.role.key) for rep in reps]


def month_report_get(*, organization: Organization, month: date, config: engine.OrgConfig | None = None) -> MonthReport:
    """Four queries (two when the configuration is given), constant in reps and months."""
    if config is None:
        config = organization_config_get(organization=organization)
    report = engine.compute_report(
        config=config,
        month=month,
        actuals=month_actuals_get(organization=organization, month=month),
        active_reps=month_active_reps_get(organization=organization, month=month),
    )
    return MonthReport(month=month, config=config, report=report)


def months_with_actuals(*, organization: Organization) -> list[date]:
    """One query: every month that has at least one actuals row, oldest first."""
    return list(
        MonthlyActual.objects.filter(organization=organization)
        .order_by("month")
        .values_list("month", flat=True)
        .distinct()
    )


def latest_month_with_actuals(*, organization: Organization) -> date | None:
    return (
        MonthlyActual.objects.filter(organization=organization)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
