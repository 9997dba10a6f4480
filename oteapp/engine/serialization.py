"""The engine's configuration as JSON, as snapshots store it (exact decimal strings).

Additions keep older stored configurations readable: a role without ``monthly_draw``/``draw_recoverable`` has
no draw, a configuration without ``rep_plans`` has no per-rep plans."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .types import AcceleratorTier, OrgConfig, RepPlan, RoleConfig

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
                "monthly_draw": str(role.monthly_draw),
                "draw_recoverable": role.draw_recoverable,
            }
            for role in config.roles
        ],
        # A list (jsonb object keys are strings; a rep id keeps its type here), in rep id order so the same
        # plans always give the same JSON (the snapshot job compares it with the stored one).
        "rep_plans": [
            {"rep_id": rep_id, **{name: str(getattr(plan, name)) for name in plan.overridden()}}
            for rep_id, plan in sorted(config.rep_plans.items(), key=_rep_id_order)
        ],
    }


def _rep_id_order(item: tuple) -> tuple[str, int | str]:
    return type(item[0]).__name__, item[0]


def _rep_plan(data: Mapping) -> RepPlan:
    return RepPlan(**{name: Decimal(data[name]) for name in RepPlan.FIELDS if data.get(name) is not None})


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
                    AcceleratorTier(from_attainment=Decimal(tier["from"]), multiplier=Decimal(tier["multiplier"]))
                    for tier in role["accelerators"]
                ),
                monthly_draw=Decimal(role.get("monthly_draw", "0")),
                draw_recoverable=bool(role.get("draw_recoverable", False)),
            )
            for role in data["roles"]
        ),
        rep_plans={plan["rep_id"]: _rep_plan(plan) for plan in data.get("rep_plans", ())},
    )
