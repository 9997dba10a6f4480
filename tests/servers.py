"""The servers as tests reach them: the test database's URL for subprocesses, the broker for the app."""

from urllib.parse import quote

from django.db import connection


def database_url() -> str:
    """Over TCP, or through a Unix socket directory (the embedded server's, scripts/with_servers.py)."""
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else ""
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):  # django-environ's form for a socket directory
        return f"postgres://{db['USER']}{password}@/{host}/{db['NAME']}"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def point_celery_at(broker_url: str, *, eager: bool) -> None:
    """Send the app's tasks to another broker (or run them in-process)."""
    from config.celery import app as celery_app

    celery_app.conf.broker_url = broker_url
    celery_app.conf.task_always_eager = eager
    # The app caches the pool of the broker it first used; forget it (kombu keeps one pool per URL, open).
    celery_app._pool = None
    celery_app.amqp._producer_pool = None
