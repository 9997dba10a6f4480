"""Configuration writes: the Configuration tab's save, "use this" recommendation, new roles, the
import of a file, and a What-If scenario applied to the configuration.

Every write locks the rows it changes, audits each changed value (old → new) and asks for the
snapshots to be recomputed; nothing is written when nothing changed.
"""

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import Organization, User
from oteapp import engine
from oteapp.engine.numbers import MONEY, quantize
from oteapp.files.configuration import ImportResult, config_import, decimal_text
from oteapp.jobs.snapshots import snapshots_refresh_request
from oteapp.models import AuditEvent, OrganizationSettings, SalesRole
from oteapp.selectors import config_from_models

ACTION_CONFIG_UPDATE = "config_update"
ACTION_WHATIF_APPLY = "whatif_apply"
SETTINGS_SUBJECT = "Organization settings"
SETTINGS_FIELDS = frozenset(
    {
        "currency",
        "timezone",
        "deal_value",
        "meeting_to_deal_rate",
        "comp_model",
        "monthly_operating_expenses",
        "on_target_threshold",
        "at_risk_threshold",
        "misalignment_tolerance",
    }
)
ROLE_FIELDS = frozenset(
    {"name", "annual_ote", "annual_base", "monthly_quota", "commission_rate", "ramp", "accelerators"}
)
MONEY_LIMIT = Decimal(10) ** 12  # a MONEY column: 14 digits, 2 of them cents


class ConfigurationError(ValueError):
    """A write that the configuration cannot take (duplicate key, out-of-range result)."""


class UnknownRole(ConfigurationError):
    """The organization has no role with that key."""


def _stored(name: str, value: Any) -> Any:
    """A value in the form its column holds: ramps and tiers as lists of decimal strings."""
    if name == "ramp":
        return [decimal_text(step) for step in value]
    if name == "accelerators":
        return [
            {"from": decimal_text(tier.from_attainment), "multiplier": decimal_text(tier.multiplier)} for tier in value
        ]
    return value


def _text(value: Any) -> str:
    """A value as the audit trail shows it: 60000, not 60000.00; lists as JSON."""
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, list):
        return json.dumps(value)
    return "" if value is None else str(value)


def _same(old: Any, new: Any) -> bool:
    if isinstance(old, Decimal) and isinstance(new, Decimal):
        return old == new
    return _text(old) == _text(new)


def _assign(instance: Any, values: Mapping[str, Any], subject: str, audit: list[tuple[str, str, str, str]]) -> bool:
    """Set the changed values on `instance`, note them for the audit; True when anything changed."""
    changed = False
    for name, value in values.items():
        new = _stored(name, value)
        old = getattr(instance, name)
        if not _same(old, new):
            audit.append((subject, name, _text(old), _text(new)))
            setattr(instance, name, new)
            changed = True
    return changed


def _locked(organization: Organization) -> tuple[OrganizationSettings, dict[str, SalesRole]]:
    # Locks in a fixed order (settings, then roles by id) so two concurrent saves cannot deadlock.
    settings = OrganizationSettings.objects.select_for_update().get(organization=organization)
    roles = SalesRole.objects.select_for_update().filter(organization=organization).order_by("pk")
    return settings, {role.key: role for role in roles}


