"""Configuration writes: the Configuration tab's save, aligning a role's OTE, rate or quota ("use this"),
new and deleted roles, a rep's own plan, the import of a file (after its preview), and a What-If scenario applied
to the configuration.

Every write locks the rows it changes, audits each changed value (old → new) and asks for the
snapshots to be recomputed; nothing is written when nothing changed. A write made from a page names the
configuration version the page showed (`expected_version`, see selectors.configuration_version): when someone
else changed the configuration since, nothing is written and ConfigurationConflict says who and when, as the
actuals grid does for a row.
"""

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction

from accounts.models import Organization, User
from oteapp import engine
from oteapp.engine.numbers import MONEY, RATIO, UNITS, quantize
from oteapp.files.configuration import AUDIT_ACTION as ACTION_CONFIG_IMPORT
from oteapp.files.configuration import (
    ConfigPreview,
    ImportResult,
    config_import,
    config_import_preview,
    decimal_text,
)
from oteapp.jobs.snapshots import snapshots_refresh_request
from oteapp.models import AuditEvent, OrganizationSettings, Rep, SalesRole
from oteapp.selectors import config_from_models, configuration_version, role_reps
from oteapp.services.audit import audit_changes, audit_events_create

ACTION_CONFIG_UPDATE = "config_update"
ACTION_WHATIF_APPLY = "whatif_apply"
ACTION_ROLE_DELETE = "role_delete"
ACTION_REP_PLAN = "rep_plan_update"
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
        "fiscal_year_start",
        "leaderboard_visible_to_reps",
    }
)
ROLE_FIELDS = frozenset(
    {
        "name", "annual_ote", "annual_base", "monthly_quota", "commission_rate", "ramp", "accelerators",
        "monthly_draw", "draw_recoverable",
    }
)
MONEY_LIMIT = Decimal(10) ** 12  # a MONEY column: 14 digits, 2 of them cents
UNITS_LIMIT = Decimal(10) ** 10  # a UNITS column: 12 digits, 2 of them decimals
CONFIGURATION_ACTIONS = (ACTION_CONFIG_UPDATE, ACTION_WHATIF_APPLY, ACTION_CONFIG_IMPORT, ACTION_ROLE_DELETE)
ALIGNABLE_FIELDS = ("annual_ote", "commission_rate", "monthly_quota")


class ConfigurationError(ValueError):
    """A write that the configuration cannot take (duplicate key, out-of-range result)."""


class UnknownRole(ConfigurationError):
    """The organization has no role with that key."""


class UnknownRep(ConfigurationError):
    """The organization has no rep with that id."""


class RoleInUse(ConfigurationError):
    """A role that reps (active or ended) belong to cannot be deleted; `reps` are their names."""

    def __init__(self, role: SalesRole, reps: list[str]) -> None:
        self.role = role
        self.reps = reps
        listed = ", ".join(reps[:10]) + (f" and {len(reps) - 10:,} more" if len(reps) > 10 else "")
        super().__init__(
            f"{role.name} cannot be deleted: {len(reps):,} rep{'' if len(reps) == 1 else 's'} belong"
            f"{'s' if len(reps) == 1 else ''} to it ({listed}). Move them to another role first."
        )


class ImportPreviewChanged(ConfigurationError):
    """The stored configuration changed since the import's preview, so the file would now change something else;
    nothing was written. `preview` is what the file would do now."""

    def __init__(self, preview: ConfigPreview) -> None:
        self.preview = preview
        super().__init__("The configuration changed since your preview; check the changes again before applying.")


class RepPlanConflict(ConfigurationError):
    """The rep's plan changed since the page that sent the write was loaded; nothing was written. `rep` is the rep
    as it is now."""

    def __init__(self, rep: Rep, *, changed_by: str | None, changed_at: datetime | None) -> None:
        self.rep = rep
        self.changed_by = changed_by
        self.changed_at = changed_at
        super().__init__(f"{rep.name}'s plan was changed by someone else since you loaded it.")


class ConfigurationConflict(ConfigurationError):
    """The configuration changed since the page that sent the write was loaded; nothing was written.
    `settings` and `roles` are the configuration as it is now; `changed_by`/`changed_at` name its last change."""

    def __init__(
        self,
        *,
        settings: OrganizationSettings,
        roles: dict[str, SalesRole],
        changed_by: str | None,
        changed_at: datetime | None,
    ) -> None:
        self.settings = settings
        self.roles = roles
        self.changed_by = changed_by
        self.changed_at = changed_at
        self.version = configuration_version(settings=settings, roles=roles.values())
        super().__init__("The configuration was changed by someone else since you loaded it.")


