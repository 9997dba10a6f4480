"""Forms of the Actuals tab: they parse what was typed; the rules live in oteapp/services/actuals.py."""

from decimal import Decimal

from django import forms

from accounts.text import PlainTextField
from oteapp.files.configuration import import_size_problem
from oteapp.models import SalesRole
from oteapp.services.actuals import ActualField, actual_value_parse


class ActualValueField(forms.CharField):
    """A grid cell: blank → None, else a Decimal the column can store (messages from the service)."""

    def __init__(self, *, spec: ActualField, **kwargs) -> None:
        self.spec = spec
        super().__init__(required=False, **kwargs)

    def clean(self, value: str) -> Decimal | None:
        text = super().clean(value)
        return actual_value_parse(text, self.spec)


class ActualRowForm(forms.Form):
    """One rep's row of the grid: their role kind's fields and the version the row was loaded at."""

    version = forms.IntegerField(min_value=0, max_value=2**31 - 1)

    def __init__(self, *args, fields: tuple[ActualField, ...], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        stale = "This row is out of date; reload the page."
        self.fields["version"].error_messages = dict.fromkeys(("required", "invalid", "min_value", "max_value"), stale)
        for spec in fields:
            self.fields[spec.name] = ActualValueField(spec=spec, label=spec.label)

    def values(self) -> dict[str, Decimal | None]:
        return {name: value for name, value in self.cleaned_data.items() if name != "version"}


class RepCreateForm(forms.Form):
    name = PlainTextField(max_length=200)
    role = forms.ChoiceField()
    start_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    email = forms.EmailField(required=False)

    def __init__(self, *args, roles: list[SalesRole], **kwargs) -> None:
        kwargs.setdefault("prefix", "new")
        super().__init__(*args, **kwargs)
        self.roles = {role.key: role for role in roles}
        self.fields["role"].choices = [(role.key, role.name) for role in roles]

    def chosen_role(self) -> SalesRole:
        return self.roles[self.cleaned_data["role"]]


class RepEndForm(forms.Form):
    rep = forms.IntegerField(min_value=1, label="Rep")
    end_date = forms.DateField(label="Last day", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "end")
        super().__init__(*args, **kwargs)


class ActualsUploadForm(forms.Form):
    file = forms.FileField(label="CSV or Excel file")

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("prefix", "csv")
        super().__init__(*args, **kwargs)
        self.fields["file"].widget.attrs["accept"] = (
            ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )

    def clean_file(self) -> bytes:
        upload = self.cleaned_data["file"]
        problem = import_size_problem(upload.size)
        if problem:
            raise forms.ValidationError(f"{problem[0].upper()}{problem[1:]}: split it by month.")
        return upload.read()
