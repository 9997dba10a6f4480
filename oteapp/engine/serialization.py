"""The engine's configuration as JSON, as snapshots store it (exact decimal strings)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .types import AcceleratorTier, OrgConfig, RoleConfig

CONFIG_FORMAT = "snapshot-1"


def config_to_dict(config: OrgConfig) -> dict:
    """The engine configuration as JSON: the organization and role fields of the 2.0 configuration file,
    numbers as exact decimal strings and roles as a list (jsonb keeps list order, not key order)."""
    return {
        "format": CONFIG_FORMAT,
        "organization": {
            "currency": config.currency,
            "deal_value": str(config.deal_value),
            "meeting_to_deal_rate": str(config.meeting_to_deal_rate),
            "comp_model": config.comp_model,
            "monthly_operating_expenses": str(config.monthly_operating_expenses),
            "on_target_threshold": str(config.on_target_threshold),
            "at_risk_threshold": str(config.at_risk_threshold),
            "misalignment_tolerance": str(config.misalignment_tolerance),
        },
        "roles": [
            {
                "key": role.key,
                "name": role.name,
                "kind": role.kind,
                "annual_ote": str(role.annual_ote),
                "annual_base": str(role.annual_base),
                "monthly_quota": str(role.monthly_quota),
                "commission_rate": str(role.commission_rate),
                "ramp": [str(step) for step in role.ramp],
                "accelerators": [
                    {"from": str(tier.from_attainment), "multiplier": str(tier.multiplier)}
                    for tier in role.accelerators
                ],
            }
            for role in config.roles
        ],
    }


def config_from_dict(data: Mapping) -> OrgConfig:
    organization = data["organization"]
    return OrgConfig(
        deal_value=Decimal(organization["deal_value"]),
        meeting_to_deal_rate=Decimal(organization["meeting_to_deal_rate"]),
        comp_model=organization["comp_model"],
        monthly_operating_expenses=Decimal(organization["monthly_operating_expenses"]),
        on_target_threshold=Decimal(organization["on_target_threshold"]),
        at_risk_threshold=Decimal(organization["at_risk_threshold"]),
        misalignment_tolerance=Decimal(organization["misalignment_tolerance"]),
        currency=organization["currency"],
        roles=tuple(
            RoleConfig(
                key=role["key"],
                name=role["name"],
                kind=role["kind"],
                annual_ote=Decimal(role["annual_ote"]),
                annual_base=Decimal(role["annual_base"]),
                monthly_quota=Decimal(role["monthly_quota"]),
                commission_rate=Decimal(role["commission_rate"]),
                ramp=tuple(Decimal(step) for step in role["ramp"]),
                accelerators=tuple(
                    AcceleratorTier(
                        from_attainment=Decimal(tier["from"]), multiplier=Decimal(tier["multiplier"])
                    )
                    for tier in role["accelerators"]
                ),
            )
            for role in data["roles"]
        ),
    )