@dataclass(frozen=True)
class RoleAlignment:
    """Three ways to make a role's pay at 100% of quota equal its OTE, each changing one value and keeping the
    others (SPEC section 3's formulas, rounded to what the columns hold); None where the economics cannot:
    - annual_ote: the recommended OTE, what the rate and quota pay (configured commission per unit times quota
      times 12, plus base);
    - commission_rate: the rate that pays the target variable at quota (target variable ÷ quota ÷ the per-unit
      value of a 100% rate: the deal value, times the meeting-to-deal rate for setters), at most 1;
    - monthly_quota: the quota at which the configured rate pays the target variable (target variable ÷
      configured commission per unit: the break-even)."""

    annual_ote: Decimal | None
    commission_rate: Decimal | None
    monthly_quota: Decimal | None

    def value(self, field: str) -> Decimal | None:
        return getattr(self, field)


def _positive_below(value: Decimal | None, limit: Decimal) -> Decimal | None:
    return value if value is not None and 0 < value < limit else None


def role_alignment(role: engine.RoleConfig, config: engine.OrgConfig) -> RoleAlignment:
    target = engine.target_variable(role, config)
    per_unit = engine.configured_commission_per_unit(role, config)
    full_rate_per_unit = engine.configured_commission_per_unit(replace(role, commission_rate=Decimal(1)), config)
    rate = None
    if target > 0 and role.monthly_quota > 0 and full_rate_per_unit > 0:
        rate = quantize(target / role.monthly_quota / full_rate_per_unit, RATIO)
    return RoleAlignment(
        annual_ote=_positive_below(quantize(engine.recommended_annual_ote(role, config), MONEY), MONEY_LIMIT),
        commission_rate=_positive_below(rate, Decimal("1.0001")),
        monthly_quota=_positive_below(quantize(target / per_unit, UNITS), UNITS_LIMIT)
        if target > 0 and per_unit > 0
        else None,
    )


def _last_change(organization: Organization) -> tuple[str | None, datetime | None]:
    event = (
        AuditEvent.objects.filter(organization=organization, action__in=CONFIGURATION_ACTIONS)
        .select_related("actor")
        .first()
    )
    if event is None:
        return None, None
    return (event.actor.display_name if event.actor else None), event.created_at


