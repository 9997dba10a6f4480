"""Forms of the Payouts tab: an adjustment, an adjustments file and the reason for reopening a month."""

from datetime import date
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from accounts.text import PlainTextField
from oteapp.forms.actuals import ActualsUploadForm
from oteapp.models import AdjustmentKind, Rep
from oteapp.months import parse_month
from oteapp.number_format import NumberTextError, parse_number
from oteapp.payouts.services import REASON_MAX_LENGTH, AdjustmentInput, adjustment_problem


class MonthTextField(forms.CharField):
    """A month typed as YYYY-MM (an `<input type="month">`)."""

    widget = forms.TextInput(attrs={"type": "month"})

    def to_python(self, value: Any) -> date | None:
        text = super().to_python(value)
        if not text:
            return None
        try:
            return parse_month(text)
        except ValueError:
            raise ValidationError(f"“{text}” is not a month; use YYYY-MM, e.g. 2026-10.") from None


class AmountField(forms.CharField):
    """An amount of money with its sign, as people type it ("-1,134.00", "$500")."""

    def to_python(self, value: Any) -> Decimal | None:
        text = super().to_python(value)
        try:
            return parse_number(text) if text else None
        except NumberTextError as error:
            raise ValidationError(str(error)) from None


class AdjustmentForm(forms.Form):
    month = MonthTextField(label="Month")
    rep = forms.ModelChoiceField(queryset=Rep.unscoped.none(), label="Rep", empty_label="Choose a rep")
    kind = forms.ChoiceField(choices=AdjustmentKind.choices, label="Kind")
    amount = AmountField(label="Amount", help_text="A clawback is negative; a correction either sign")
    reason = PlainTextField(label="Reason", max_length=REASON_MAX_LENGTH, help_text="Shown on the rep's statement")
    reverses_month = MonthTextField(
        label="Reverses month", required=False, help_text="A clawback names the month it reverses"
    )

    def __init__(self, *args: Any, reps: QuerySet[Rep], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["rep"].queryset = reps.select_related("role")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        problem = adjustment_problem(AdjustmentInput(
            rep=data["rep"], month=data["month"], kind=data["kind"], amount=data["amount"], reason=data["reason"],
            reverses_month=data.get("reverses_month"),
        ))
        if problem:
            field, message = problem
            self.add_error(field if field in self.fields else None, message[0].upper() + message[1:] + ".")
        return data


class AdjustmentsUploadForm(ActualsUploadForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "adjustments")
        super().__init__(*args, **kwargs)


class ReopenForm(forms.Form):
    reason = PlainTextField(
        label="Why reopen this month?", max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
