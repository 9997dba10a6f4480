"""Hostile query strings and path parameters on every page, partial and download that answers GET: the month
selector's ?month=, the History span, the audit filter and page, the What-If scenario (a GET form), ids and
tokens in the path. Never a 5xx, a bad ?month= is said on the page (or refused for a download), and a GET
never changes a tenant row."""

import re
from urllib.parse import quote, urlencode

import pytest
from django.db import transaction
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from oteapp.months import parse_month
from tests.fuzz.cases import NO_SUCH_ID, ROLE_KEYS, WHATIF_ROLE, WHATIF_SETTINGS, rarely
from tests.fuzz.conftest import World
from tests.fuzz.endpoints import Endpoint, endpoints
from tests.fuzz.harness import EXAMPLES, HTMX, fingerprint, fuzz_settings, html_of, judge
from tests.fuzz.strategies import hostile_text, months_typed, numbers_typed, unicode_text

pytestmark = pytest.mark.django_db

GET_ENDPOINTS = sorted((endpoint for endpoint in endpoints() if "GET" in endpoint.methods), key=lambda e: e.name)
PARAMETER = re.compile(r"<(?:(\w+):)?(\w+)>")


def _parameter(world: World, data: st.DataObject, converter: str, name: str) -> str:
    """A value for one path parameter: by its name where the world knows good ones, else by its converter."""
    if name == "org_slug":
        return world.slug
    if name == "month":
        month = data.draw(months_typed("2025-06", "2026-10"), label="path month")
        return quote(month, safe="", errors="surrogatepass") or "x"
    if name == "token":
        tokens = st.sampled_from([world.invitation_token, world.unsubscribe_token]) | unicode_text
        return quote(data.draw(tokens, label="token"), safe="", errors="surrogatepass") or "x"
    if converter == "int":
        ids = [rep.pk for rep in world.reps.values()] + [world.manager.pk, world.owner_membership.pk, NO_SUCH_ID]
        return str(data.draw(st.sampled_from(ids), label=name))
    if converter == "slug":
        slugs = st.sampled_from([*ROLE_KEYS, "no-such-thing"]) | st.from_regex(r"[-a-zA-Z0-9_]{1,60}", fullmatch=True)
        return data.draw(slugs, label=name)
    return quote(data.draw(unicode_text, label=name), safe="", errors="surrogatepass") or "x"


def _path(endpoint: Endpoint, world: World, data: st.DataObject) -> str:
    return "/" + PARAMETER.sub(lambda m: _parameter(world, data, m.group(1) or "str", m.group(2)), endpoint.pattern)


def _query(endpoint: Endpoint, data: st.DataObject) -> dict[str, str]:
    query: dict[str, str] = {}
    for name, values in (
        ("month", months_typed("2026-10", "2025-06")),
        ("months", st.sampled_from(["12", "24", "36", "0", "-12", "999999999999", "\uff11\uff12"]) | unicode_text),
        ("kind", st.sampled_from(["actuals", "ote", "quota", "rate", "reps", "members", "other"]) | hostile_text),
        ("page", st.sampled_from(["1", "2", "0", "-1", "last", "99999999999999999999", "\x00"]) | hostile_text),
        (
            "period",
            st.sampled_from(["2026-Q4", "2026-ytd", "2026-10", "2025-Q2", "2026-Q5", "0000-Q1", "9999-ytd", "2026-13"])
            | unicode_text,
        ),
    ):
        if data.draw(st.booleans(), label=f"with {name}"):
            query[name] = data.draw(values, label=name)
    if endpoint.name == "oteapp:whatif" and data.draw(st.booleans(), label="scenario"):
        query["target_revenue"] = data.draw(numbers_typed(high=10**7), label="target_revenue")
        for name, strategy in WHATIF_SETTINGS.items():
            query[name] = data.draw(strategy, label=name)
        for key in ROLE_KEYS:
            query[f"role-{key}-headcount"] = data.draw(st.sampled_from(["", "2", "5000", "5001", "-1"]) | unicode_text)
            query[f"role-{key}-productivity_change"] = data.draw(numbers_typed(low=-100, high=1000))
            for name, strategy in WHATIF_ROLE.items():
                query[f"role-{key}-{name}"] = data.draw(strategy, label=f"{key} {name}")
    return query


def _invalid_month(query: dict[str, str]) -> bool:
    if not query.get("month"):
        return False
    try:
        parse_month(query["month"])
    except ValueError:
        return True
    return False


def _invalid_period(text: str) -> bool:
    from datetime import date

    from oteapp.engine import parse_period

    try:
        parse_period(text.strip(), as_of=date.today())
    except ValueError:
        return True
    return False


@pytest.mark.parametrize("endpoint", GET_ENDPOINTS, ids=lambda endpoint: endpoint.name)
def test_hostile_query_strings_and_paths_are_answered_without_writing(endpoint, world):
    @settings(fuzz_settings, max_examples=max(1, EXAMPLES * 10 // 24))
    @given(data=st.data())
    def get(data: st.DataObject) -> None:
        with transaction.atomic():
            query = _query(endpoint, data)
            path = _path(endpoint, world, data)
            headers = dict(HTMX) if data.draw(st.booleans(), label="htmx") else {}
            if headers and data.draw(st.booleans(), label="hx-target"):
                headers["HX-Target"] = data.draw(st.sampled_from(["whatif-results", "tab", "x"]), label="target")
            client = Client() if rarely(data, "signed out", 1 / 5) else world.client
            before = fingerprint()
            query_string = urlencode(query, errors="surrogatepass")  # a lone surrogate as its (invalid) bytes
            response = client.get(f"{path}?{query_string}" if query else path, headers=headers)
            judge(response)
            assert fingerprint() == before, "a GET changed tenant rows"
            html = html_of(response)
            if response.status_code == 200 and 'class="month-selector' in html:
                if _invalid_month(query) and "period" not in query:
                    assert "is not a month; showing" in html, "the page silently shows another month than asked"
                if query.get("period") and _invalid_period(query["period"]) and 'class="month-selector period' in html:
                    assert "; showing" in html, "the page silently shows another period than asked"
            if endpoint.name in ("oteapp:report_csv", "oteapp:report_json") and client is world.client:
                assert (response.status_code == 400) == _invalid_month(query), "a download of another month"
            transaction.set_rollback(True)

    get()
