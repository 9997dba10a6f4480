"""The test database's URL, for the subprocesses a test starts (a Celery worker, manage.py)."""

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
