"""Background jobs: monthly snapshots, digests, and the thin Celery tasks that run them."""
