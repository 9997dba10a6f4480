"""Text that can be stored and shown: one check for every form field and every imported name.

PostgreSQL refuses the NUL character in text, and a lone UTF-16 surrogate (which JSON's "\\ud800" escape
produces) cannot be encoded as UTF-8 at all: either would fail the save or the page with a 500. Forms and the
file importers refuse both with a field error instead, and `printable` makes any text safe to echo back in an
error message.
"""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator

INVALID_TEXT = "must not contain the NUL character or invalid Unicode (a lone surrogate)"


def text_problem(value: str) -> str | None:
    """None when `value` can be stored, else what is wrong with it (completing "The name …")."""
    if "\x00" in value:
        return "must not contain the NUL character"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must not contain invalid Unicode (a lone surrogate)"
    return None


def validate_text(value: str) -> None:
    problem = text_problem(value)
    if problem:
        raise ValidationError(f"This text {problem}.", code="invalid_text")


def printable(text: str) -> str:
    """`text` with NUL and lone surrogates written as escapes, so an error message quoting input can be sent."""
    if text_problem(text) is None:
        return text
    return text.replace("\x00", "\\x00").encode("utf-8", "backslashreplace").decode("utf-8")


class PlainTextField(forms.CharField):
    """A CharField that refuses NUL and lone surrogates with the importers' message (Django's own NUL check
    is replaced, not doubled)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.validators = [
            validator for validator in self.validators if not isinstance(validator, ProhibitNullCharactersValidator)
        ]
        self.validators.append(validate_text)
