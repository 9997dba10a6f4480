"""What-If tab form: a scenario on top of the month's configuration and team.

Every field starts at the month's value (a closed month's frozen configuration, else today's); a blank field
means "no change". The values the scenario changes in the configuration can be applied to today's configuration
(never headcount or productivity): the same form, built on today's configuration and given only those values,
validates them for `scenario_apply`.
"""

import copy
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from oteapp import engine
from oteapp.files.configuration import decimal_text
from oteapp.forms.configuration import NumberField, error_lines, fraction_field, money_field, units_field
from oteapp.number_format import currency_override
from oteapp.templatetags.ote import FORMAT_BY_KIND, money

MAX_HEADCOUNT = 5000  # a scenario's synthetic reps are computed in memory: keep them bounded
HUNDRED = Decimal(100)

PRODUCTIVITY_LABELS = {
    engine.KIND_CLOSER: "Close-rate change (%)",
    engine.KIND_SETTER: "Meetings per setter change (%)",
    engine.KIND_MANAGER: "Team deals change (%)",
}
SETTING_LABELS = {
    "deal_value": "Deal value",
    "meeting_to_deal_rate": "Meeting-to-deal rate",
    "monthly_operating_expenses": "Operating expenses / month",
}
ROLE_LABELS = {"annual_ote": "Annual OTE", "monthly_quota": "Monthly quota", "commission_rate": "Commission rate"}
VALUE_KINDS = {
    "deal_value": "money",
    "meeting_to_deal_rate": "ratio",
    "monthly_operating_expenses": "money",
    "annual_ote": "money",
    "monthly_quota": "units",
    "commission_rate": "ratio",
}


class SharedFields(dict):
    """A form's fields, built once and shared by every form made with them: Django deep-copies a form's
    fields for each new form so that it may change them, and the What-If makes four or more forms on every
    recalculation as someone types. Nothing changes these fields once built (`_shared_fields`)."""

    def __deepcopy__(self, memo: dict) -> dict:
        return dict(self)  # the form's own dict of the same fields


@lru_cache(maxsize=256)
def _shared_fields(
    form_class: type[forms.Form], labels: tuple[tuple[str, str], ...], placeholders: tuple[tuple[str, str], ...]
) -> SharedFields:
    fields = copy.deepcopy(form_class.base_fields)
    for name, label in labels:
        fields[name].label = label
    for name, text in placeholders:
        fields[name].widget.attrs["placeholder"] = text
    return SharedFields(fields)


class BaselineForm(forms.Form):
    """A scenario form: every field starts at today's value (`initial`), and a blank field means "no change",
    so it shows today's value greyed out as its placeholder. `labels` replace fields' labels."""

    def __init__(
        self, data: Any = None, *, initial: dict, prefix: str | None = None, labels: tuple[tuple[str, str], ...] = ()
    ) -> None:
        fields = type(self).base_fields
        placeholders = tuple(
            (name, decimal_text(Decimal(value)))
            for name, value in initial.items()
            if name in fields and value is not None
        )
        # Read by Form.__init__ in place of the class's fields, which it would deep-copy.
        self.base_fields = _shared_fields(type(self), labels, placeholders)
        super().__init__(data, prefix=prefix, initial=initial)


class ScenarioForm(BaselineForm):
    target_revenue = money_field("Revenue target / month", "Goal-seek: the closers needed to reach it", required=False)
    deal_value = money_field(SETTING_LABELS["deal_value"], required=False)
    meeting_to_deal_rate = fraction_field(SETTING_LABELS["meeting_to_deal_rate"], "0.25 = 25%", required=False)
    monthly_operating_expenses = money_field(SETTING_LABELS["monthly_operating_expenses"], required=False)


class RoleScenarioForm(BaselineForm):
    headcount = forms.IntegerField(
        label="Headcount",
        min_value=0,
        max_value=MAX_HEADCOUNT,
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        error_messages={
            "invalid": "Enter a whole number.",
            "min_value": "Must not be negative.",
            "max_value": "At most %(limit_value)s.",
        },
    )
    annual_ote = money_field(ROLE_LABELS["annual_ote"], required=False)
    monthly_quota = units_field(ROLE_LABELS["monthly_quota"], required=False)
    commission_rate = fraction_field(ROLE_LABELS["commission_rate"], required=False)
    productivity_change = NumberField(
        label="Productivity change (%)",
        help_text="+20 = 20% more units per person",
        max_digits=7,
        decimal_places=2,
        min_value=Decimal(-100),
        max_value=Decimal(1000),
        required=False,
    )

    def __init__(self, data: Any = None, *, role: engine.RoleConfig, headcount: int) -> None:
        initial = {
            "headcount": headcount,
            "annual_ote": role.annual_ote,
            "monthly_quota": role.monthly_quota,
            "commission_rate": role.commission_rate,
            "productivity_change": Decimal(0),
        }
        unit = engine.UNIT_NOUNS.get(role.kind, "units")
        labels = (
            ("monthly_quota", f"Monthly quota ({unit})"),
            ("productivity_change", PRODUCTIVITY_LABELS.get(role.kind, "Productivity change (%)")),
        )
        super().__init__(data, prefix=f"role-{role.key}", initial=initial, labels=labels)
        self.role = role
        self.unit = unit

    def clean_annual_ote(self) -> Decimal | None:
        ote = self.cleaned_data["annual_ote"]
        # The configuration keeps base ≤ OTE; a scenario that could be applied must too.
        if ote is not None and ote < self.role.annual_base:
            raise ValidationError(f"Must be at least the annual base ({money(self.role.annual_base)}).")
        return ote

    def override(self) -> engine.RoleOverride:
        data = self.cleaned_data
        change = data["productivity_change"]
        return engine.RoleOverride(
            headcount=data["headcount"],
            annual_ote=data["annual_ote"],
            monthly_quota=data["monthly_quota"],
            commission_rate=data["commission_rate"],
            # A percentage typed by a person, as the engine's multiplier: +20% → 1.2.
            productivity=None if not change else 1 + change / HUNDRED,
        )


