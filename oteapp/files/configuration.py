"""Configuration files (SPEC section 8): export version 2.0; import 2.0 or the old dashboard's 1.1.

An import is validated as a whole against the organization's current state before anything is written, then
applied in one transaction, so a bad file changes nothing. Semantics of an import:

- 2.0: the file is the configuration (SPEC section 14). Settings, roles and reps given in the file are set; a
  field omitted keeps its current value (a new role or rep starts from the model defaults). Roles are matched
  by key and reps by name. When the file has `roles`, the organization's roles are the file's: a role left out
  is deleted when no rep (active or ended) belongs to it once the file is applied, and when one does, the
  whole file is refused naming the role and its reps. Reps left out are kept (their actuals are history).
  A rep's `plan` (its own annual_ote, annual_base, monthly_quota, commission_rate, monthly_draw) is set to
  exactly the keys it gives, the others back to the role's; a rep without `plan` keeps its plan. Role order
  follows the file.
- 1.1: only the six `ote_quotas` values are imported, onto the role of that kind whose key is the kind
  (`closer`, `setter`, `manager`), or else onto the organization's only role of that kind. Other keys of
  the old dashboard are ignored and reported as notices.

Export writes numbers as JSON numbers: every stored value has at most 14 significant digits, and a float
of at most 15 significant digits prints back to the same decimal, so export → import → export is exact.
"""

import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import RestrictedError
from django.db.models.functions import Lower

from accounts.models import Organization, User
from accounts.tenancy import NoOrganizationInContext, current_organization_id
from accounts.text import printable, text_problem
from oteapp import engine
from oteapp.models import CompModel, OrganizationSettings, Rep, RoleKind, SalesRole
from oteapp.selectors import (
    config_from_models,
    organization_rep_plans_get,
    organization_roles,
    organization_settings_get,
)
from oteapp.services.audit import audit_events_create
from oteapp.timezones import is_time_zone

CONFIG_VERSION = "2.0"
LEGACY_VERSION = "1.1"
AUDIT_ACTION = "config_import"


# A file with thousands of problems lists the first ones and counts the rest: the page stays readable and
# the work of reporting stays bounded.
MAX_ERRORS_LISTED = 100


class FileImportError(ValueError):
    """A refused import file. `errors` lists the problems found (at most MAX_ERRORS_LISTED, then a count of
    the rest), each naming its field or line, printable even when they quote NUL or invalid Unicode; the
    message is the first one, so a command line prints a single line."""

    def __init__(self, errors: list[str], *, unlisted: int = 0) -> None:
        self.errors = [printable(error) for error in errors]
        total = len(errors) + unlisted
        if unlisted:
            self.errors.append(f"… and {unlisted:,} more problems not listed")
        more = f" (and {total - 1:,} more problems)" if total > 1 else ""
        super().__init__(self.errors[0] + more)


def import_size_problem(size: int) -> str | None:
    """The per-import byte limit (settings.IMPORT_MAX_BYTES), the same for the page and the command line."""
    limit = django_settings.IMPORT_MAX_BYTES
    if size > limit:
        return f"the file is too large ({size:,} bytes); an import takes at most {limit:,} bytes"
    return None


class ConfigImportError(FileImportError):
    """The configuration file is refused as a whole."""


@dataclass
class ImportResult:
    """What an import changed, for the page or the command to report."""

    settings_updated: int = 0
    roles_created: int = 0
    roles_updated: int = 0
    roles_deleted: int = 0
    reps_created: int = 0
    reps_updated: int = 0
    actuals_created: int = 0
    actuals_updated: int = 0
    months: list[date] = field(default_factory=list)  # the months an actuals file covers, for snapshots
    notices: list[str] = field(default_factory=list)

    def summary(self) -> str:
        counts = [
            (self.settings_updated, "setting", "updated"),
            (self.roles_created, "role", "created"),
            (self.roles_updated, "role", "updated"),
            (self.roles_deleted, "role", "deleted"),
            (self.reps_created, "rep", "created"),
            (self.reps_updated, "rep", "updated"),
            (self.actuals_created, "actuals row", "created"),
            (self.actuals_updated, "actuals row", "updated"),
        ]
        parts = [f"{n} {noun}{'' if n == 1 else 's'} {verb}" for n, noun, verb in counts if n]
        return ", ".join(parts) if parts else "nothing changed"


def require_organization_context(organization: Organization) -> None:
    """Bulk writes bypass the tenant save() guard, so check that the caller is in this organization."""
    if current_organization_id() != organization.pk:
        raise NoOrganizationInContext(f"Importing into organization {organization.pk} from another's context.")


def decimal_text(value: object) -> str:
    """A stored number as plain text without trailing zeros ("0.1000" → "0.1"), for files and the audit."""
    if value is None:
        return ""
    number = Decimal(str(value)).normalize()
    return format(number.copy_abs() if number == 0 else number, "f")


# --- export ---------------------------------------------------------------------------------------


def _json_number(value: object) -> int | float:
    number = Decimal(decimal_text(value))
    return int(number) if number == number.to_integral_value() else float(number)


def _role_export(role: SalesRole) -> dict[str, Any]:
    return {
        "name": role.name,
        "kind": role.kind,
        "annual_ote": _json_number(role.annual_ote),
        "annual_base": _json_number(role.annual_base),
        "monthly_quota": _json_number(role.monthly_quota),
        "commission_rate": _json_number(role.commission_rate),
        "monthly_draw": _json_number(role.monthly_draw),
        "draw_recoverable": role.draw_recoverable,
        "ramp": [_json_number(step) for step in role.ramp or ()],
        "accelerators": [
            {"from": _json_number(tier["from"]), "multiplier": _json_number(tier["multiplier"])}
            for tier in role.accelerators or ()
        ],
    }


