"""Organization-level writes: the defaults of a new organization."""

from decimal import Decimal

from accounts.models import Organization
from oteapp.models import OrganizationSettings, RoleKind, SalesRole

# The brief's starting point; every customer edits these on the Configuration tab.
DEFAULT_ROLES = (
    {
        "key": "closer",
        "name": "Closers",
        "kind": RoleKind.CLOSER,
        "annual_ote": Decimal("60000"),
        "monthly_quota": Decimal("5"),
        "commission_rate": Decimal("0.10"),
    },
    {
        "key": "setter",
        "name": "Setters",
        "kind": RoleKind.SETTER,
        "annual_ote": Decimal("48000"),
        "monthly_quota": Decimal("40"),
        "commission_rate": Decimal("0.05"),
    },
    {
        "key": "manager",
        "name": "Managers",
        "kind": RoleKind.MANAGER,
        "annual_ote": Decimal("90000"),
        "monthly_quota": Decimal("40"),
        "commission_rate": Decimal("0.03"),
    },
)


def organization_defaults_create(*, organization: Organization, **signal_kwargs: object) -> None:
    """Settings and the three sales roles of a new organization: the receiver of accounts' organization_created
    (connected in OteappConfig.ready)."""
    OrganizationSettings.objects.create(organization=organization)
    SalesRole.objects.bulk_create(
        SalesRole(organization=organization, position=position, **role) for position, role in enumerate(DEFAULT_ROLES)
    )
