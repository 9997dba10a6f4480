"""Fixtures of the API tests: a client with a write key, and one with a read key."""

import pytest

from tests.api.client import ApiClient, key_for


@pytest.fixture
def api(organization):
    return ApiClient(key_for(organization))


@pytest.fixture
def read_api(organization):
    return ApiClient(key_for(organization, scope="read"))