def config_export(*, organization: Organization) -> dict[str, Any]:
    """The organization's configuration as a version 2.0 document (three queries)."""
    settings = organization_settings_get(organization=organization)
    reps = Rep.objects.filter(organization=organization).select_related("role").order_by("name")
    return {
        "version": CONFIG_VERSION,
        "organization": {
            "currency": settings.currency,
            "timezone": settings.timezone,
            "deal_value": _json_number(settings.deal_value),
            "meeting_to_deal_rate": _json_number(settings.meeting_to_deal_rate),
            "comp_model": settings.comp_model,
            "monthly_operating_expenses": _json_number(settings.monthly_operating_expenses),
            "on_target_threshold": _json_number(settings.on_target_threshold),
            "at_risk_threshold": _json_number(settings.at_risk_threshold),
            "misalignment_tolerance": _json_number(settings.misalignment_tolerance),
            "fiscal_year_start": settings.fiscal_year_start,
            "leaderboard_visible_to_reps": settings.leaderboard_visible_to_reps,
        },
        "roles": {role.key: _role_export(role) for role in organization_roles(organization=organization)},
        "reps": [
            {
                "name": rep.name,
                "email": rep.email,
                "role": rep.role.key,
                "start_date": rep.start_date.isoformat() if rep.start_date else None,
                "end_date": rep.end_date.isoformat() if rep.end_date else None,
                "plan": {
                    name: _json_number(getattr(rep, name)) for name in Rep.PLAN_FIELDS if getattr(rep, name) is not None
                },
            }
            for rep in reps
        ],
    }


def config_export_json(*, organization: Organization) -> str:
    """The export as the text of the file; the key order is fixed, so equal configurations give equal bytes."""
    return json.dumps(config_export(organization=organization), indent=2, ensure_ascii=False) + "\n"


# --- validation helpers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Number:
    """A stored decimal: its column's places and digits, and the allowed range."""

    places: int
    max_digits: int
    maximum: Decimal | None = None
    positive: bool = False

    def describe(self) -> str:
        if self.maximum is not None:
            return f"a number between 0 and {self.maximum}"
        return "a number > 0" if self.positive else "a number ≥ 0"


MONEY = _Number(places=2, max_digits=14)
UNITS = _Number(places=2, max_digits=12)
FRACTION = _Number(places=4, max_digits=9, maximum=Decimal(1))
POSITIVE_RATIO = _Number(places=4, max_digits=9, positive=True)
POSITIVE_UNITS = _Number(places=2, max_digits=12, positive=True)
RATIO = _Number(places=4, max_digits=9)
MAX_RAMP_MONTHS = 36
MAX_TIERS = 20

SETTING_NUMBERS = {
    "deal_value": MONEY,
    "meeting_to_deal_rate": FRACTION,
    "monthly_operating_expenses": MONEY,
    "on_target_threshold": POSITIVE_RATIO,
    "at_risk_threshold": RATIO,
    "misalignment_tolerance": FRACTION,
}
SETTING_FIELDS = (
    "currency", "timezone", "comp_model", *SETTING_NUMBERS, "fiscal_year_start", "leaderboard_visible_to_reps",
)
ROLE_NUMBERS = {
    "annual_ote": MONEY,
    "annual_base": MONEY,
    "monthly_quota": UNITS,
    "commission_rate": FRACTION,
    "monthly_draw": MONEY,
}
ROLE_FIELDS = ("name", "kind", *ROLE_NUMBERS, "draw_recoverable", "ramp", "accelerators")
REP_FIELDS = ("name", "email", "role", "start_date", "end_date", "plan")
# A rep's own plan: blank (absent or null) is the role's figure. A quota of 0 would leave the rep no attainment.
REP_PLAN_NUMBERS = {
    "annual_ote": MONEY,
    "annual_base": MONEY,
    "monthly_quota": POSITIVE_UNITS,
    "commission_rate": FRACTION,
    "monthly_draw": MONEY,
}
# At most this many of a role's reps are named when a file leaves out a role they belong to.
REPS_NAMED = 10
LEGACY_FIELDS = {
    "closer_ote": (RoleKind.CLOSER, "annual_ote", MONEY),
    "closer_quota_deals": (RoleKind.CLOSER, "monthly_quota", UNITS),
    "setter_ote": (RoleKind.SETTER, "annual_ote", MONEY),
    "setter_quota_meetings": (RoleKind.SETTER, "monthly_quota", UNITS),
    "manager_ote": (RoleKind.MANAGER, "annual_ote", MONEY),
    "manager_quota_team_deals": (RoleKind.MANAGER, "monthly_quota", UNITS),
}
ROLE_KEY = re.compile(r"^[A-Za-z0-9_-]{1,50}$")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


def shown(value: object) -> str:
    """A value as the file wrote it, quoted when it is text, always on one line."""
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "a list"
    text = str(value) if isinstance(value, Decimal) else json.dumps(value, ensure_ascii=False)
    return printable(text if len(text) <= 60 else text[:57] + "...")


def number_parse(value: object, spec: _Number) -> tuple[Decimal | None, str | None]:
    """`(number, None)` or `(None, problem)` for a JSON number, a decimal string or a CSV cell."""
    if isinstance(value, bool) or not isinstance(value, int | Decimal | str):
        number = None
    else:
        try:
            number = Decimal(value.strip()) if isinstance(value, str) else Decimal(value)
        except InvalidOperation:
            number = None
    in_range = (
        number is not None
        and number.is_finite()
        and (number > 0 if spec.positive else number >= 0)
        and (spec.maximum is None or number <= spec.maximum)
    )
    if not in_range:
        return None, f"must be {spec.describe()}, got {shown(value)}"
    # Bounds first: printing 1e999999999 as plain digits would take a gigabyte.
    limit = Decimal(10) ** (spec.max_digits - spec.places)
    if number >= limit:
        return None, f"must be less than {limit:,}, got {shown(value)}"
    if -number.normalize().as_tuple().exponent > spec.places:
        return None, f"use at most {spec.places} decimal places, got {shown(value)}"
    return Decimal(decimal_text(number)), None


