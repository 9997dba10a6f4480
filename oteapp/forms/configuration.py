"""Configuration tab forms: the organization settings and one form per sales role.

They turn what a person types ("60,000", "0.5, 0.75", rows of tiers) into the values the services store,
and refuse what the engine or an import file would refuse: negative or non-numeric amounts, NaN and
Infinity, fractions outside their range, thresholds out of order, ramp months outside (0, 1],
accelerator tiers out of order or with a multiplier that is not positive.
"""

import calendar
import re
from decimal import Decimal, InvalidOperation
from itertools import zip_longest
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

from accounts.text import PlainTextField
from oteapp import engine
from oteapp.files.configuration import MAX_RAMP_MONTHS, decimal_text, import_size_problem
from oteapp.models import CompModel, OrganizationSettings, Rep, RoleKind, SalesRole
from oteapp.number_format import NumberTextError, known_currency, parse_number
from oteapp.selectors import config_from_models, configuration_version
from oteapp.timezones import timezone_choices

NUMBER_ATTRS = {"inputmode": "decimal", "autocomplete": "off", "spellcheck": "false"}
RATIO_PLACES = 4
RATIO_LIMIT = Decimal(100000)  # a RATIO column holds 9 digits, 4 of them decimals

RATE_HELP = {
    RoleKind.CLOSER: "Share of each deal's revenue (0.10 = 10%)",
    RoleKind.SETTER: "Share of deal value per deal sourced (0.05 = 5%)",
    RoleKind.MANAGER: "Override: share of deal value per team deal (0.03 = 3%)",
}


class NumberField(forms.DecimalField):
    """A decimal as people type it, read by oteapp.number_format.parse_number like every number people type:
    "60,000" and "$60,000" are fine, "1.234,50" is refused with how to write it. Inputs are plain text so the
    server, not the browser, explains errors."""

    def __init__(self, *, max_digits: int, decimal_places: int, positive: bool = False, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.TextInput(attrs=NUMBER_ATTRS))
        kwargs.setdefault("min_value", Decimal(0))
        super().__init__(max_digits=max_digits, decimal_places=decimal_places, **kwargs)
        self.positive = positive
        self.error_messages.update(
            {
                "required": "Required.",
                "invalid": "Enter a number, like 60000 or 0.25.",
                "min_value": "Must not be negative." if self.min_value == 0 else "Must be at least %(limit_value)s.",
                "max_value": "Must be at most %(limit_value)s.",
                "max_decimal_places": "Use at most %(max)s decimal places.",
                "max_whole_digits": "Too large: at most %(max)s digits before the decimal point.",
                "max_digits": "Too many digits (at most %(max)s).",
            }
        )

    def to_python(self, value: Any) -> Decimal | None:
        if isinstance(value, str):
            try:
                return parse_number(value)
            except NumberTextError as error:
                raise ValidationError(str(error), code="invalid") from None
        number = super().to_python(value)
        # Refused here, not only in validate(): has_changed() compares the parsed value, and comparing a
        # signaling NaN ("sNaN") raises InvalidOperation.
        if number is not None and not number.is_finite():
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return number

    def validate(self, value: Decimal | None) -> None:
        super().validate(value)
        if self.positive and value is not None and value <= 0:
            raise ValidationError("Must be more than 0.", code="positive")

    def prepare_value(self, value: Any) -> Any:
        # Stored values carry their column's places; 60000 and 0.1 read better than 60000.00 and 0.1000.
        return decimal_text(value) if isinstance(value, Decimal) else value


def money_field(label: str, help_text: str = "", **kwargs: Any) -> NumberField:
    return NumberField(label=label, help_text=help_text, max_digits=14, decimal_places=2, **kwargs)


def units_field(label: str, help_text: str = "", **kwargs: Any) -> NumberField:
    return NumberField(label=label, help_text=help_text, max_digits=12, decimal_places=2, **kwargs)


def fraction_field(label: str, help_text: str = "", **kwargs: Any) -> NumberField:
    """A share between 0 and 1 (rates, tolerance)."""
    return NumberField(
        label=label, help_text=help_text, max_digits=9, decimal_places=RATIO_PLACES, max_value=Decimal(1), **kwargs
    )


