"""The Plan lab's forms: the optimizer's inputs (SPEC section 15, with its defaults), a draft's name, a v2.0 file to
try, and which drafts to compare."""

from decimal import Decimal

from django import forms

from oteapp import engine
from oteapp.files.configuration import import_size_problem
from oteapp.forms.configuration import NumberField, fraction_field, money_field, units_field
from oteapp.models import PlanDraft, SalesRole
from oteapp.number_format import format_money
from oteapp.services.plan_drafts import NAME_MAX_LENGTH

MAX_CANDIDATES = 3
MAX_MONTHS = 120


def _strictly_between_0_and_1(value: Decimal) -> Decimal:
    if not Decimal(0) < value < Decimal(1):
        raise forms.ValidationError("Enter a number strictly between 0 and 1 (0.5 is half).")
    return value


class OptimizerForm(forms.Form):
    """Share and cap as fractions, the months, and a target annual OTE per role (blank: the role's current one)."""

    # Typed like every number in the product (oteapp.number_format.parse_number: "$90,000" is fine); the defaults
    # are shown as the SPEC writes them (0.20, not 0.2).
    share = NumberField(
        label="Share of rep-months that should reach quota", initial=str(engine.DEFAULT_SHARE), max_digits=6,
        decimal_places=4, min_value=None, help_text="Between 0 and 1; 0.5 means half of the rep-months reach quota.",
    )
    cap = NumberField(
        label="Cap on comp % of revenue", initial=str(engine.DEFAULT_CAP), max_digits=6, decimal_places=4,
        min_value=None,
        help_text="Between 0 and 1; 0.20 means comp (base + commission) at most 20% of revenue.",
    )
    months = forms.IntegerField(
        label="Months of history", initial=engine.DEFAULT_MONTHS, min_value=engine.MIN_HISTORY_MONTHS,
        max_value=MAX_MONTHS, help_text=f"The last months with actuals; at least {engine.MIN_HISTORY_MONTHS}.",
    )

    def __init__(self, *args, roles: list[SalesRole], currency: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.roles = roles
        for role in roles:
            current = format_money(role.annual_ote, currency=currency)
            self.fields[f"target_{role.key}"] = money_field(
                f"{role.name}: target annual OTE", f"Blank: the current {current}.", required=False
            )

    def clean_share(self) -> Decimal:
        return _strictly_between_0_and_1(self.cleaned_data["share"])

    def clean_cap(self) -> Decimal:
        return _strictly_between_0_and_1(self.cleaned_data["cap"])

    def targets(self) -> dict[str, Decimal]:
        return {
            role.key: self.cleaned_data[f"target_{role.key}"]
            for role in self.roles
            if self.cleaned_data.get(f"target_{role.key}") is not None
        }

    def target_fields(self) -> list[forms.BoundField]:
        return [self[f"target_{role.key}"] for role in self.roles]


class DraftNameForm(forms.Form):
    name = forms.CharField(label="Draft name", max_length=NAME_MAX_LENGTH)


class PlanFileForm(forms.Form):
    name = forms.CharField(label="Draft name", max_length=NAME_MAX_LENGTH)
    file = forms.FileField(label="Configuration file (.json, version 2.0)")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        problem = import_size_problem(upload.size)
        if problem:
            raise forms.ValidationError(f"{problem[0].upper()}{problem[1:]}.")
        return upload


class CompareForm(forms.Form):
    """Up to three saved drafts beside the plan in force, over the last months with actuals."""

    drafts = forms.ModelMultipleChoiceField(
        label="Drafts to compare", queryset=PlanDraft.unscoped.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    months = forms.IntegerField(
        label="Months of history", initial=engine.DEFAULT_MONTHS, min_value=1, max_value=MAX_MONTHS, required=False
    )

    def __init__(self, *args, drafts, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["drafts"].queryset = drafts

    def clean_drafts(self):
        chosen = self.cleaned_data["drafts"]
        if len(chosen) > MAX_CANDIDATES:
            raise forms.ValidationError(f"Choose at most {MAX_CANDIDATES} drafts to compare.")
        return chosen


class EditedPlanForm(forms.Form):
    """The plan in force edited on screen: each role's annual OTE and base, monthly quota and commission rate, and
    a name for the draft it becomes."""

    name = forms.CharField(label="Draft name", max_length=NAME_MAX_LENGTH)
    FIGURES = (
        ("annual_ote", "annual OTE", money_field, {}),
        ("annual_base", "annual base", money_field, {}),
        ("monthly_quota", "monthly quota", units_field, {"min_value": None}),  # clean() says a quota must be > 0
        ("commission_rate", "commission rate", fraction_field, {}),
    )

    def __init__(self, *args, roles: list[SalesRole], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.roles = roles
        for role in roles:
            for name, label, field, options in self.FIGURES:
                self.fields[f"{role.key}-{name}"] = field(
                    f"{role.name}: {label}", initial=getattr(role, name), **options
                )

    def clean(self) -> dict:
        data = super().clean()
        for role in self.roles:
            quota = data.get(f"{role.key}-monthly_quota")
            if quota is not None and quota <= 0:
                self.add_error(f"{role.key}-monthly_quota", "A quota must be greater than zero.")
        return data

    def role_rows(self) -> list[tuple[SalesRole, list[forms.BoundField]]]:
        return [(role, [self[f"{role.key}-{name}"] for name, *_ in self.FIGURES]) for role in self.roles]

    def figures(self) -> dict[str, dict[str, Decimal]]:
        return {role.key: {name: self.cleaned_data[f"{role.key}-{name}"] for name, *_ in self.FIGURES}
                for role in self.roles}