def date_parse(value: object) -> tuple[date | None, str | None]:
    """`(date or None for blank, None)` or `(None, problem)` for `YYYY-MM-DD`."""
    if value is None or value == "":
        return None, None
    if isinstance(value, str) and ISO_DATE.match(value.strip()):
        try:
            return date.fromisoformat(value.strip()), None
        except ValueError:
            pass
    return None, f"{shown(value)} is not a date; use YYYY-MM-DD"


class _Problems:
    def __init__(self) -> None:
        self.errors: list[str] = []
        self.unlisted = 0

    def add(self, path: str, problem: str) -> None:
        if len(self.errors) < MAX_ERRORS_LISTED:
            self.errors.append(f"{path}: {problem}")
        else:
            self.unlisted += 1

    def raise_any(self) -> None:
        if self.errors:
            raise ConfigImportError(self.errors, unlisted=self.unlisted)

    def number(self, path: str, value: object, spec: _Number) -> Decimal | None:
        number, problem = number_parse(value, spec)
        if problem:
            self.add(path, problem)
        return number

    def obj(self, path: str, value: object, allowed: Iterable[str]) -> dict[str, Any] | None:
        """The object at `path`, or None after a problem; unknown keys are refused (they are usually typos)."""
        if not isinstance(value, dict):
            self.add(path, f"must be an object, got {shown(value)}")
            return None
        allowed = tuple(allowed)
        for key in value:
            if key not in allowed:
                self.add(f"{path}.{key}", f"unknown field; expected one of {', '.join(allowed)}")
        return value

    def text(self, path: str, value: object, *, max_length: int, blank: bool = False) -> str | None:
        if value is None and blank:
            return ""
        if not isinstance(value, str) or (not value.strip() and not blank) or len(value.strip()) > max_length:
            need = "text" if blank else "non-empty text"
            self.add(path, f"must be {need} of at most {max_length} characters, got {shown(value)}")
            return None
        problem = text_problem(value)
        if problem:
            self.add(path, f"{problem}, got {shown(value)}")
            return None
        return value.strip()


def _decode_json(data: bytes | str) -> Any:
    problem = import_size_problem(len(data))
    if problem:
        raise ConfigImportError([problem])
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise ConfigImportError(["not a JSON file: it is not UTF-8 text"]) from None
    # No object of a configuration has more keys than the roles object: a larger one is refused as soon as it
    # is read, before anything looks at its keys.
    max_keys = django_settings.IMPORT_MAX_ROLES + 32

    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        if len(pairs) > max_keys:
            raise ConfigImportError(
                [f"not a configuration file: an object has {len(pairs):,} fields; at most {max_keys:,}"]
            )
        document = dict(pairs)
        if len(document) < len(pairs):  # a set's lookups, not a count per key: linear in the file's size
            seen: set[str] = set()
            for key, _ in pairs:
                if key in seen:
                    raise ConfigImportError([f"not a valid configuration: the key {shown(key)} appears twice"])
                seen.add(key)
        return document

    try:
        # Decimals keep 0.1 exact and have no digit limit; NaN and Infinity parse, then fail the range
        # check with their field named.
        return json.loads(
            data.lstrip("\ufeff"),
            parse_float=Decimal,
            parse_int=Decimal,
            parse_constant=Decimal,
            object_pairs_hook=no_duplicates,
        )
    except json.JSONDecodeError as exc:
        raise ConfigImportError([f"not a JSON file: {exc.msg} at line {exc.lineno}, column {exc.colno}"]) from None
    except RecursionError:  # "[[[[…" thousands deep: the decoder gives up before any of our checks run
        raise ConfigImportError(["not a configuration file: it is nested too deeply"]) from None


# --- import plan ----------------------------------------------------------------------------------


@dataclass
class _RolePlan:
    key: str
    role: SalesRole | None  # None: to be created
    values: dict[str, Any] = field(default_factory=dict)
    paths: dict[str, str] = field(default_factory=dict)  # field → where the file set it, for errors


@dataclass
class _RepPlan:
    name: str
    rep: Rep | None  # None: to be created
    values: dict[str, Any] = field(default_factory=dict)
    path: str = ""  # where the file lists the rep, for errors


@dataclass
class _Plan:
    settings: OrganizationSettings
    roles: dict[str, SalesRole]  # the organization's current roles by key
    setting_values: dict[str, Any] = field(default_factory=dict)
    role_plans: list[_RolePlan] = field(default_factory=list)
    rep_plans: list[_RepPlan] = field(default_factory=list)
    role_order: list[str] | None = None  # a 2.0 file's roles, in display order
    roles_to_delete: list[SalesRole] = field(default_factory=list)  # roles a 2.0 file leaves out
    notices: list[str] = field(default_factory=list)