@dataclass(frozen=True)
class ConfigChange:
    """One value a scenario would change in today's configuration: `old` is today's value."""

    subject: str
    role_key: str | None  # None for an organization setting
    field: str
    label: str
    old: Decimal
    new: Decimal
    kind: str  # money | ratio | units, for display
    currency: str

    def _text(self, value: Decimal) -> str:
        with currency_override(self.currency):
            return FORMAT_BY_KIND[self.kind](value)

    @property
    def old_text(self) -> str:
        return self._text(self.old)

    @property
    def new_text(self) -> str:
        return self._text(self.new)

    @property
    def input_name(self) -> str:
        return self.field if self.role_key is None else f"role-{self.role_key}-{self.field}"


class ScenarioForms:
    """The organization-level scenario form and one form per role, on `config` (the month's, for a scenario; today's,
    to apply one). `baseline` gives the roles' headcounts; without it they start at 0."""

    def __init__(self, *, config: engine.OrgConfig, baseline: engine.Report | None = None, data: Any = None) -> None:
        self.config = config
        self.general = ScenarioForm(
            data,
            initial={
                "deal_value": config.deal_value,
                "meeting_to_deal_rate": config.meeting_to_deal_rate,
                "monthly_operating_expenses": config.monthly_operating_expenses,
            },
        )
        headcounts = {role.key: role.headcount for role in baseline.roles} if baseline else {}
        self.roles = [RoleScenarioForm(data, role=role, headcount=headcounts.get(role.key, 0)) for role in config.roles]

    @property
    def all_forms(self) -> list[forms.Form]:
        return [self.general, *self.roles]

    @property
    def is_bound(self) -> bool:
        return self.general.is_bound

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.all_forms])  # a list: every form reports its errors

    def error_lines(self) -> list[str]:
        """Every error with its role and field, for the results next to the inputs."""
        if not self.is_bound:
            return []
        lines = error_lines(self.general)
        for form in self.roles:
            lines.extend(f"{form.role.name} · {line}" for line in error_lines(form))
        return lines

    def scenario(self) -> engine.Scenario:
        data = self.general.cleaned_data
        return engine.Scenario(
            deal_value=data["deal_value"],
            meeting_to_deal_rate=data["meeting_to_deal_rate"],
            monthly_operating_expenses=data["monthly_operating_expenses"],
            roles={form.role.key: form.override() for form in self.roles},
        )

    def target_revenue(self) -> Decimal | None:
        return self.general.cleaned_data["target_revenue"]

    def config_changes(self, current: engine.OrgConfig) -> list[ConfigChange]:
        """What applying the scenario would change in `current` (today's configuration): the configuration values
        this scenario changed (a value typed that differs from the one the form started from), where they also
        differ from today's. A value nobody typed is never applied, whatever the month's configuration held."""
        changes = []
        data = self.general.cleaned_data
        for name, label in SETTING_LABELS.items():
            new, start, now = data[name], getattr(self.config, name), getattr(current, name)
            if new is not None and new != start and new != now:
                changes.append(
                    ConfigChange("Organization", None, name, label, now, new, VALUE_KINDS[name], current.currency)
                )
        today = {role.key: role for role in current.roles}
        for form in self.roles:
            role = today.get(form.role.key)
            for name, label in ROLE_LABELS.items():
                new, start = form.cleaned_data[name], getattr(form.role, name)
                if role is None or new is None or new == start or new == getattr(role, name):
                    continue
                changes.append(
                    ConfigChange(
                        role.name, role.key, name, label, getattr(role, name), new, VALUE_KINDS[name], current.currency
                    )
                )
        return changes

    def settings_values(self) -> dict[str, Decimal]:
        """The organization settings given (not blank), for `scenario_apply`."""
        return {name: value for name in SETTING_LABELS if (value := self.general.cleaned_data[name]) is not None}

    def role_values(self) -> dict[str, dict[str, Decimal]]:
        """Each role's OTE, quota and rate given (not blank), for `scenario_apply`."""
        values = {
            form.role.key: {name: value for name in ROLE_LABELS if (value := form.cleaned_data[name]) is not None}
            for form in self.roles
        }
        return {key: fields for key, fields in values.items() if fields}


def apply_fields(changes: list[ConfigChange]) -> list[tuple[str, str]]:
    """(input name, value) of the changes, for the apply form: exactly the values it lists, nothing else."""
    return [(change.input_name, decimal_text(change.new)) for change in changes]
