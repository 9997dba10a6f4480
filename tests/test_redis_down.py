"""Redis down: signing in and every page keep working; only queued work waits (issue 14, item 7).

Redis is the Celery broker and nothing else: sessions and allauth's rate limits live in PostgreSQL, report
fragments in each process's memory."""

import socket

import pytest
from django.test import Client, TestCase

from config.celery import app as celery_app
from oteapp.models import Rep
from tests.factories import PASSWORD, UserFactory, organization_with_members
from tests.oteapp.test_performance_view import worked_example
from tests.routes import organization_routes
from tests.servers import point_celery_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"redis://127.0.0.1:{port}/0"
    settings.REDIS_URL = settings.CELERY_BROKER_URL = url
    previous = celery_app.conf.broker_url
    point_celery_at(url, eager=False)
    yield
    point_celery_at(previous, eager=True)


@pytest.fixture
def owner():
    user = UserFactory(email="owner@acme.example")
    organization = organization_with_members("Acme Insurance", owner=user)
    worked_example(organization)
    return user


def test_signing_in_works_and_a_wrong_password_is_refused_politely(redis_down, owner):
    client = Client()
    refused = client.post("/accounts/login/", {"login": owner.email, "password": "wrong"})
    assert refused.status_code == 200 and "_auth_user_id" not in client.session
    signed_in = client.post("/accounts/login/", {"login": owner.email, "password": PASSWORD})
    assert signed_in.status_code == 302 and client.session["_auth_user_id"] == str(owner.pk)


def test_every_page_answers(redis_down, owner):
    client = Client()
    client.force_login(owner)
    pages = ["/", "/organizations/", "/accounts/password/change/"]
    pages += [route.url(org_slug="acme-insurance") for route in organization_routes()]
    for page in pages:
        response = client.get(f"{page}?month=2026-10")
        assert response.status_code < 500, (page, response.status_code)


def test_an_edit_is_saved_and_a_preview_waits_with_a_message(redis_down, owner, caplog):
    client = Client()
    client.force_login(owner)
    rep = Rep.unscoped.filter(organization__slug="acme-insurance").first()
    with TestCase.captureOnCommitCallbacks(execute=True):
        saved = client.post(
            f"/o/acme-insurance/actuals/rows/{rep.pk}/2026-11/", {"version": "0", "deals": "3"},
            headers={"HX-Request": "true"},
        )
    assert saved.status_code == 200 and "is-saved" in saved.content.decode()
    preview = client.post("/o/acme-insurance/digests/preview/", {"month": "2026-10"}, follow=True)
    assert preview.status_code == 200
    assert "could not be queued just now" in preview.content.decode()


def test_production_keeps_nothing_a_request_needs_in_redis():
    """The suite runs with the same caches and sessions as production: none of them is Redis."""
    import json
    import subprocess
    import sys

    from django.conf import settings

    from tests.test_settings import production_env

    code = (
        "import django, json; django.setup(); from django.conf import settings; "
        "print(json.dumps([settings.SESSION_ENGINE, [c['BACKEND'] for c in settings.CACHES.values()]]))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=settings.BASE_DIR, env=production_env(),
                         capture_output=True, text=True, timeout=60)
    session_engine, caches = json.loads(out.stdout)
    assert session_engine == settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert not any("redis" in backend.lower() for backend in caches), caches
    assert caches == [c["BACKEND"] for c in settings.CACHES.values()]