def ratio_field(label: str, help_text: str = "", **kwargs: Any) -> NumberField:
    return NumberField(label=label, help_text=help_text, max_digits=9, decimal_places=RATIO_PLACES, **kwargs)


def error_lines(form: forms.Form) -> list[str]:
    """Each error with its field's label ("Monthly quota (deals): Must not be negative."), for the
    live results, which are shown away from the inputs."""
    return [
        f"{form.fields[name].label}: {error}" if name in form.fields else str(error)
        for name, errors in form.errors.items()
        for error in errors
    ]


def _places(number: Decimal) -> int:
    return max(0, -Decimal(decimal_text(number)).as_tuple().exponent)


def _typed_number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class RampField(forms.Field):
    """Quota/variable fractions for a new hire's tenure months 1..n, typed as "0.5, 0.75"."""

    widget = forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "e.g. 0.5, 0.75"})

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(decimal_text(step) for step in value)
        return value

    def to_python(self, value: Any) -> tuple[Decimal, ...]:
        if isinstance(value, list | tuple):
            return tuple(Decimal(str(step)) for step in value)
        parts = [part for part in re.split(r"[\s,;]+", (value or "").strip()) if part]
        if len(parts) > MAX_RAMP_MONTHS:
            raise ValidationError(f"At most {MAX_RAMP_MONTHS} months.", code="too_long")
        steps = []
        for month, part in enumerate(parts, start=1):
            number = _typed_number(part)
            if number is None:
                raise ValidationError(f"“{part}” is not a number; write fractions like 0.5, 0.75.", code="invalid")
            if not 0 < number <= 1:
                raise ValidationError(f"Month {month}: {part} must be more than 0 and at most 1.", code="range")
            if _places(number) > RATIO_PLACES:
                raise ValidationError(f"Month {month}: use at most {RATIO_PLACES} decimal places.", code="places")
            steps.append(Decimal(decimal_text(number)))
        return tuple(steps)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != self.to_python(initial or ())
        except ValidationError:
            return True