def _settings_plan(plan: _Plan, raw: object, problems: _Problems) -> None:
    section = problems.obj("organization", raw, SETTING_FIELDS)
    if section is None:
        return
    values = plan.setting_values
    if "currency" in section:
        value = section["currency"]
        if isinstance(value, str) and CURRENCY.match(value):
            values["currency"] = value
        else:
            problems.add("organization.currency", f"must be a three-letter code like USD, got {shown(value)}")
    if "timezone" in section:
        value = section["timezone"]
        if is_time_zone(value):
            values["timezone"] = value
        else:
            problems.add("organization.timezone", f"must be a time zone like Europe/Paris, got {shown(value)}")
    if "comp_model" in section:
        value = section["comp_model"]
        if value in CompModel.values:
            values["comp_model"] = value
        else:
            problems.add("organization.comp_model", f"must be one of {', '.join(CompModel.values)}, got {shown(value)}")
    for name, spec in SETTING_NUMBERS.items():
        if name in section:
            number = problems.number(f"organization.{name}", section[name], spec)
            if number is not None:
                values[name] = number
    if "fiscal_year_start" in section:
        value = section["fiscal_year_start"]
        if not isinstance(value, bool) and isinstance(value, Decimal | int) and value in range(1, 13):
            values["fiscal_year_start"] = int(value)
        else:
            problems.add(
                "organization.fiscal_year_start",
                f"must be the month the fiscal year starts in, 1 (January) to 12, got {shown(value)}",
            )
    if "leaderboard_visible_to_reps" in section:
        value = section["leaderboard_visible_to_reps"]
        if isinstance(value, bool):
            values["leaderboard_visible_to_reps"] = value
        else:
            problems.add("organization.leaderboard_visible_to_reps", f"must be true or false, got {shown(value)}")
    on_target = values.get("on_target_threshold", plan.settings.on_target_threshold)
    at_risk = values.get("at_risk_threshold", plan.settings.at_risk_threshold)
    if at_risk > on_target:
        problems.add(
            "organization.at_risk_threshold",
            f"must not exceed on_target_threshold ({decimal_text(on_target)}), got {decimal_text(at_risk)}",
        )


def _ramp_parse(path: str, raw: object, problems: _Problems) -> list[str] | None:
    if not isinstance(raw, list) or len(raw) > MAX_RAMP_MONTHS:
        problems.add(path, f"must be a list of at most {MAX_RAMP_MONTHS} fractions, got {shown(raw)}")
        return None
    steps = [problems.number(f"{path}[{index}]", step, FRACTION) for index, step in enumerate(raw)]
    for index, step in enumerate(steps):
        if step == 0:
            problems.add(f"{path}[{index}]", "must be more than 0 (a ramp month with no quota has no attainment)")
    return None if None in steps else [decimal_text(step) for step in steps]


def _accelerators_parse(path: str, raw: object, problems: _Problems) -> list[dict[str, str]] | None:
    if not isinstance(raw, list) or len(raw) > MAX_TIERS:
        problems.add(path, f"must be a list of at most {MAX_TIERS} {{from, multiplier}} tiers, got {shown(raw)}")
        return None
    tiers: list[dict[str, str]] = []
    previous: Decimal | None = None
    for index, raw_tier in enumerate(raw):
        tier_path = f"{path}[{index}]"
        tier = problems.obj(tier_path, raw_tier, ("from", "multiplier"))
        if tier is None:
            continue
        if "from" not in tier or "multiplier" not in tier:
            problems.add(tier_path, "needs both from and multiplier")
            continue
        start = problems.number(f"{tier_path}.from", tier["from"], RATIO)
        multiplier = problems.number(f"{tier_path}.multiplier", tier["multiplier"], RATIO)
        if start is None or multiplier is None:
            continue
        if previous is not None and start <= previous:
            problems.add(f"{tier_path}.from", f"tiers must be in increasing order of from, got {decimal_text(start)}")
        previous = start
        tiers.append({"from": decimal_text(start), "multiplier": decimal_text(multiplier)})
    return tiers if len(tiers) == len(raw) else None


def _role_plan(plan: _Plan, key: str, raw: object, existing: SalesRole | None, problems: _Problems) -> None:
    path = f"roles.{key}"
    if not ROLE_KEY.match(key):
        problems.add(path, "a role key uses only letters, digits, - and _ (at most 50)")
        return
    section = problems.obj(path, raw, ROLE_FIELDS)
    if section is None:
        return
    role_plan = _RolePlan(key=key, role=existing)
    values = role_plan.values
    if "name" in section:
        values["name"] = problems.text(f"{path}.name", section["name"], max_length=100)
    if "kind" in section:
        if section["kind"] in RoleKind.values:
            values["kind"] = section["kind"]
        else:
            problems.add(f"{path}.kind", f"must be one of {', '.join(RoleKind.values)}, got {shown(section['kind'])}")
    elif existing is None:
        problems.add(f"{path}.kind", f"a new role needs a kind: one of {', '.join(RoleKind.values)}")
    for name, spec in ROLE_NUMBERS.items():
        if name in section:
            values[name] = problems.number(f"{path}.{name}", section[name], spec)
    if "draw_recoverable" in section:
        if isinstance(section["draw_recoverable"], bool):
            values["draw_recoverable"] = section["draw_recoverable"]
        else:
            problems.add(f"{path}.draw_recoverable", f"must be true or false, got {shown(section['draw_recoverable'])}")
    if "ramp" in section:
        values["ramp"] = _ramp_parse(f"{path}.ramp", section["ramp"], problems)
    if "accelerators" in section:
        values["accelerators"] = _accelerators_parse(f"{path}.accelerators", section["accelerators"], problems)
    role_plan.paths = {name: f"{path}.{name}" for name in values}
    plan.role_plans.append(role_plan)


