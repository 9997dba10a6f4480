"""Hypothesis strategies for bad input: numbers, text, months, dates and files a person or a script could
send. Each mixes plausible values (so that successes are exercised too) with hostile ones."""

import json
import random
import struct
import zlib
from decimal import Decimal

from hypothesis import strategies as st

# Numbers as typed into a field: the column limits, float and JSON specials, locale and unicode digits.
NASTY_NUMBERS = (
    "1e30",
    str(10**40),
    "-" + str(10**40),
    "-1",
    "-0",
    "-0.01",
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e999",
    "1E+999999999",
    "1e-999",
    "0.001",
    "5.005",
    "9999999999.99",
    "10000000000",
    "999999999999.99",
    "1000000000000",
    "1e10",
    "0x10",
    "1_000",
    "1,000",
    "1.000,50",
    "$5",
    "+5",
    "5.",
    ".5",
    "--5",
    "5-",
    "\u0661\u0662",  # Arabic-Indic digits 12
    "\uff11\uff12",  # fullwidth digits 12
    "∞",
    "½",
    "9" * 400,
    "0." + "0" * 300 + "1",
)
NASTY_TEXT = (
    "",
    " ",
    "\t\n",
    "\x00",
    "a\x00b",
    # Lone surrogates (issue 14 item 6): forms receive their bytes (harness.send), files their JSON escape.
    "\ud800",
    "a\udfffb",
    "\x00\udc80",
    "\u202eevil\u202c",  # right-to-left override
    "\u200f\u200e",  # RTL / LTR marks
    "\u200b",  # zero-width space
    "😀🚀👩‍👩‍👧",
    "Zoë Ñandú ß İ",
    "<script>alert(1)</script>",
    "'; DROP TABLE oteapp_rep; --",
    "{{ 7*7 }} {% now 'Y' %}",
    "\r\nBcc: x@example.com",
    "x" * 10_000,
    "ü" * 5_000,
    "\ufeffBOM",
)
NASTY_MONTHS = (
    "2026-13",
    "2026-00",
    "2026-1",
    "",
    " ",
    "abcd-ef",
    "2026/10",
    "2026-10-01",
    "10-2026",
    "0000-01",
    "1899-12",
    "1900-01",
    "9999-12",
    "10000-01",
    "-001-01",
    "\uff12\uff10\uff12\uff16-\uff11\uff10",  # 2026-10 in fullwidth digits
    "\u0662\u0660\u0662\u0666-\u0661\u0660",  # and in Arabic-Indic digits
    "2026-10\x00",
    "2026-1\ud800",
    "2026-1O",
    "2026-10 ",
)
NASTY_DATES = (
    "",
    "2026-13-01",
    "2026-02-30",
    "0001-01-01",
    "9999-12-31",
    "1899-12-31",
    "31/12/2026",
    "2026-1-1",
    "today",
    "2026-10-01T00:00:00",
    "\x00",
)

# Text without lone surrogates, for field names and the like; NASTY_TEXT and `hostile_text` bring them in.
unicode_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
# Any text at all, lone surrogates and NUL included.
hostile_text = st.text(max_size=40)


def utf8(text: str) -> bytes:
    """Text as bytes, a lone surrogate as the three bytes a careless encoder writes (not valid UTF-8)."""
    return text.encode("utf-8", "surrogatepass")


def numbers_typed(*, low: int = 0, high: int = 10**6, places: int = 2) -> st.SearchStrategy[str]:
    """What a person types into a number field: mostly valid amounts, often hostile ones."""
    valid = st.decimals(
        min_value=Decimal(low), max_value=Decimal(high), places=places, allow_nan=False, allow_infinity=False
    ).map(str)
    hostile = st.sampled_from(NASTY_NUMBERS) | st.sampled_from(NASTY_TEXT)
    generated = (
        st.integers(min_value=-(10**45), max_value=10**45).map(str)
        | st.floats(allow_nan=True, allow_infinity=True).map(repr)
        | st.decimals(allow_nan=True, allow_infinity=True).map(str)
        | unicode_text
    )
    return st.one_of(valid, valid, hostile, generated)


def fractions_typed() -> st.SearchStrategy[str]:
    return numbers_typed(low=0, high=1, places=4)