def _write(
    *,
    organization: Organization,
    actor: User | None,
    action: str,
    settings_values: Mapping[str, Any],
    role_values: Mapping[str, Mapping[str, Any]],
) -> list[AuditEvent]:
    unknown = set(settings_values) - SETTINGS_FIELDS
    unknown |= {name for values in role_values.values() for name in values} - ROLE_FIELDS
    if unknown:
        raise ConfigurationError(f"not configuration fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        settings, roles = _locked(organization)
        missing = set(role_values) - set(roles)
        if missing:
            raise UnknownRole(f"unknown roles: {', '.join(sorted(missing))}")
        audit: list[tuple[str, str, str, str]] = []
        if _assign(settings, settings_values, SETTINGS_SUBJECT, audit):
            settings.save()
        changed_roles = []
        changed_fields: set[str] = set()
        for key, values in role_values.items():
            role = roles[key]
            before = len(audit)
            # The audit names a role as people see it ("Closers"), before a rename in the same save.
            if _assign(role, values, role.name, audit):
                changed_roles.append(role)
                changed_fields.update(entry[1] for entry in audit[before:])
        if changed_roles:
            SalesRole.objects.bulk_update(changed_roles, sorted(changed_fields))
        events = AuditEvent.objects.bulk_create(
            AuditEvent(
                organization=organization,
                actor=actor,
                action=action,
                subject=subject[:200],
                field=field,
                old_value=old,
                new_value=new,
            )
            for subject, field, old, new in audit
        )
    if events:
        snapshots_refresh_request(organization=organization, months=None)
    return events


def configuration_update(
    *,
    organization: Organization,
    actor: User | None,
    settings: Mapping[str, Any],
    roles: Mapping[str, Mapping[str, Any]],
) -> list[AuditEvent]:
    """Save validated settings and role values (keyed by role key); returns one audit event per
    changed value (action `config_update`). Ramps are sequences of Decimal, accelerators of
    `engine.AcceleratorTier`."""
    return _write(
        organization=organization,
        actor=actor,
        action=ACTION_CONFIG_UPDATE,
        settings_values=settings,
        role_values=roles,
    )


def role_ote_use_recommended(*, organization: Organization, actor: User | None, role_key: str) -> SalesRole:
    """Set the role's annual OTE to the engine's recommended OTE for the saved configuration (the
    client never supplies the amount); audited as `config_update`."""
    with transaction.atomic():
        settings, roles = _locked(organization)
        if role_key not in roles:
            raise UnknownRole(f"unknown role {role_key!r}")
        config = config_from_models(settings=settings, roles=list(roles.values()))
        recommended = quantize(engine.recommended_annual_ote(config.role(role_key), config), MONEY)
        if recommended is None or recommended <= 0:
            raise ConfigurationError(
                "The deal economics pay nothing yet: set the deal value, the commission rate and the quota first."
            )
        if recommended >= MONEY_LIMIT:
            raise ConfigurationError("The recommended OTE is too large to store; check the deal value and quota.")
        configuration_update(
            organization=organization, actor=actor, settings={}, roles={role_key: {"annual_ote": recommended}}
        )
        role = roles[role_key]
        role.annual_ote = recommended
        return role


def role_create(*, organization: Organization, actor: User | None, key: str, name: str, kind: str) -> SalesRole:
    """A new role with zero OTE, quota and rate, placed after the others; audited as `config_update`."""
    with transaction.atomic():
        _settings, roles = _locked(organization)
        if key in roles:
            raise ConfigurationError(f"A role with the key {key!r} already exists.")
        position = max((role.position for role in roles.values()), default=-1) + 1
        role = SalesRole.objects.create(organization=organization, key=key, name=name, kind=kind, position=position)
        AuditEvent.objects.bulk_create(
            AuditEvent(
                organization=organization,
                actor=actor,
                action=ACTION_CONFIG_UPDATE,
                subject=name,
                field=field,
                old_value="",
                new_value=value,
            )
            for field, value in (("key", key), ("kind", kind))
        )
    snapshots_refresh_request(organization=organization, months=None)
    return role


def configuration_import(*, organization: Organization, actor: User | None, data: bytes | str) -> ImportResult:
    """Import a configuration file (files.configuration validates it whole and audits it); raises
    ConfigImportError and changes nothing when the file is refused."""
    result = config_import(organization=organization, data=data, actor=actor)
    snapshots_refresh_request(organization=organization, months=None)
    return result


def scenario_apply(*, organization: Organization, actor: User | None, scenario: engine.Scenario) -> list[AuditEvent]:
    """Write a What-If scenario's configuration changes: deal value, meeting-to-deal rate, operating
    expenses, and each role's OTE, quota and rate. Headcount and productivity describe the team, not
    the configuration, so they are not applied. Audited as `whatif_apply`."""
    settings_values = {
        name: value
        for name in ("deal_value", "meeting_to_deal_rate", "monthly_operating_expenses")
        if (value := getattr(scenario, name)) is not None
    }
    role_values = {
        key: {
            name: value
            for name in ("annual_ote", "monthly_quota", "commission_rate")
            if (value := getattr(override, name)) is not None
        }
        for key, override in scenario.roles.items()
    }
    return _write(
        organization=organization,
        actor=actor,
        action=ACTION_WHATIF_APPLY,
        settings_values=settings_values,
        role_values={key: values for key, values in role_values.items() if values},
    )
