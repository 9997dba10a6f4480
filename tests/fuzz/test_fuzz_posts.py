"""Hostile input to every form, htmx endpoint and import, as the organization's owner (so the access level
never stops a request): never a 5xx, a clear message on refusal, and never a partial write. A success must
store what was typed and show what was stored.

Each example runs in a savepoint that is rolled back, so examples do not see each other's writes; the
organization is made once per route (tests/fuzz/conftest.py). On-commit callbacks (emails, the eager
snapshot refresh) run inside the example, as they would run before a production response is sent.
"""

from collections import Counter

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import transaction
from django.test import TestCase
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.cases import CASES
from tests.fuzz.harness import Sent, fingerprint, fuzz_settings, judge, send

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("route", sorted(CASES))
def test_hostile_posts_are_refused_clearly_and_change_nothing(route, world):
    case = CASES[route]
    verdicts: Counter[str] = Counter()

    @fuzz_settings
    @given(data=st.data())
    def post(data: st.DataObject) -> None:
        with transaction.atomic():
            cache.clear()  # rate limits (sign-up) count per test, not per example
            mail.outbox.clear()
            world.client.cookies.pop("messages", None)  # a message left by the previous example's redirect
            request = case.draw(world, data)
            client = request.client or world.client
            before = fingerprint()
            with TestCase.captureOnCommitCallbacks(execute=True):
                response, encoding, htmx = send(client, data, request.path, request.fields, encodings=case.encodings)
            verdict, reason, messages = judge(response)
            sent = Sent(request.path, encoding, htmx, response, verdict, reason, messages)
            verdicts[verdict] += 1
            if verdict == "error" or not case.writes:
                assert fingerprint() == before, f"{reason}, yet tenant rows changed"
            if verdict == "success" and case.check is not None:
                case.check(world, request, sent)
            transaction.set_rollback(True)

    post()
    assert verdicts["error"] or not case.refuses, f"{route}: no example was refused; the strategies are too tame"
