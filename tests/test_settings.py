import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "k" * 20 + "production-secret-with-enough-entropy-0123456789",
    "DJANGO_ALLOWED_HOSTS": "ote.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "EMAIL_URL": "smtp+tls://user:pw@smtp.example.com:587",
}


def production_env() -> dict[str, str]:
    # The browser tests' async escape hatch must not reach a production process.
    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    return {**inherited, **PRODUCTION_ENV}


def test_check_deploy_is_clean_with_production_environment():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=production_env(), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_healthz_answers_without_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"


def test_sign_in_uses_the_stock_backends(settings):
    """Issue 15: Django's own session and authentication backends, with allauth's beside them, nothing hand-made."""
    assert settings.AUTHENTICATION_BACKENDS == [
        "django.contrib.auth.backends.ModelBackend",
        "allauth.account.auth_backends.AuthenticationBackend",
    ]
    stock_sessions = ("django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db")
    assert settings.SESSION_ENGINE in stock_sessions


def test_local_state_stays_out_of_git():
    """The embedded servers' data and Celery beat's schedule file are never committed."""
    for path in (".data/postgres/PG_VERSION", "celerybeat-schedule", "celerybeat-schedule.db"):
        result = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
        assert result.returncode == 0, f"{path} is not ignored by git"