def _rep_plan(
    plan: _Plan,
    index: int,
    raw: object,
    reps: dict[str, Rep],
    other_case: dict[str, str],
    role_keys: set[str],
    seen: dict[str, tuple[int, str]],
    problems: _Problems,
) -> None:
    """`other_case`: the existing reps the file names in other letter case, by name in lower case; rep names are
    unique whatever their case (services.actuals.rep_create), so "ana" beside "Ana" is refused, not created."""
    path = f"reps[{index}]"
    section = problems.obj(path, raw, REP_FIELDS)
    if section is None:
        return
    name = problems.text(f"{path}.name", section.get("name"), max_length=200)
    if name is None:
        return
    if name.lower() in seen:
        first_index, first = seen[name.lower()]
        spelled = "" if first == name else f" as {shown(first)}"
        problems.add(f"{path}.name", f"{shown(name)} is already listed at reps[{first_index}]{spelled}")
        return
    seen[name.lower()] = (index, name)
    if name not in reps and (known := other_case.get(name.lower())) is not None:
        problems.add(f"{path}.name", f"{shown(name)} is the rep {shown(known)} in other letter case; write {known}")
        return
    rep_plan = _RepPlan(name=name, rep=reps.get(name), path=path)
    values = rep_plan.values
    if "role" in section:
        if section["role"] in role_keys:
            values["role"] = section["role"]
        else:
            known = ", ".join(sorted(role_keys))
            problems.add(f"{path}.role", f"unknown role {shown(section['role'])}; the roles are {known}")
    elif rep_plan.rep is None:
        problems.add(f"{path}.role", "a new rep needs a role")
    if "email" in section:
        email = problems.text(f"{path}.email", section["email"], max_length=254, blank=True)
        if email:
            try:
                validate_email(email)
            except ValidationError:
                problems.add(f"{path}.email", f"is not an email address, got {shown(email)}")
        values["email"] = email
    for name_of_date in ("start_date", "end_date"):
        if name_of_date in section:
            value, problem = date_parse(section[name_of_date])
            if problem:
                problems.add(f"{path}.{name_of_date}", problem)
            values[name_of_date] = value
    start = values.get("start_date", rep_plan.rep.start_date if rep_plan.rep else None)
    end = values.get("end_date", rep_plan.rep.end_date if rep_plan.rep else None)
    if start and end and end < start:
        problems.add(f"{path}.end_date", f"{end.isoformat()} is before the start date {start.isoformat()}")
    if "plan" in section:
        _rep_own_plan(f"{path}.plan", section["plan"], values, problems)
    plan.rep_plans.append(rep_plan)


def _rep_own_plan(path: str, raw: object, values: dict[str, Any], problems: _Problems) -> None:
    """A rep's `plan`: exactly the figures it gives; every other one goes back to the role's (None)."""
    section = problems.obj(path, raw, REP_PLAN_NUMBERS)
    if section is None:
        return
    for name, spec in REP_PLAN_NUMBERS.items():
        value = section.get(name)
        values[name] = None if value is None else problems.number(f"{path}.{name}", value, spec)


def _roles_to_delete(plan: _Plan, organization: Organization, kept: set[str], problems: _Problems) -> None:
    """The roles the file leaves out, to delete; refused (naming each role and its reps) when a rep, active or
    ended, would still belong to one once the file's reps are placed. One query."""
    left_out = {key: role for key, role in plan.roles.items() if key not in kept}
    if not left_out:
        return
    moved = {rep_plan.name for rep_plan in plan.rep_plans if rep_plan.values.get("role") in kept}
    staffed: dict[str, list[str]] = {}
    reps = Rep.objects.filter(organization=organization, role__in=left_out.values()).order_by("name")
    for name, key in reps.values_list("name", "role__key"):
        if name not in moved:
            staffed.setdefault(key, []).append(name)
    for key, role in left_out.items():
        names = staffed.get(key)
        if not names:
            plan.roles_to_delete.append(role)
            continue
        listed = ", ".join(names[:REPS_NAMED])
        if len(names) > REPS_NAMED:
            listed += f" and {len(names) - REPS_NAMED:,} more"
        problems.add(
            "roles",
            f"the file leaves out the role {key} ({role.name}), which {len(names):,} rep"
            f"{'' if len(names) == 1 else 's'} still belong{'s' if len(names) == 1 else ''} to: {listed}; "
            "keep the role in the file or move its reps to another role",
        )


def _check_rep_base_within_ote(plan: _Plan, problems: _Problems) -> None:
    """A rep's own base must not exceed their own OTE, each the rep's figure or else their role's (as the file
    leaves it)."""
    role_values = {role_plan.key: role_plan.values for role_plan in plan.role_plans}
    for rep_plan in plan.rep_plans:
        values = rep_plan.values
        if values.get("annual_ote") is None and values.get("annual_base") is None:
            continue
        key = values.get("role") or (rep_plan.rep.role.key if rep_plan.rep else None)
        role = plan.roles.get(key)
        given = role_values.get(key, {})
        role_ote = given.get("annual_ote", role.annual_ote if role else Decimal(0))
        role_base = given.get("annual_base", role.annual_base if role else Decimal(0))
        ote = values.get("annual_ote") if values.get("annual_ote") is not None else role_ote
        base = values.get("annual_base") if values.get("annual_base") is not None else role_base
        if ote is not None and base is not None and base > ote:
            problems.add(
                f"{rep_plan.path}.plan.annual_base",
                f"the rep's annual base ({decimal_text(base)}) must not exceed their annual OTE ({decimal_text(ote)})",
            )


def _legacy_plan(plan: _Plan, raw: dict[str, Any], problems: _Problems) -> None:
    ignored = [key for key in raw if key not in ("version", "ote_quotas")]
    if ignored:
        plan.notices.append(printable(f"Ignored settings of the old dashboard: {', '.join(ignored)}."))
    section = raw.get("ote_quotas")
    if not isinstance(section, dict):
        problems.add("ote_quotas", f"must be an object with {', '.join(LEGACY_FIELDS)}, got {shown(section)}")
        return
    extra = [key for key in section if key not in LEGACY_FIELDS]
    if extra:
        plan.notices.append(printable(f"Ignored unknown ote_quotas keys: {', '.join(extra)}."))
    role_plans: dict[str, _RolePlan] = {}
    for name, (kind, field_name, spec) in LEGACY_FIELDS.items():
        path = f"ote_quotas.{name}"
        if name not in section:
            problems.add(path, "missing")
            continue
        number = problems.number(path, section[name], spec)
        role = _legacy_role(kind, plan.roles)
        if role is None:
            problems.add(path, f"the organization has no single {kind} role to update (expected key {kind!r})")
        elif number is not None:
            role_plan = role_plans.setdefault(role.key, _RolePlan(key=role.key, role=role))
            role_plan.values[field_name] = number
            role_plan.paths[field_name] = path
    plan.role_plans.extend(role_plans.values())