def _check_version(
    organization: Organization,
    settings: OrganizationSettings,
    roles: dict[str, SalesRole],
    expected_version: str | None,
) -> None:
    if expected_version is None or expected_version == configuration_version(settings=settings, roles=roles.values()):
        return
    changed_by, changed_at = _last_change(organization)
    raise ConfigurationConflict(settings=settings, roles=roles, changed_by=changed_by, changed_at=changed_at)


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
    expected_version: str | None = None,
) -> list[AuditEvent]:
    unknown = set(settings_values) - SETTINGS_FIELDS
    unknown |= {name for values in role_values.values() for name in values} - ROLE_FIELDS
    if unknown:
        raise ConfigurationError(f"not configuration fields: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        settings, roles = _locked(organization)
        _check_version(organization, settings, roles, expected_version)
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
        events = audit_events_create(organization=organization, actor=actor, action=action, changes=audit)
    if events:
        snapshots_refresh_request(organization=organization, months=None)
    return events


def configuration_update(
    *,
    organization: Organization,
    actor: User | None,
    settings: Mapping[str, Any],
    roles: Mapping[str, Mapping[str, Any]],
    expected_version: str | None = None,
) -> list[AuditEvent]:
    """Save validated settings and role values (keyed by role key); returns one audit event per
    changed value (action `config_update`). Ramps are sequences of Decimal, accelerators of
    `engine.AcceleratorTier`. Raises ConfigurationConflict when `expected_version` is given and stale."""
    return _write(
        organization=organization,
        actor=actor,
        action=ACTION_CONFIG_UPDATE,
        settings_values=settings,
        role_values=roles,
        expected_version=expected_version,
    )


UNALIGNABLE = {
    "annual_ote": "The deal economics pay nothing yet: set the deal value, the commission rate and the quota first.",
    "commission_rate": (
        "No commission rate of at most 100% pays this OTE at quota: set the deal value and the quota, "
        "or lower the OTE."
    ),
    "monthly_quota": "No quota pays this OTE: set the deal value and the commission rate first.",
}


def role_align(
    *,
    organization: Organization,
    actor: User | None,
    role_key: str,
    field: str,
    expected_version: str | None = None,
) -> tuple[SalesRole, Decimal, Decimal]:
    """Set one of the role's OTE, commission rate or monthly quota to the value that makes its pay at quota equal
    its OTE (`role_alignment`), computed here from the saved configuration: the client never supplies the amount.
    Returns the role with the old and new values; audited as `config_update`."""
    if field not in ALIGNABLE_FIELDS:
        raise ConfigurationError(f"{field!r} cannot be aligned; choose one of {', '.join(ALIGNABLE_FIELDS)}")
    with transaction.atomic():
        settings, roles = _locked(organization)
        if role_key not in roles:
            raise UnknownRole(f"unknown role {role_key!r}")
        _check_version(organization, settings, roles, expected_version)
        config = config_from_models(settings=settings, roles=list(roles.values()))
        new = role_alignment(config.role(role_key), config).value(field)
        if new is None:
            raise ConfigurationError(UNALIGNABLE[field])
        role = roles[role_key]
        old = getattr(role, field)
        configuration_update(organization=organization, actor=actor, settings={}, roles={role_key: {field: new}})
        setattr(role, field, new)
        return role, old, new


def role_create(*, organization: Organization, actor: User | None, key: str, name: str, kind: str) -> SalesRole:
    """A new role with zero OTE, quota and rate, placed after the others; audited as `config_update`."""
    with transaction.atomic():
        _settings, roles = _locked(organization)
        if key in roles:
            raise ConfigurationError(f"A role with the key {key!r} already exists.")
        position = max((role.position for role in roles.values()), default=-1) + 1
        role = SalesRole.objects.create(organization=organization, key=key, name=name, kind=kind, position=position)
        audit_changes(
            organization=organization,
            actor=actor,
            action=ACTION_CONFIG_UPDATE,
            subject=name,
            changes=[("key", "", key), ("kind", "", kind)],
        )
    snapshots_refresh_request(organization=organization, months=None)
    return role


def configuration_import_preview(*, organization: Organization, data: bytes | str) -> ConfigPreview:
    """What importing the file would change (files.configuration.config_import_preview); writes nothing."""
    return config_import_preview(organization=organization, data=data)


def configuration_import(
    *,
    organization: Organization,
    actor: User | None,
    data: bytes | str,
    expected_version: str | None = None,
    expected_preview: str | None = None,
) -> ImportResult:
    """Import a configuration file (files.configuration validates it whole and audits it); raises
    ConfigImportError and changes nothing when the file is refused. From a preview, `expected_version` is the
    configuration version it showed and `expected_preview` its fingerprint: ConfigurationConflict when the
    configuration moved on since, ImportPreviewChanged when the file would now change something else (a rep
    added or edited meanwhile); nothing is written either way."""
    with transaction.atomic():
        if expected_version is not None or expected_preview is not None:
            settings, roles = _locked(organization)
            _check_version(organization, settings, roles, expected_version)
            if expected_preview is not None:
                preview = config_import_preview(organization=organization, data=data)
                if preview.fingerprint() != expected_preview:
                    raise ImportPreviewChanged(preview)
        result = config_import(organization=organization, data=data, actor=actor)
    snapshots_refresh_request(organization=organization, months=None)
    return result


def role_delete(
    *, organization: Organization, actor: User | None, role_key: str, expected_version: str | None = None
) -> SalesRole:
    """Delete a role no rep (active or ended) belongs to (SPEC section 14); audited as `role_delete`. Raises
    RoleInUse naming its reps, UnknownRole, ConfigurationError for the last role, ConfigurationConflict when
    `expected_version` is stale. Closed months keep the role in their frozen configuration."""
    with transaction.atomic():
        settings, roles = _locked(organization)
        _check_version(organization, settings, roles, expected_version)
        role = roles.get(role_key)
        if role is None:
            raise UnknownRole(f"unknown role {role_key!r}")
        reps = role_reps(organization=organization, role=role)
        if reps:
            raise RoleInUse(role, reps)
        if len(roles) == 1:
            raise ConfigurationError(f"{role.name} is the only role; an organization needs at least one.")
        role.delete()
        AuditEvent.objects.create(
            organization=organization,
            actor=actor,
            action=ACTION_ROLE_DELETE,
            subject=role.name[:200],
            field="role",
            old_value=f"{role.key} ({role.get_kind_display().lower()})",
            new_value="",
        )
    snapshots_refresh_request(organization=organization, months=None)
    return role


# --- a rep's own plan (SPEC section 14) ------------------------------------------------------------------


def rep_plan_version(rep: Rep) -> str:
    """A fingerprint of the rep's plan as stored (its role and own figures): an edit names the one it showed."""
    values = [str(rep.role_id), *(decimal_text(getattr(rep, name)) for name in Rep.PLAN_FIELDS)]
    return hashlib.sha256(json.dumps(values).encode()).hexdigest()[:20]


def _rep_plan_last_change(organization: Organization, rep: Rep) -> tuple[str | None, datetime | None]:
    event = (
        AuditEvent.objects.filter(organization=organization, action=ACTION_REP_PLAN, subject=rep.name[:200])
        .select_related("actor")
        .first()
    )
    if event is None:
        return None, None
    return (event.actor.display_name if event.actor else None), event.created_at


def rep_plan_update(
    *,
    organization: Organization,
    actor: User | None,
    rep_id: int,
    values: Mapping[str, Decimal | None],
    expected_version: str | None = None,
) -> tuple[Rep, list[AuditEvent]]:
    """Set a rep's own plan figures (None: the role's) from validated values; returns the rep and one audit event
    per changed figure (action `rep_plan_update`, subject the rep's name). Raises UnknownRep, and RepPlanConflict
    when `expected_version` (rep_plan_version of what the page showed) is stale. The open months' snapshots follow;
    closed months keep the plan they were frozen with."""
    unknown = set(values) - set(Rep.PLAN_FIELDS)
    if unknown:
        raise ConfigurationError(f"not plan figures: {', '.join(sorted(unknown))}")
    with transaction.atomic():
        reps = Rep.objects.select_for_update(of=("self",)).select_related("role")
        rep = reps.filter(organization=organization, pk=rep_id).first()
        if rep is None:
            raise UnknownRep(f"unknown rep {rep_id}")
        if expected_version is not None and expected_version != rep_plan_version(rep):
            changed_by, changed_at = _rep_plan_last_change(organization, rep)
            raise RepPlanConflict(rep, changed_by=changed_by, changed_at=changed_at)
        audit: list[tuple[str, str, str, str]] = []
        changed = [
            name for name in Rep.PLAN_FIELDS if name in values and not _same_plan(getattr(rep, name), values[name])
        ]
        for name in changed:
            audit.append((rep.name, name, _text(getattr(rep, name)), _text(values[name])))
            setattr(rep, name, values[name])
        if changed:
            rep.save(update_fields=changed)
        events = audit_events_create(organization=organization, actor=actor, action=ACTION_REP_PLAN, changes=audit)
    if events:
        snapshots_refresh_request(organization=organization, months=None)
    return rep, events


def _same_plan(old: Decimal | None, new: Decimal | None) -> bool:
    if old is None or new is None:
        return old is None and new is None
    return old == new


SCENARIO_SETTINGS = ("deal_value", "meeting_to_deal_rate", "monthly_operating_expenses")
SCENARIO_ROLE_FIELDS = ("annual_ote", "monthly_quota", "commission_rate")


def scenario_apply(
    *,
    organization: Organization,
    actor: User | None,
    settings: Mapping[str, Decimal],
    roles: Mapping[str, Mapping[str, Decimal]],
    expected_version: str | None = None,
) -> list[AuditEvent]:
    """Write the values a What-If scenario changed, and only those, into today's configuration: deal value,
    meeting-to-deal rate, operating expenses, and each role's OTE, quota and rate. Every other value stays as it
    is now, even when the scenario was built on a closed month's frozen configuration. Headcount and
    productivity describe the team, not the configuration, so they are not applied. Audited as `whatif_apply`;
    raises ConfigurationConflict when `expected_version` is given and stale."""
    unknown = set(settings) - set(SCENARIO_SETTINGS)
    unknown |= {name for values in roles.values() for name in values} - set(SCENARIO_ROLE_FIELDS)
    if unknown:
        raise ConfigurationError(f"a scenario does not change {', '.join(sorted(unknown))}")
    return _write(
        organization=organization,
        actor=actor,
        action=ACTION_WHATIF_APPLY,
        settings_values=settings,
        role_values={key: values for key, values in roles.items() if values},
        expected_version=expected_version,
    )