def texts_typed(*valid: str) -> st.SearchStrategy[str]:
    """Names and keys: a few valid values, hostile text and random unicode."""
    choices = [st.sampled_from(NASTY_TEXT), unicode_text, hostile_text]
    if valid:
        choices = [st.sampled_from(valid), st.sampled_from(valid), *choices]
    return st.one_of(*choices)


def months_typed(*valid: str) -> st.SearchStrategy[str]:
    plausible = st.sampled_from(valid or ("2026-10",))
    return st.one_of(plausible, plausible, st.sampled_from(NASTY_MONTHS), unicode_text)


def dates_typed(*valid: str) -> st.SearchStrategy[str]:
    plausible = st.dates().map(lambda day: day.isoformat())
    return st.one_of(st.sampled_from(valid or ("2026-10-01",)), plausible, st.sampled_from(NASTY_DATES), unicode_text)


def choices_typed(*valid: str) -> st.SearchStrategy[str]:
    """A select box: one of its options, or anything else."""
    return st.one_of(st.sampled_from(valid), st.sampled_from(valid), st.sampled_from(NASTY_TEXT), unicode_text)


# --- files ------------------------------------------------------------------------------------------------


def png_bytes(seed: int) -> bytes:
    """A small but real PNG (signature, IHDR, IDAT, IEND): an image uploaded instead of a CSV or JSON."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    pixels = bytes(random.Random(seed).randrange(256) for _ in range(4 * 4 * 3))
    rows = b"".join(b"\x00" + pixels[row * 12 : row * 12 + 12] for row in range(4))
    header = struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


TWO_MEGABYTES = 2 * 1024 * 1024


def hostile_files() -> st.SearchStrategy[bytes]:
    """Whatever is not the expected file: an image, random bytes, nothing, 2 MB, other encodings."""
    return st.one_of(
        st.integers(0, 1000).map(png_bytes),
        st.binary(max_size=300),
        st.just(b""),
        st.just(b"\xef\xbb\xbf"),  # a BOM and nothing else
        st.just(b"a," * (TWO_MEGABYTES // 2)),
        st.just("month,rep\n2026-10,Zoë\n".encode("utf-16")),
        st.just(b"\x00" * 64),
        st.just(b"[" * 100_000),  # deeply nested JSON
        st.just(b'{"a": ' * 50_000),
    )


@st.composite
def csv_lines(draw: st.DrawFn, *, reps: tuple[str, ...], roles: tuple[str, ...]) -> str:
    """One data line of the actuals file: a valid row for a known or new rep, with up to two cells hostile."""
    rep = draw(st.sampled_from([*reps, "New Rep"]))
    role = "closer" if rep == "New Rep" else ""
    cells = [draw(st.sampled_from(["2026-10", "2026-11"])), rep, role, str(draw(st.integers(0, 20))), "", "", "", ""]
    hostile = [
        months_typed("2026-10"),
        texts_typed(*reps, "New Rep"),
        choices_typed(*roles, ""),
        numbers_typed(high=100),
        numbers_typed(high=100),
        numbers_typed(high=100),
        numbers_typed(high=10**6),
        dates_typed("2025-01-01", ""),
    ]
    for index in draw(st.lists(st.integers(0, len(cells) - 1), max_size=2, unique=True)):
        cells[index] = draw(hostile[index])
    return ",".join(_csv_quote(cell) for cell in cells)


def _csv_quote(cell: str) -> str:
    if any(ch in cell for ch in ',"\r\n'):
        return '"' + cell.replace('"', '""') + '"'
    return cell


CSV_HEADER = "month,rep,role,deals,meetings,team_deals,revenue,start_date"


def csv_files(*, reps: tuple[str, ...], roles: tuple[str, ...]) -> st.SearchStrategy[bytes]:
    """Actuals CSV files: a real header with generated lines (often valid), odd headers, or not a CSV."""
    header = st.one_of(
        st.just(CSV_HEADER),
        st.just(CSV_HEADER),
        st.just(CSV_HEADER.upper()),
        st.just("month,rep,role,deals,deals"),
        st.just(""),
        unicode_text,
    )
    lines = st.lists(csv_lines(reps=reps, roles=roles), max_size=4)
    text = st.tuples(header, lines, st.sampled_from(["\n", "\r\n"])).map(
        lambda parts: parts[2].join([parts[0], *parts[1]]) + parts[2]
    )
    encoded = st.one_of(
        text.map(utf8),
        text.map(lambda value: "\ufeff".encode() + utf8(value)),
    )
    return st.one_of(encoded, encoded, encoded, hostile_files())


def json_numbers() -> st.SearchStrategy[object]:
    """A value where the configuration file expects a number: JSON numbers, decimal strings, anything."""
    return st.one_of(
        st.integers(0, 200_000),
        st.decimals(min_value=0, max_value=1, places=2, allow_nan=False, allow_infinity=False).map(float),
        numbers_typed(),
        st.integers(min_value=-(10**45), max_value=10**45),
        st.floats(allow_nan=True, allow_infinity=True),
        st.none(),
        st.booleans(),
        st.lists(st.integers(), max_size=2),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=1),
    )


def config_documents(*, roles: tuple[str, ...], reps: tuple[str, ...]) -> st.SearchStrategy[dict]:
    """Configuration files (2.0 and the old 1.1) with hostile values in any field."""
    organization = st.fixed_dictionaries(
        {},
        optional={
            "currency": texts_typed("USD", "EUR", "usd"),
            "timezone": texts_typed("UTC", "Europe/Paris", "Mars/Olympus"),
            "deal_value": json_numbers(),
            "meeting_to_deal_rate": json_numbers(),
            "comp_model": texts_typed("commission_only", "mixed"),
            "monthly_operating_expenses": json_numbers(),
            "on_target_threshold": json_numbers(),
            "at_risk_threshold": json_numbers(),
            "misalignment_tolerance": json_numbers(),
        },
    )
    role = st.fixed_dictionaries(
        {},
        optional={
            "name": texts_typed("Closers", "Senior closers"),
            "kind": texts_typed("closer", "setter", "manager"),
            "annual_ote": json_numbers(),
            "annual_base": json_numbers(),
            "monthly_quota": json_numbers(),
            "commission_rate": json_numbers(),
            "ramp": st.lists(json_numbers(), max_size=4) | json_numbers(),
            "accelerators": st.lists(
                st.fixed_dictionaries({}, optional={"from": json_numbers(), "multiplier": json_numbers()}), max_size=3
            )
            | json_numbers(),
        },
    )
    rep = st.fixed_dictionaries(
        {},
        optional={
            "name": texts_typed(*reps, "New Rep"),
            "email": texts_typed("ana@example.com", ""),
            "role": texts_typed(*roles),
            "start_date": dates_typed("2025-01-01") | st.none(),
            "end_date": dates_typed("2027-01-31") | st.none(),
        },
    )
    current = st.fixed_dictionaries(
        {"version": st.sampled_from(["2.0", "2.0", "2.0", "3.0", "", 2])},
        optional={
            "organization": organization | json_numbers(),
            "roles": st.dictionaries(texts_typed(*roles, "senior_closer"), role, max_size=2) | json_numbers(),
            "reps": st.lists(rep, max_size=2) | json_numbers(),
        },
    )
    legacy_keys = (
        "closer_ote",
        "closer_quota_deals",
        "setter_ote",
        "setter_quota_meetings",
        "manager_ote",
        "manager_quota_team_deals",
    )
    legacy = st.fixed_dictionaries(
        {
            "version": st.just("1.1"),
            "ote_quotas": st.fixed_dictionaries({key: json_numbers() for key in legacy_keys}) | json_numbers(),
        },
        optional={"theme": st.text(max_size=5)},
    )
    return st.one_of(current, current, legacy)


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(type(value).__name__)


def _json_bytes(document: dict) -> bytes:
    """The document as a file: UTF-8 text, or ASCII with \\u escapes when it holds lone surrogates (the only way
    valid JSON carries them). NaN and Infinity are written as the old dashboard's JavaScript could write them."""
    try:
        return json.dumps(document, default=_json_default, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(document, default=_json_default).encode()


def config_files(*, roles: tuple[str, ...], reps: tuple[str, ...]) -> st.SearchStrategy[bytes]:
    documents = config_documents(roles=roles, reps=reps).map(_json_bytes)
    return st.one_of(documents, documents, documents, hostile_files())
