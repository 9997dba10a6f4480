"""Before the suite: are PostgreSQL and Redis reachable? Says how to start them if not."""

import os
import sys

import psycopg
import redis

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


def main() -> int:
    problems = []
    try:
        # The suite creates its own test database; reaching the server is what matters.
        server_url = DATABASE_URL.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(server_url, connect_timeout=3):
            pass
    except psycopg.Error as error:
        problems.append(
            f"PostgreSQL is not reachable at {DATABASE_URL} ({str(error).strip().splitlines()[0]}).\n"
            "  Start it: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n"
            "  or set DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/DBNAME"
        )
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        problems.append(
            f"Redis is not reachable at {REDIS_URL} ({error}).\n"
            '  Start it: redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\n'
            "  or set REDIS_URL=redis://HOST:PORT/DB"
        )
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
