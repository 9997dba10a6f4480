"""The Advisor's optional summary: off without a key; with one, exactly the shown payload is sent (aggregates only),
the answer is shown, and a failing or slow service is a clear message. A fake transport, never the network."""

import json
from datetime import date
from functools import partial

import httpx2
import pytest

from oteapp import narrative
from oteapp.views import advisor
from tests.oteapp.test_performance_view import OCTOBER, worked_example

pytestmark = pytest.mark.django_db

MONTHS = (date(2026, 7, 1), date(2026, 8, 1), date(2026, 9, 1), OCTOBER)


@pytest.fixture
def history(organization):
    worked_example(organization, months=MONTHS)
    return organization


@pytest.fixture
def sent(monkeypatch, settings):
    """Requests reaching the fake Anthropic API; `answer` decides its reply."""
    settings.ANTHROPIC_API_KEY = "test-key"
    requests: list[httpx2.Request] = []
    state = {"answer": lambda request: httpx2.Response(200, json=message("Start with the setters' quota."))}

    def handler(request: httpx2.Request) -> httpx2.Response:
        requests.append(request)
        return state["answer"](request)

    client = httpx2.Client(transport=httpx2.MockTransport(handler))
    monkeypatch.setattr(advisor, "narrative_write", partial(narrative.narrative_write, http_client=client))
    return requests, state


def message(text: str) -> dict:
    return {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-sonnet-5-5",
        "content": [{"type": "text", "text": text}], "stop_reason": "end_turn", "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 10},
    }


def test_off_by_default(owner_client, history, settings):
    settings.ANTHROPIC_API_KEY = ""
    html = owner_client.get(f"/o/{history.slug}/advisor/").content.decode()
    assert "Off: the operator has not configured a language model" in html
    assert "Write a summary" not in html


def test_the_payload_shown_is_exactly_what_is_sent_and_names_no_one(owner_client, history, sent):
    requests, _ = sent
    page = owner_client.get(f"/o/{history.slug}/advisor/").content.decode()
    assert "Exactly what is sent" in page

    html = owner_client.post(f"/o/{history.slug}/advisor/summary/", HTTP_HX_REQUEST="true").content.decode()

    assert "Start with the setters&#x27; quota." in html or "Start with the setters' quota." in html
    body = json.loads(requests[0].content)
    sent_payload = body["messages"][0]["content"]
    shown = page.split('<pre class="payload">')[1].split("</pre>")[0]
    assert sent_payload == shown.replace("&quot;", '"').replace("&#x27;", "'").replace("&amp;", "&")
    names = ["Ana", "Ben", "Cy", "Dee", "Eli", "Fay", "Gus", "owner@", "@"]
    assert not any(name in sent_payload for name in names)


def test_a_failing_service_is_a_clear_message(owner_client, history, sent):
    _, state = sent
    state["answer"] = lambda request: httpx2.Response(529, json={"type": "error", "error": {"type": "overloaded_error",
                                                                                             "message": "Overloaded"}})
    html = owner_client.post(f"/o/{history.slug}/advisor/summary/").content.decode()
    assert "The language model service failed (HTTP 529)" in html
    assert "Set quotas and rates to what your history supports" in html  # the page is complete without it


def test_a_timeout_is_a_clear_message(owner_client, history, sent):
    _, state = sent

    def slow(request):
        raise httpx2.ReadTimeout("timed out", request=request)

    state["answer"] = slow
    html = owner_client.post(f"/o/{history.slug}/advisor/summary/").content.decode()
    assert "did not answer within 20 seconds" in html