def _legacy_role(kind: str, roles: dict[str, SalesRole]) -> SalesRole | None:
    """The role named like its kind, else the only role of that kind (1.1 knew exactly three roles)."""
    role = roles.get(kind)
    if role is not None and role.kind == kind:
        return role
    of_kind = [role for role in roles.values() if role.kind == kind]
    return of_kind[0] if len(of_kind) == 1 else None


def _check_base_within_ote(plan: _Plan, problems: _Problems) -> None:
    for role_plan in plan.role_plans:
        if "annual_ote" not in role_plan.paths and "annual_base" not in role_plan.paths:
            continue
        current = role_plan.role
        ote = role_plan.values.get("annual_ote", current.annual_ote if current else Decimal(0))
        base = role_plan.values.get("annual_base", current.annual_base if current else Decimal(0))
        if ote is not None and base is not None and base > ote:
            path = role_plan.paths.get("annual_base") or role_plan.paths["annual_ote"]
            problems.add(path, f"annual_base ({decimal_text(base)}) must not exceed annual_ote ({decimal_text(ote)})")


def _plan(*, organization: Organization, data: bytes | str, lock: bool = True) -> _Plan:
    raw = _decode_json(data)
    if not isinstance(raw, dict):
        raise ConfigImportError([f"not a configuration file: expected a JSON object, got {shown(raw)}"])
    version = raw.get("version")
    if str(version) not in (CONFIG_VERSION, LEGACY_VERSION):
        raise ConfigImportError(
            [f"version: must be {CONFIG_VERSION!r} (or the old dashboard's {LEGACY_VERSION!r}), got {shown(version)}"]
        )
    problems = _Problems()
    plan = _Plan(
        # Locked: concurrent imports into one organization run one after the other, each planning on fresh rows.
        settings=(
            OrganizationSettings.objects.select_for_update() if lock else OrganizationSettings.objects
        ).get(organization=organization),
        roles={role.key: role for role in organization_roles(organization=organization)},
    )
    if str(version) == LEGACY_VERSION:
        _legacy_plan(plan, raw, problems)
    else:
        _current_plan(plan, raw, organization, problems)
    _check_base_within_ote(plan, problems)
    _check_rep_base_within_ote(plan, problems)
    problems.raise_any()
    return plan


def _current_plan(plan: _Plan, raw: dict[str, Any], organization: Organization, problems: _Problems) -> None:
    for key in raw:
        if key not in ("version", "organization", "roles", "reps"):
            problems.add(key, "unknown field; expected version, organization, roles, reps")
    if "organization" in raw:
        _settings_plan(plan, raw["organization"], problems)
    raw_roles = raw.get("roles", {})
    roles_given = "roles" in raw
    if not isinstance(raw_roles, dict):
        problems.add("roles", f"must be an object keyed by role key, got {shown(raw_roles)}")
        raw_roles, roles_given = {}, False
    max_roles, max_reps = django_settings.IMPORT_MAX_ROLES, django_settings.IMPORT_MAX_REPS
    if len(raw_roles) > max_roles:
        problems.add("roles", f"the file has {len(raw_roles):,} roles; an import takes at most {max_roles:,}")
        raw_roles, roles_given = {}, False
    if roles_given and not raw_roles:
        problems.add("roles", "a configuration needs at least one role")
        roles_given = False
    if raw_roles:
        plan.role_order = list(raw_roles)
    for key, raw_role in raw_roles.items():
        _role_plan(plan, key, raw_role, plan.roles.get(key), problems)
    raw_reps = raw.get("reps", [])
    if not isinstance(raw_reps, list):
        problems.add("reps", f"must be a list, got {shown(raw_reps)}")
        return
    if len(raw_reps) > max_reps:
        problems.add("reps", f"the file has {len(raw_reps):,} reps; an import takes at most {max_reps:,}")
        return
    names = [
        rep["name"].strip()
        for rep in raw_reps
        if isinstance(rep, dict) and isinstance(rep.get("name"), str) and text_problem(rep["name"]) is None
    ]
    named = set(names)
    found = list(
        Rep.objects.annotate(name_lower=Lower("name"))
        .filter(organization=organization, name_lower__in={name.lower() for name in named})
        .select_related("role")
    )
    reps = {rep.name: rep for rep in found if rep.name in named}
    other_case = {rep.name.lower(): rep.name for rep in found if rep.name not in named}
    seen: dict[str, tuple[int, str]] = {}
    # A file with roles names every role there will be; reps can only be placed in those.
    role_keys = set(raw_roles) if roles_given else set(plan.roles)
    for index, raw_rep in enumerate(raw_reps):
        _rep_plan(plan, index, raw_rep, reps, other_case, role_keys, seen, problems)
    if roles_given:
        _roles_to_delete(plan, organization, set(raw_roles), problems)


# --- apply ----------------------------------------------------------------------------------------


def _audit_text(value: object) -> str:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, list):
        return json.dumps(value)
    return "" if value is None else str(value)


def _same(old: object, new: object) -> bool:
    if isinstance(old, Decimal) or isinstance(new, Decimal):
        return old is not None and new is not None and Decimal(old) == Decimal(new)
    if isinstance(old, list) and isinstance(new, list):
        return _audit_text(_normalized_json(old)) == _audit_text(_normalized_json(new))
    return old == new


def _normalized_json(value: list) -> list:
    """Ramps and tiers with their numbers as plain text, so "0.50" and 0.5 compare equal."""
    if all(isinstance(item, dict) for item in value):
        return [{key: decimal_text(number) for key, number in item.items()} for item in value]
    return [decimal_text(item) for item in value]


