import pytest

from tests.factories import UserFactory, organization_with_members


@pytest.fixture
def owner(db):
    return UserFactory(email="owner@acme.example")


@pytest.fixture
def organization(owner):
    return organization_with_members("Acme Insurance", owner=owner)


@pytest.fixture
def owner_client(client, owner, organization):
    client.force_login(owner)
    return client


@pytest.fixture
def other_organization(db):
    """Another company, with its own owner, that the tests try to reach."""
    return organization_with_members("Rival Solar", owner=UserFactory(email="owner@rival.example"))


@pytest.fixture(autouse=True)
def _clear_cache(request):
    """Cached report fragments are keyed by organization id and data version, which a rolled-back test can hand
    out again. The default cache (allauth's rate limits) is a database table: a test's transaction takes its
    entries with it, but a transactional test's (live server, real worker) stay, and one test's sign-ups must not
    throttle the next."""
    from django.core.cache import caches

    caches["fragments"].clear()
    if {"live_server", "transactional_db"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db")
        caches["default"].clear()
