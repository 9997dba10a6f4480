"""The benchmark's gunicorn: production settings, with one route more (bench/urls.py)."""

from config.settings.production import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