def _changes(instance: object | None, values: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    changes = []
    for name, new in values.items():
        old = getattr(instance, name) if instance is not None else None
        if instance is None or not _same(old, new):
            changes.append((name, old, new))
    return changes


_Recorder = Callable[[str, list[tuple[str, Any, Any]]], None]


def _apply(*, organization: Organization, plan: _Plan, actor: User | None) -> ImportResult:
    result = ImportResult(notices=plan.notices)
    audit: list[tuple[str, str, object, object]] = []

    def record(subject: str, changes: list[tuple[str, Any, Any]]) -> None:
        audit.extend((subject, name, _audit_text(old), _audit_text(new)) for name, old, new in changes)

    setting_changes = _changes(plan.settings, plan.setting_values)
    if setting_changes:
        for name, _, new in setting_changes:
            setattr(plan.settings, name, new)
        plan.settings.save(update_fields=[name for name, _, _ in setting_changes] + ["updated_at"])
        record("organization settings", setting_changes)
        result.settings_updated = len(setting_changes)

    roles = _apply_roles(organization=organization, plan=plan, result=result, record=record)
    _apply_reps(organization=organization, plan=plan, roles=roles, result=result, record=record)
    _delete_roles(organization=organization, plan=plan, result=result, record=record)
    audit_events_create(organization=organization, actor=actor, action=AUDIT_ACTION, changes=audit)
    return result


def _apply_roles(
    *, organization: Organization, plan: _Plan, result: ImportResult, record: _Recorder
) -> dict[str, SalesRole]:
    roles = dict(plan.roles)
    new_roles: list[SalesRole] = []
    changed: dict[str, SalesRole] = {}
    fields: set[str] = set()
    for role_plan in plan.role_plans:
        role = role_plan.role
        changes = _changes(role, role_plan.values)
        if role is None:
            role = SalesRole(organization=organization, key=role_plan.key, name=role_plan.key.replace("_", " ").title())
            new_roles.append(role)
            roles[role.key] = role
        elif changes:
            changed[role.key] = role
            fields.update(name for name, _, _ in changes)
        for name, _, new in changes:
            setattr(role, name, new)
        record(f"role {role_plan.key}", changes)
    result.roles_created, result.roles_updated = len(new_roles), len(changed)
    if plan.role_order is not None:
        # The file's roles first, in its order; roles it leaves out keep their relative order after them.
        in_file = set(plan.role_order)
        order = plan.role_order + [key for key in roles if key not in in_file]
        for position, key in enumerate(order):
            role = roles[key]
            if role.position != position:
                role.position = position
                if role.pk is not None:
                    changed[key] = role
                    fields.add("position")
    SalesRole.objects.bulk_create(new_roles)
    if changed:
        SalesRole.objects.bulk_update(changed.values(), sorted(fields))
    return roles


def _apply_reps(
    *, organization: Organization, plan: _Plan, roles: dict[str, SalesRole], result: ImportResult, record: _Recorder
) -> None:
    new_reps: list[Rep] = []
    changed: list[Rep] = []
    fields: set[str] = set()
    for rep_plan in plan.rep_plans:
        values = {name: roles[value] if name == "role" else value for name, value in rep_plan.values.items()}
        rep = rep_plan.rep
        changes = _changes(rep, values)
        if rep is None:
            rep = Rep(organization=organization, name=rep_plan.name)
            new_reps.append(rep)
        elif changes:
            changed.append(rep)
            fields.update(name for name, _, _ in changes)
        for name, _, new in changes:
            setattr(rep, name, new)
        # The audit names a role by its key, not by the model's str().
        record(f"rep {rep_plan.name}", [(name, getattr(o, "key", o), getattr(n, "key", n)) for name, o, n in changes])
    Rep.objects.bulk_create(new_reps)
    if changed:
        Rep.objects.bulk_update(changed, sorted(fields))
    result.reps_created, result.reps_updated = len(new_reps), len(changed)


def _delete_roles(*, organization: Organization, plan: _Plan, result: ImportResult, record: _Recorder) -> None:
    """The roles the file leaves out, after its reps have moved: no rep belongs to them (checked by _plan; a rep
    added to one meanwhile makes the database refuse, and the whole import with it)."""
    if not plan.roles_to_delete:
        return
    try:
        with transaction.atomic():
            doomed = [role.pk for role in plan.roles_to_delete]
            SalesRole.objects.filter(organization=organization, pk__in=doomed).delete()
    except RestrictedError:
        problem = "roles: a rep was added meanwhile to a role this file leaves out; import the file again"
        raise ConfigImportError([problem]) from None
    for role in plan.roles_to_delete:
        record(f"role {role.key}", [("deleted", role.name, "")])
    result.roles_deleted = len(plan.roles_to_delete)


# --- preview --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConfigChange:
    """One value an import would change, as text (old is "" for something new)."""

    subject: str
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class ConfigPreview:
    """Everything `config_import` would do with the same file, for the page to show before it is applied."""

    settings: list[ConfigChange]
    roles_to_create: list[str]  # role keys
    role_changes: list[ConfigChange]  # new roles' values included
    roles_to_delete: list[tuple[str, str]]  # (key, name)
    reps_to_create: list[str]  # rep names
    rep_changes: list[ConfigChange]  # new reps' values included
    notices: list[str]

    @property
    def changes(self) -> int:
        return len(self.settings) + len(self.role_changes) + len(self.roles_to_delete) + len(self.rep_changes)

    def fingerprint(self) -> str:
        """What the preview promised: applying refuses to make a different change set without a new look."""
        return hashlib.sha256(repr(self).encode()).hexdigest()[:32]


def _preview_changes(subject: str, instance: object | None, values: dict[str, Any]) -> list[ConfigChange]:
    return [
        ConfigChange(subject, name, _audit_text(getattr(old, "key", old)), _audit_text(getattr(new, "key", new)))
        for name, old, new in _changes(instance, values)
    ]


def config_import_preview(*, organization: Organization, data: bytes | str) -> ConfigPreview:
    """Validate the file as `config_import` does and list what it would change, writing nothing; raises
    ConfigImportError like the import."""
    require_organization_context(organization)
    plan = _plan(organization=organization, data=data, lock=False)
    role_changes: list[ConfigChange] = []
    for role_plan in plan.role_plans:
        role_changes += _preview_changes(f"role {role_plan.key}", role_plan.role, role_plan.values)
    rep_changes: list[ConfigChange] = []
    for rep_plan in plan.rep_plans:
        rep = rep_plan.rep
        values = {name: value for name, value in rep_plan.values.items() if rep or value is not None}
        if rep is not None and values.get("role") == rep.role.key:
            del values["role"]  # the file names the role by key, the rep holds the role itself
        rep_changes += _preview_changes(f"rep {rep_plan.name}", rep, values)
    return ConfigPreview(
        settings=_preview_changes("organization", plan.settings, plan.setting_values),
        roles_to_create=[role_plan.key for role_plan in plan.role_plans if role_plan.role is None],
        role_changes=role_changes,
        roles_to_delete=[(role.key, role.name) for role in plan.roles_to_delete],
        reps_to_create=[rep_plan.name for rep_plan in plan.rep_plans if rep_plan.rep is None],
        rep_changes=rep_changes,
        notices=plan.notices,
    )


@transaction.atomic
def config_import(*, organization: Organization, data: bytes | str, actor: User | None = None) -> ImportResult:
    """Validate the whole file, then apply it atomically; raises ConfigImportError and writes nothing when
    anything is invalid. Every changed value is audited (action `config_import`)."""
    require_organization_context(organization)
    plan = _plan(organization=organization, data=data)
    return _apply(organization=organization, plan=plan, actor=actor)


# --- candidate plans (SPEC section 15): a 2.0 document as the engine's configuration, without writing -------------

# The settings a plan is made of; a draft leaves the others (time zone, thresholds, ...) as they are when applied.
PLAN_SETTINGS = ("deal_value", "meeting_to_deal_rate", "comp_model", "monthly_operating_expenses")


def plan_document(*, organization: Organization, config: engine.OrgConfig) -> dict[str, Any]:
    """The engine's configuration `config` as a version 2.0 document holding the plan only: the plan settings, every
    role, and the reps that have their own plan (by name, with just `plan`). Importing it changes the plan and
    nothing else (reps' emails and dates, the time zone, the thresholds stay). One query, for the reps' names."""
    names = dict(Rep.objects.filter(organization=organization, pk__in=list(config.rep_plans)).values_list("pk", "name"))
    return {
        "version": CONFIG_VERSION,
        "organization": {
            "deal_value": _json_number(config.deal_value),
            "meeting_to_deal_rate": _json_number(config.meeting_to_deal_rate),
            "comp_model": config.comp_model,
            "monthly_operating_expenses": _json_number(config.monthly_operating_expenses),
        },
        "roles": {
            role.key: {
                "name": role.name,
                "kind": role.kind,
                "annual_ote": _json_number(role.annual_ote),
                "annual_base": _json_number(role.annual_base),
                "monthly_quota": _json_number(role.monthly_quota),
                "commission_rate": _json_number(role.commission_rate),
                "ramp": [_json_number(step) for step in role.ramp],
                "accelerators": [
                    {"from": _json_number(tier.from_attainment), "multiplier": _json_number(tier.multiplier)}
                    for tier in role.accelerators
                ],
            }
            for role in config.roles
        },
        "reps": [
            {
                "name": names[rep_id],
                "plan": {name: _json_number(getattr(plan, name)) for name in plan.overridden()},
            }
            for rep_id, plan in sorted(config.rep_plans.items(), key=lambda item: names.get(item[0], ""))
            if rep_id in names
        ],
    }


def candidate_config(*, organization: Organization, data: bytes | str | dict[str, Any]) -> engine.OrgConfig:
    """The configuration the organization would have once `data` (a 2.0 or 1.1 document) is imported, as the engine
    takes it, writing nothing: validated as the import validates it, then as a plan the backtest can run (every
    quota above zero, ...). Raises ConfigImportError naming each problem's field."""
    require_organization_context(organization)
    text = json.dumps(data) if isinstance(data, dict) else data
    plan = _plan(organization=organization, data=text, lock=False)
    settings = copy.copy(plan.settings)
    for name, value in plan.setting_values.items():
        setattr(settings, name, value)
    given = {role_plan.key: role_plan for role_plan in plan.role_plans}
    roles = []
    keys = plan.role_order if plan.role_order is not None else list(plan.roles)
    keys += [key for key in given if key not in keys]
    for key in keys:
        role_plan = given.get(key)
        role = copy.copy(plan.roles[key]) if key in plan.roles else SalesRole(organization=organization, key=key)
        for name, value in (role_plan.values if role_plan else {}).items():
            setattr(role, name, value)
        roles.append(role)
    rep_plans = organization_rep_plans_get(organization=organization)
    for rep_plan in plan.rep_plans:
        if rep_plan.rep is None or not any(name in rep_plan.values for name in Rep.PLAN_FIELDS):
            continue
        own = engine.RepPlan(**{name: rep_plan.values.get(name) for name in Rep.PLAN_FIELDS})
        if own.overridden():
            rep_plans[rep_plan.rep.pk] = own
        else:
            rep_plans.pop(rep_plan.rep.pk, None)
    config = config_from_models(settings=settings, roles=roles, rep_plans=rep_plans)
    try:
        engine.validate_plan(config)
    except engine.PlanError as refused:
        raise ConfigImportError([f"{refused.field}: {refused.message}"]) from None
    return config
