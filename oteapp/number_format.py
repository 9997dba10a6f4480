"""Numbers as people read and type them: money in the organization's currency, and typed numbers parsed back.

Formatting is Babel's (CLDR data), never by hand. The locale is the app's language, English (`NUMBER_LOCALE`):
digits are grouped with commas and a point starts the decimals, whatever the currency, and the currency is
shown by its CLDR symbol in that locale: "$12,345.60", "€12,345.60", "£12,345.60", "¥12,346" (a currency's own
number of decimals: none for yen), "CHF12,345.60" (the code, for a currency without an English symbol).

One function parses what people type, on every screen and in every file that people edit (the Configuration
and What-If forms, the actuals grid, the actuals CSV): `parse_number`. It accepts what the numbers above look
like ("10,000", "$10,500", "€1,234.50", "EUR 1,234.50") and refuses what it cannot read without guessing,
with a message that says how to write it: "1.234,50" (German style) and "10,00" could each be read two ways
in the English layout, so they are refused, never reinterpreted.

Templates format money with the `money` filters (oteapp/templatetags/ote.py), in the currency made active by
`{% currency code %}…{% endcurrency %}` around the figures (or `currency_override` in Python), the way
Django's translation.override makes a language active.
"""

import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import (
    NumberPattern,
    format_compact_currency,
    get_currency_precision,
    parse_pattern,
)
from babel.numbers import list_currencies as babel_currencies

from oteapp.rounding import round_half_up

NUMBER_LOCALE = "en_US"
DEFAULT_CURRENCY = "USD"
MINUS = "\N{MINUS SIGN}"  # typographic minus, the width of "+"
DASH = "—"
_LOCALE = Locale.parse(NUMBER_LOCALE)

_active_currency: ContextVar[str] = ContextVar("active_currency", default=DEFAULT_CURRENCY)


def active_currency() -> str:
    return _active_currency.get()


@contextmanager
def currency_override(currency: str | None) -> Iterator[None]:
    """Money formatted inside the block (by the template filters) is in `currency` (None: left as it is)."""
    if not currency:
        yield
        return
    token = _active_currency.set(currency)
    try:
        yield
    finally:
        _active_currency.reset(token)


@lru_cache(maxsize=512)
def known_currency(code: str) -> bool:
    """Whether `code` is an ISO 4217 currency Babel knows (its symbol and number of decimals)."""
    return code in babel_currencies()


@lru_cache(maxsize=16)
def _pattern(places: int) -> NumberPattern:
    return parse_pattern("¤#,##0" + ("." + "0" * places if places else ""))


@lru_cache(maxsize=512)
def currency_places(currency: str) -> int:
    return get_currency_precision(currency)


def format_money(
    value: Decimal | float | int | str | None,
    *,
    currency: str | None = None,
    places: int | None = None,
    signed: bool = False,
) -> str:
    """12345.6 → "€12,345.60" (`currency`, else the active one); `places` defaults to the currency's own number of
    decimals. A negative amount gets a typographic minus before the symbol; `signed` puts "+" before the others
    (a gap, a change). None or "" → "—"."""
    if value is None or value == "":
        return DASH
    amount = value if type(value) is Decimal else Decimal(str(value))
    currency = currency or active_currency()
    return _money_text(amount, currency, currency_places(currency) if places is None else int(places), signed)


@lru_cache(maxsize=8192)
def _money_text(amount: Decimal, currency: str, places: int, signed: bool) -> str:
    # Cached: a screen shows the same figures again and again (What-If's baseline beside every new scenario).
    rounded = round_half_up(amount, Decimal(1).scaleb(-places))
    sign = MINUS if rounded < 0 else "+" if signed else ""
    return sign + _pattern(places).apply(abs(rounded), _LOCALE, currency=currency, currency_digits=False)


def format_money_compact(value: float | Decimal, *, currency: str | None = None) -> str:
    """Chart axis labels: "€0", "€850", "€45K", "€1.2M"."""
    return format_compact_currency(value, currency or active_currency(), locale=NUMBER_LOCALE, fraction_digits=1)


# --- Parsing ---------------------------------------------------------------------------------------------


class NumberTextError(ValueError):
    """Typed text that is not a number this module can read without guessing; the message says how to write it."""


_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_MINUSES = ("-", MINUS, "\u2012", "\u2013")
_CODE = re.compile(r"^([A-Z]{3})\s*|\s*([A-Z]{3})$")
# Plain digits with an optional decimal part, or digits grouped by commas in threes; never an exponent.
_PLAIN = re.compile(r"^\d+(\.\d*)?$|^\.\d+$")
_GROUPED = re.compile(r"^\d{1,3}(,\d{3})+(\.\d+)?$")


def _strip_currency(text: str) -> str:
    """The text without one currency sign or ISO code before or after the digits."""
    if text and unicodedata.category(text[0]) == "Sc":
        return text[1:].strip()
    if text and unicodedata.category(text[-1]) == "Sc":
        return text[:-1].strip()
    match = _CODE.search(text)
    if match:
        return (text[: match.start()] + text[match.end() :]).strip()
    return text


def parse_number(text: str) -> Decimal | None:
    """A number as a person types it → Decimal, None for a blank. "10,000", "$10,500", "€1,234.50", "EUR 12.5",
    "-3" and "\N{MINUS SIGN}3" are read; a currency sign is allowed once, before or after (an organization has one
    currency, so the sign does not change the amount). Raises NumberTextError for anything else: words, exponents,
    NaN, and the decimal-comma layouts ("1.234,50", "10,00", "1,5") that the English layout cannot read
    unambiguously. Ranges (negative, too many places) are the caller's to check."""
    stripped = _SPACES.sub(" ", text or "").strip()
    if not stripped:
        return None
    negative = stripped.startswith(_MINUSES)
    body = stripped[1:].strip() if negative else stripped
    body = _strip_currency(body)
    if not negative and body.startswith(_MINUSES):  # "$-10": the minus after the sign
        negative, body = True, body[1:].strip()
    if _PLAIN.match(body):
        digits = body
    elif _GROUPED.match(body):
        digits = body.replace(",", "")
    elif "," in body and re.fullmatch(r"[\d.,]+", body):
        raise NumberTextError(
            f"“{text.strip()}” can be read two ways: write it like 1234.50 or 1,234.50 "
            "(a point before the decimals, commas only between thousands)."
        )
    else:
        raise NumberTextError(f"Enter a number, like 6, 2.5 or 10,000 (not “{text.strip()}”).")
    number = Decimal(digits)  # the patterns above admit only digits and one point
    return -number if negative and number else number
