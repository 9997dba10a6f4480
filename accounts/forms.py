from django import forms
from django.contrib.auth import password_validation
from django.http import HttpRequest

from accounts.models import MemberRole, User
from accounts.services import email_deliverable, signup_organization_create
from accounts.text import PlainTextField


class OrganizationSignupForm(forms.Form):
    """Extra fields of allauth's sign-up: the new user's organization."""

    first_name = PlainTextField(max_length=150, required=False, label="Your name")
    organization_name = PlainTextField(max_length=200, label="Company name")

    field_order = ["organization_name", "first_name"]

    def clean(self) -> dict:
        # allauth's sign-up form extends this one; its email field alone lets an unsendable address through.
        cleaned = super().clean()
        email = cleaned.get("email")
        if email and not email_deliverable(email):
            self.add_error("email", "Enter an email address we can send to.")
        return cleaned

    def signup(self, request: HttpRequest, user: User) -> None:
        organization = signup_organization_create(
            user=user,
            first_name=self.cleaned_data["first_name"],
            organization_name=self.cleaned_data["organization_name"],
        )
        request.session["organization_slug"] = organization.slug


class OrganizationCreateForm(forms.Form):
    name = PlainTextField(max_length=200, label="Company name")


# The rep access level is given with a link to one rep, from the rep's row, never from the members page.
GRANTABLE_LEVELS = [(value, label) for value, label in MemberRole.choices if value != MemberRole.REP]


class InvitationForm(forms.Form):
    email = forms.EmailField()
    role = forms.ChoiceField(choices=GRANTABLE_LEVELS, initial=MemberRole.MANAGER, label="Access level")


class MembershipRoleForm(forms.Form):
    role = forms.ChoiceField(choices=GRANTABLE_LEVELS)


class InvitedSignupForm(forms.Form):
    first_name = PlainTextField(max_length=150, required=False, label="Your name")
    password1 = forms.CharField(widget=forms.PasswordInput, label="Password")
    password2 = forms.CharField(widget=forms.PasswordInput, label="Password (again)")

    def __init__(self, *args, email: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", "The two passwords differ.")
        elif cleaned.get("password1"):
            try:
                password_validation.validate_password(cleaned["password1"], User(email=self.email))
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return cleaned
