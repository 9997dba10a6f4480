"""The rate limit per key under concurrent requests, through a live server: a burst sent at once gets exactly the
limit's worth of answers, the rest 429 with Retry-After, and another key of the same organization is not affected."""

import http.client
import threading
from urllib.parse import urlsplit

import pytest

from tests.api.client import key_for

pytestmark = pytest.mark.django_db(transaction=True)


def _burst(url: str, key: str, count: int) -> list[tuple[int, str | None]]:
    answers = []
    start = threading.Barrier(count)
    parts = urlsplit(url)

    def send() -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        start.wait()
        try:
            connection.request("GET", parts.path, headers={"Authorization": f"Bearer {key}"})
            response = connection.getresponse()
            answers.append((response.status, response.getheader("Retry-After")))
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_a_burst_of_concurrent_requests_gets_no_more_than_the_limit(live_server, organization, settings):
    settings.API_RATE_LIMIT = 5
    settings.API_RATE_LIMIT_WINDOW = 600
    url = live_server.url + "/api/v1/reps"
    answers = _burst(url, key_for(organization), 20)
    statuses = sorted(status for status, _ in answers)
    assert statuses == [200] * 5 + [429] * 15
    assert all(1 <= int(retry_after) <= 600 for status, retry_after in answers if status == 429)
    assert all(retry_after is None for status, retry_after in answers if status == 200)
    other_key = key_for(organization, name="another system")
    assert sorted(status for status, _ in _burst(url, other_key, 3)) == [200, 200, 200]
