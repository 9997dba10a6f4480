"""Fixtures of the API tests: a client with a write key, and one with a read key; worked example B of the payouts'
tests for the statements and payroll."""

import pytest

from tests.api.client import ApiClient, key_for
from tests.payouts.conftest import example_b  # noqa: F401 (a fixture, found by its name)


@pytest.fixture
def api(organization):
    return ApiClient(key_for(organization))


@pytest.fixture
def read_api(organization):
    return ApiClient(key_for(organization, scope="read"))