class TierRowsWidget(forms.Widget):
    """Rows of `<name>-from` / `<name>-multiplier` inputs; the template renders them (see tier_rows)."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> list[tuple[str, str]]:
        starts = data.getlist(f"{name}-from") if hasattr(data, "getlist") else []
        multipliers = data.getlist(f"{name}-multiplier") if hasattr(data, "getlist") else []
        return list(zip_longest(starts, multipliers, fillvalue=""))

    def value_omitted_from_data(self, data: Any, files: Any, name: str) -> bool:
        return False


def _tier_pairs(value: Any) -> list[tuple[str, str]]:
    """Tiers as text pairs, whether they are engine tiers (initial) or typed rows (data)."""
    pairs = []
    for item in value or ():
        if isinstance(item, engine.AcceleratorTier):
            pairs.append((decimal_text(item.from_attainment), decimal_text(item.multiplier)))
        else:
            start, multiplier = item
            pairs.append((start or "", multiplier or ""))
    return pairs


class AcceleratorTiersField(forms.Field):
    """Marginal tiers: from (a fraction of quota, ascending) and multiplier (> 0); blank rows are skipped."""

    widget = TierRowsWidget

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> list[tuple[str, str]]:
        return _tier_pairs(value)

    def to_python(self, value: Any) -> tuple[engine.AcceleratorTier, ...]:
        tiers: list[engine.AcceleratorTier] = []
        errors: list[ValidationError] = []
        for row, (start_text, multiplier_text) in enumerate(_tier_pairs(value), start=1):
            start_text, multiplier_text = start_text.strip(), multiplier_text.strip()
            if not start_text and not multiplier_text:
                continue
            if not start_text or not multiplier_text:
                errors.append(ValidationError(f"Tier {row}: give both “from” and the multiplier."))
                continue
            start, multiplier = _typed_number(start_text), _typed_number(multiplier_text)
            if start is None or not 0 <= start < RATIO_LIMIT or _places(start) > RATIO_PLACES:
                errors.append(ValidationError(f"Tier {row}: “from” must be a number ≥ 0, like 1.0 or 1.5."))
                continue
            if multiplier is None or not 0 < multiplier < RATIO_LIMIT or _places(multiplier) > RATIO_PLACES:
                errors.append(ValidationError(f"Tier {row}: the multiplier must be a number > 0, like 1.5."))
                continue
            if tiers and start <= tiers[-1].from_attainment:
                errors.append(
                    ValidationError(
                        f"Tier {row}: “from” must be above the previous tier's "
                        f"({decimal_text(tiers[-1].from_attainment)}); list tiers in ascending order."
                    )
                )
                continue
            tiers.append(
                engine.AcceleratorTier(
                    from_attainment=Decimal(decimal_text(start)), multiplier=Decimal(decimal_text(multiplier))
                )
            )
        if errors:
            raise ValidationError(errors)
        return tuple(tiers)

    def has_changed(self, initial: Any, data: Any) -> bool:
        try:
            return self.to_python(data) != self.to_python(initial)
        except ValidationError:
            return True


def stored_tiers(role: SalesRole) -> tuple[engine.AcceleratorTier, ...]:
    return tuple(
        engine.AcceleratorTier(from_attainment=Decimal(str(tier["from"])), multiplier=Decimal(str(tier["multiplier"])))
        for tier in role.accelerators or ()
    )


CURRENCY = re.compile(r"^[A-Z]{3}$")
MONTH_CHOICES = [(number, calendar.month_name[number]) for number in range(1, 13)]


class SettingsForm(forms.Form):
    currency = forms.CharField(label="Currency", max_length=3, help_text="Three-letter code, e.g. USD")
    timezone = forms.ChoiceField(label="Time zone", choices=timezone_choices, help_text="Months close at midnight here")
    deal_value = money_field("Average deal value", "Upfront revenue per deal")
    meeting_to_deal_rate = fraction_field(
        "Meeting-to-deal rate", "Share of setters' meetings that become deals (0.25 = 25%)"
    )
    comp_model = forms.ChoiceField(label="Comp model", choices=CompModel.choices)
    monthly_operating_expenses = money_field("Operating expenses / month", "For the P&L and EBITDA")
    on_target_threshold = ratio_field("On target from", "OTE attainment (1.00 = 100%)", positive=True)
    at_risk_threshold = ratio_field("At risk from", "Below this: off target")
    misalignment_tolerance = fraction_field(
        "Misalignment tolerance", "Warn when break-even is this far from quota (0.10 = 10%)"
    )
    fiscal_year_start = forms.TypedChoiceField(
        label="Fiscal year starts in",
        choices=MONTH_CHOICES,
        coerce=int,
        help_text="Quarters and year to date follow it; a fiscal year is named by the year it ends in",
    )
    leaderboard_visible_to_reps = forms.BooleanField(
        label="Reps may see the leaderboard",
        required=False,
        help_text="Their rank and others' names and attainment, never earnings",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A zone saved before that the list leaves out (an old alias) stays selectable here.
        self.fields["timezone"].choices = timezone_choices(self.initial.get("timezone"))

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"].strip().upper()
        if not CURRENCY.match(currency):
            raise ValidationError("Use a three-letter code like USD.")
        if not known_currency(currency):
            raise ValidationError(f"{currency} is not a currency code (ISO 4217); use one like USD, EUR or GBP.")
        return currency

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        on_target, at_risk = data.get("on_target_threshold"), data.get("at_risk_threshold")
        if on_target is not None and at_risk is not None and at_risk > on_target:
            self.add_error("at_risk_threshold", f"Must not exceed the on-target threshold ({decimal_text(on_target)}).")
        return data


SETTINGS_FIELDS = tuple(SettingsForm.base_fields)


class RoleForm(forms.Form):
    name = PlainTextField(label="Name", max_length=100)
    annual_ote = money_field("Annual OTE", "Total pay at 100% of quota")
    annual_base = money_field("Annual base", "Paid only in the base + commission model")
    monthly_quota = units_field("Monthly quota")
    commission_rate = fraction_field("Commission rate")
    ramp = RampField(label="Ramp", help_text="Quota share in a new hire's months 1, 2, …")
    accelerators = AcceleratorTiersField(label="Accelerator tiers")
    monthly_draw = money_field("Monthly draw", "A guaranteed advance each month (blank = none)", required=False)
    draw_recoverable = forms.BooleanField(
        label="Draw is recoverable", required=False, help_text="Advances are paid back from later earnings"
    )

    def __init__(self, data: Any = None, *, role: SalesRole) -> None:
        initial = {
            "name": role.name,
            "annual_ote": role.annual_ote,
            "annual_base": role.annual_base,
            "monthly_quota": role.monthly_quota,
            "commission_rate": role.commission_rate,
            "ramp": [Decimal(str(step)) for step in role.ramp or ()],
            "accelerators": stored_tiers(role),
            "monthly_draw": role.monthly_draw,
            "draw_recoverable": role.draw_recoverable,
        }
        super().__init__(data, prefix=f"role-{role.key}", initial=initial)
        self.role = role
        self.unit = engine.UNIT_NOUNS.get(role.kind, "units")
        self.fields["monthly_quota"].label = f"Monthly quota ({self.unit})"
        self.fields["commission_rate"].help_text = RATE_HELP.get(role.kind, "")

    def clean_monthly_draw(self) -> Decimal:
        return self.cleaned_data["monthly_draw"] or Decimal(0)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ote, base = data.get("annual_ote"), data.get("annual_base")
        if ote is not None and base is not None and base > ote:
            self.add_error("annual_base", "Must not exceed the annual OTE.")
        return data

    @property
    def tier_rows(self) -> list[tuple[str, str]]:
        """The tier rows to show: the typed or stored ones, then blank rows to add more."""
        rows = list(self["accelerators"].value())
        while rows and rows[-1] == ("", ""):
            rows.pop()
        return rows + [("", "")] * max(1, 3 - len(rows))

    def role_config(self) -> engine.RoleConfig:
        data = self.cleaned_data
        return engine.RoleConfig(
            key=self.role.key,
            name=data["name"],
            kind=self.role.kind,
            annual_ote=data["annual_ote"],
            annual_base=data["annual_base"],
            monthly_quota=data["monthly_quota"],
            commission_rate=data["commission_rate"],
            ramp=data["ramp"],
            accelerators=data["accelerators"],
            monthly_draw=data["monthly_draw"],
            draw_recoverable=data["draw_recoverable"],
        )


ROLE_FIELDS = tuple(RoleForm.base_fields)


class ConfigurationForms:
    """The settings form and one form per role, validated and saved together."""

    def __init__(
        self,
        *,
        settings: OrganizationSettings,
        roles: list[SalesRole],
        data: Any = None,
        read_only: bool = False,
    ) -> None:
        self.saved_config = config_from_models(settings=settings, roles=roles)
        # The version of what the forms show: a save names it, and is refused if the configuration moved on since.
        self.version = configuration_version(settings=settings, roles=roles)
        self.settings = SettingsForm(
            data,
            prefix="org",
            initial={name: getattr(settings, name) for name in SETTINGS_FIELDS},
        )
        self.roles = [RoleForm(data, role=role) for role in roles]
        self.read_only = read_only
        if read_only:
            for form in self.all_forms:
                for field in form.fields.values():
                    field.disabled = True

    @property
    def all_forms(self) -> list[forms.Form]:
        return [self.settings, *self.roles]

    @property
    def is_bound(self) -> bool:
        return self.settings.is_bound

    def is_valid(self) -> bool:
        return all([form.is_valid() for form in self.all_forms])  # a list: every form reports its errors

    def has_changed(self) -> bool:
        return self.is_bound and any(form.has_changed() for form in self.all_forms)

    def mark_saved_values(self) -> None:
        """After a conflict: each field whose typed value differs from the saved one gets `saved`, the saved value as
        text, which the template shows under the input (the forms' initial values are the saved ones)."""
        for form in self.all_forms:
            for name, field in form.fields.items():
                bound = form[name]
                if field.has_changed(bound.initial, bound.data):
                    bound.saved = _saved_text(field, bound.initial)

    @property
    def settings_error_lines(self) -> list[str]:
        return error_lines(self.settings) if self.is_bound else []

    def engine_config(self) -> engine.OrgConfig | None:
        """What the engine computes with: the saved configuration for an unbound form; else the typed
        values, with the roles whose values are valid, or None while the settings are invalid."""
        if not self.is_bound:
            return self.saved_config
        if not self.settings.is_valid():
            return None
        data = self.settings.cleaned_data
        return engine.OrgConfig(
            deal_value=data["deal_value"],
            meeting_to_deal_rate=data["meeting_to_deal_rate"],
            comp_model=data["comp_model"],
            monthly_operating_expenses=data["monthly_operating_expenses"],
            roles=tuple(form.role_config() for form in self.roles if form.is_valid()),
            on_target_threshold=data["on_target_threshold"],
            at_risk_threshold=data["at_risk_threshold"],
            misalignment_tolerance=data["misalignment_tolerance"],
            currency=data["currency"],
        )

    def settings_values(self) -> dict[str, Any]:
        return {name: self.settings.cleaned_data[name] for name in SETTINGS_FIELDS}

    def role_values(self) -> dict[str, dict[str, Any]]:
        return {form.role.key: {name: form.cleaned_data[name] for name in ROLE_FIELDS} for form in self.roles}


def _saved_text(field: forms.Field, value: Any) -> str:
    if isinstance(field, AcceleratorTiersField):
        tiers = ", ".join(f"from {start} ×{multiplier}" for start, multiplier in field.prepare_value(value))  # noqa: RUF001
        return tiers or "none"
    text = field.prepare_value(value)
    if isinstance(field, forms.ChoiceField):
        text = dict(field.choices).get(value, value)
    return str(text) if text not in (None, "") else "blank"


class RepPlanForm(forms.Form):
    """A rep's own plan (SPEC section 14): each figure typed replaces the role's for this rep; a blank one is the
    role's (shown as the placeholder). Validated like the role's figures; a quota, when set, must be above 0."""

    annual_ote = money_field("Annual OTE", required=False)
    annual_base = money_field("Annual base", required=False)
    monthly_quota = units_field("Monthly quota", required=False, positive=True)
    commission_rate = fraction_field("Commission rate", required=False)
    monthly_draw = money_field("Monthly draw", "A guaranteed advance (statements)", required=False)
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, data: Any = None, *, rep: Rep, role: engine.PlanEconomics, version: str) -> None:
        initial = {name: getattr(rep, name) for name in Rep.PLAN_FIELDS} | {"version": version}
        super().__init__(data, prefix=f"plan-{rep.pk}", initial=initial)
        self.rep = rep
        self.role = role
        self.unit = engine.UNIT_NOUNS.get(role.kind, "units")
        self.fields["monthly_quota"].label = f"Monthly quota ({self.unit})"
        role_values = {
            "annual_ote": role.annual_ote,
            "annual_base": role.annual_base,
            "monthly_quota": role.monthly_quota,
            "commission_rate": role.commission_rate,
            "monthly_draw": role.monthly_draw,
        }
        for name, value in role_values.items():
            field = self.fields[name]
            field.widget.attrs["placeholder"] = f"role: {decimal_text(value)}"
            field.role_value = value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        ote = data.get("annual_ote")
        base = data.get("annual_base")
        own_ote = ote if ote is not None else self.role.annual_ote
        own_base = base if base is not None else self.role.annual_base
        if (ote is not None or base is not None) and own_base > own_ote and "annual_base" not in self.errors:
            where = "annual_base" if base is not None else "annual_ote"
            problem = f"The base ({decimal_text(own_base)}) must not exceed the OTE ({decimal_text(own_ote)})."
            self.add_error(where, problem)
        return data

    def values(self) -> dict[str, Decimal | None]:
        return {name: self.cleaned_data[name] for name in Rep.PLAN_FIELDS}

    def plan(self) -> engine.RepPlan:
        return engine.RepPlan(**self.values())


class RoleCreateForm(forms.Form):
    key = forms.SlugField(
        label="Key", max_length=50, widget=forms.TextInput(attrs={"placeholder": "e.g. senior_closer"})
    )
    name = PlainTextField(label="Name", max_length=100)
    kind = forms.ChoiceField(label="Kind", choices=RoleKind.choices)

    def __init__(self, data: Any = None, *, existing_keys: set[str]) -> None:
        super().__init__(data, prefix="new-role")
        self.existing_keys = existing_keys

    def clean_key(self) -> str:
        key = self.cleaned_data["key"]
        if key in self.existing_keys:
            raise ValidationError("A role with this key already exists.")
        return key


class ConfigImportForm(forms.Form):
    file = forms.FileField(label="Configuration file (.json)")

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        problem = import_size_problem(upload.size)
        if problem:
            raise ValidationError(f"{problem[0].upper()}{problem[1:]}.")
        return upload
