"""Load and faults on loopback (issue 6), run by hand, not in CI:

    .venv/bin/python scripts/load_fault.py [--doc docs/load-and-faults.md]

The app under gunicorn with production settings (DEBUG off, no SSL redirect, ALLOWED_HOSTS=127.0.0.1) on its
own PostgreSQL database (`oteapp_load`, dropped and migrated fresh), its own Redis server (port 6390, started
here, never the shared 6379), a real Celery worker and beat, and an SMTP server on loopback that counts every
message per recipient. 50 clients send a mix of reads (Team Performance page and partial, Overview, the
Actuals grid) and actuals row edits (the row's version, the CSRF token) for 60 s. Meanwhile it triggers the
month's digests, SIGKILLs the worker while they are being sent and starts another, and stops and restarts
Redis. Afterwards: requests, 5xx (must be 0), edits acknowledged vs found in the database and the audit trail
(must be equal), what the web answered while Redis was down, that jobs resumed, that no digest went out twice.
Then the cost of row-level security: the same read load with DATABASE_RLS_ROLE="" and with the default.

Everything it starts is in its own process group and stopped in `finally`; every wait is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import json
import os
import random
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the project's packages (config, accounts, oteapp, bench)
LOOPBACK = "127.0.0.1"  # the only address this script sends anything to
VENV_BIN = Path(sys.executable).parent
PASSWORD = "load-password-not-secret"  # noqa: S105 (a throwaway database's users)
RESULTS_START, RESULTS_END = "<!-- load-fault results start -->", "<!-- load-fault results end -->"
# Small organizations beside the main one, so that digests go to several organizations and people.
SMALL_ORGANIZATIONS = ("load-b", "load-c", "load-d", "load-e")
MAIN_ORGANIZATION = "load-a"
UNIT_FIELD = {"closer": "deals", "setter": "meetings", "manager": "team_deals"}
# The other fields of each kind's row, sent blank (they are blank in the generated data, so an edit changes
# exactly one field and writes exactly one audit event).
OTHER_FIELDS = {"closer": ("revenue",), "setter": ("deals",), "manager": ()}
READS = {"performance": 20, "performance_partial": 15, "overview": 15, "grid": 10, "grid_partial": 10}
EDIT_WEIGHT = 30
CONTENDED_SHARE = 0.05  # of edits: on two rows every client of the main organization edits (conflicts)


def log(message: str) -> None:
    print(f"[load {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def port_open(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.5):
        return True
    return False


def wait_until(check: Callable[[], bool], *, timeout: float, what: str, interval: float = 0.2) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(interval)
    raise TimeoutError(f"{what}: not after {timeout:.0f}s")


@dataclass
class Config:
    database: str
    pg_server: str
    redis_port: int
    redis_db: int
    clients: int
    duration: float
    rls_duration: float
    rls_rounds: int
    web_workers: int
    keep_db: bool
    doc: Path | None
    web_port: int = field(default_factory=free_port)
    smtp_port: int = field(default_factory=free_port)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))
    workdir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="oteapp-load-")))

    def __post_init__(self) -> None:
        # This script drops and recreates its database and restarts its Redis: refuse anything shared.
        if not self.database.startswith("oteapp_load"):
            raise SystemExit(f"--database must start with 'oteapp_load' (got {self.database!r}).")
        if self.redis_port == 6379:
            raise SystemExit("--redis-port must not be 6379: that Redis is shared; this script restarts its own.")

    @property
    def redis_url(self) -> str:
        return f"redis://{LOOPBACK}:{self.redis_port}/{self.redis_db}"

    def django_env(self, *, rls: bool = True) -> dict[str, str]:
        """Production settings on this run's database, Redis and SMTP server. Cookies keep their Secure flag:
        this script's client sends them itself, and Django only checks the Referer on HTTPS."""
        env = {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": self.secret_key,
            "DJANGO_ALLOWED_HOSTS": LOOPBACK,
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": f"{self.pg_server}/{self.database}",
            "REDIS_URL": self.redis_url,
            "EMAIL_URL": f"smtp://{LOOPBACK}:{self.smtp_port}",
            "DEFAULT_FROM_EMAIL": "OTE Load <load@load.example>",
            "SITE_URL": f"http://{LOOPBACK}:{self.web_port}",
            "LOG_LEVEL": "WARNING",
            # Digests of last month are created whatever today's date (the window is 7 days after month close),
            # and a claim of a killed worker is taken over within the run (600 s in production).
            "DIGEST_SEND_WINDOW_DAYS": "31",
            "DIGEST_SENDING_TIMEOUT_SECONDS": "15",
            "PYTHONUNBUFFERED": "1",
        }
        if not rls:
            env["DATABASE_RLS_ROLE"] = ""
        return env


# --- processes ----------------------------------------------------------------------------------------------


class Processes:
    """Every process started here, each in its own group (gunicorn's and Celery's children included)."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self._procs: dict[str, subprocess.Popen] = {}

    def start(self, name: str, args: list[str], *, env: dict[str, str] | None = None) -> subprocess.Popen:
        log_file = (self.workdir / f"{name}.log").open("ab")
        proc = subprocess.Popen(  # noqa: S603 (our own interpreter and tools, fixed arguments)
            args,
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log_file.close()  # the child holds its own descriptor
        self._procs[name] = proc
        return proc

    def kill(self, name: str) -> None:
        """SIGKILL the whole group: a crash, not a shutdown."""
        proc = self._procs.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def stop(self, name: str, *, timeout: float = 15.0) -> None:
        proc = self._procs.pop(name, None)
        if proc is None:
            return
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # children that outlived their leader
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(5)

    def running(self, name: str) -> bool:
        return name in self._procs and self._procs[name].poll() is None

    def stop_all(self) -> None:
        for name in reversed(list(self._procs)):
            try:
                self.stop(name, timeout=5.0)
            except Exception as error:  # keep stopping the others
                log(f"could not stop {name}: {error}")


def start_redis(cfg: Config, procs: Processes) -> None:
    # No persistence, like a cache-sized broker: a restart loses the queue, so resuming relies on the app
    # (the hourly month close re-enqueues due digests; each edit schedules its refresh again).
    args = ["redis-server", "--port", str(cfg.redis_port), "--bind", LOOPBACK, "--save", "", "--appendonly", "no",
            "--dir", str(cfg.workdir)]
    procs.start("redis", args)
    wait_until(lambda: port_open(cfg.redis_port), timeout=15, what="redis-server listening")


def start_web(cfg: Config, procs: Processes, *, rls: bool) -> None:
    args = [str(VENV_BIN / "gunicorn"), "config.wsgi", "--bind", f"{LOOPBACK}:{cfg.web_port}",
            "--workers", str(cfg.web_workers), "--timeout", "60", "--backlog", "256",
            "--access-logfile", str(cfg.workdir / f"access-{'rls' if rls else 'norls'}.log")]
    procs.start("web", args, env=cfg.django_env(rls=rls))
    wait_until(lambda: port_open(cfg.web_port), timeout=30, what="gunicorn listening")


def start_worker(cfg: Config, procs: Processes, name: str) -> None:
    args = [str(VENV_BIN / "celery"), "-A", "config", "worker", "--loglevel=INFO", "--concurrency=1",
            "--pool=prefork", "--without-gossip", "--without-mingle", f"--hostname={name}@load"]
    procs.start(name, args, env={**cfg.django_env(), "LOG_LEVEL": "INFO"})
    log_path = cfg.workdir / f"{name}.log"
    wait_until(lambda: " ready." in log_path.read_text(errors="replace"), timeout=60, what=f"{name} ready")


def start_beat(cfg: Config, procs: Processes) -> None:
    # Exactly one beat; its schedule file and pid file live in the run's own directory.
    args = [str(VENV_BIN / "celery"), "-A", "config", "beat", "--loglevel=INFO",
            "-s", str(cfg.workdir / "beat-schedule"), "--pidfile", str(cfg.workdir / "beat.pid")]
    procs.start("beat", args, env=cfg.django_env())


# --- SMTP on loopback -----------------------------------------------------------------------------------


class SmtpCounter:
    """aiosmtpd in a thread: every accepted message, by recipient. Each message waits `delay` seconds at MAIL
    FROM, before its data is accepted, so that a worker killed mid-batch dies before acceptance."""

    def __init__(self, port: int, *, delay: float) -> None:
        from aiosmtpd.controller import Controller

        self.delay = delay
        self.per_recipient: Counter[str] = Counter()
        self.message_ids: Counter[str] = Counter()
        self.accepted_at: list[float] = []
        self._lock = threading.Lock()
        self.controller = Controller(self, hostname=LOOPBACK, port=port)

    async def handle_MAIL(self, server, session, envelope, address, mail_options) -> str:
        await asyncio.sleep(self.delay)
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        content = envelope.content.decode("utf-8", "replace") if isinstance(envelope.content, bytes) else ""
        match = re.search(r"^Message-ID:\s*(\S+)", content, re.M | re.I)
        with self._lock:
            for recipient in envelope.rcpt_tos:
                self.per_recipient[recipient.lower()] += 1
            self.message_ids[match.group(1) if match else "?"] += 1
            self.accepted_at.append(time.monotonic())
        return "250 OK"

    @property
    def total(self) -> int:
        with self._lock:
            return sum(self.per_recipient.values())


# --- data ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One actuals row the load edits: a rep in a month, its unit field."""

    org_slug: str
    rep_id: int
    rep_name: str
    kind: str
    month: str  # YYYY-MM

    @property
    def field(self) -> str:
        return UNIT_FIELD[self.kind]


@dataclass
class Org:
    slug: str
    users: list[str]  # emails of members who can enter actuals
    recipients: list[str]  # emails that get the digest
    rows: list[Row]


def recreate_database(cfg: Config) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(f"{cfg.pg_server}/postgres", autocommit=True) as conn:
        name = sql.Identifier(cfg.database)
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def drop_database(cfg: Config) -> None:
    import psycopg
    from django.db import connections
    from psycopg import sql

    connections.close_all()
    with psycopg.connect(f"{cfg.pg_server}/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(cfg.database)))


def make_data(months: list[date]) -> list[Org]:
    """One organization of 60 reps and four of 12, each rep with a row in every month; owners, an admin and
    managers (digest recipients) and a viewer (none). Built with the app's own services and models."""
    from accounts.models import MemberRole, Membership, User
    from accounts.services import organization_create
    from accounts.tenancy import organization_context
    from oteapp.models import MonthlyActual, OrganizationSettings, Rep, SalesRole
    from oteapp.months import format_month

    rng = random.Random(6)
    orgs = []
    for slug, reps, managers in ((MAIN_ORGANIZATION, 60, 4), *((slug, 12, 1) for slug in SMALL_ORGANIZATIONS)):
        owner = User.objects.create_user(f"owner@{slug}.example", PASSWORD)
        organization = organization_create(name=f"Load {slug[-1].upper()}", owner=owner, slug=slug)
        members = {"owner": [owner.email]}
        with organization_context(organization):
            roles = [("manager", f"manager{n}") for n in range(1, managers + 1)]
            if slug == MAIN_ORGANIZATION:
                roles += [("admin", "admin"), ("viewer", "viewer")]
            for role, local in roles:
                user = User.objects.create_user(f"{local}@{slug}.example", PASSWORD)
                Membership.objects.create(organization=organization, user=user, role=MemberRole(role))
                members.setdefault(role, []).append(user.email)
            OrganizationSettings.objects.filter(organization=organization).update(
                deal_value=Decimal("11340"), monthly_operating_expenses=Decimal("9000")
            )
            by_kind = {role.kind: role for role in SalesRole.objects.filter(organization=organization)}
            kinds = ["closer"] * (reps * 6 // 10) + ["setter"] * (reps * 3 // 10) + ["manager"] * (reps // 10)
            created = Rep.objects.bulk_create(
                Rep(organization=organization, role=by_kind[kind], name=f"{kind.title()} {n:03d}", start_date=months[0])
                for n, kind in enumerate(kinds, start=1)
            )
            units = {"closer": (0, 9), "setter": (20, 60), "manager": (20, 50)}
            MonthlyActual.objects.bulk_create(
                MonthlyActual(
                    organization=organization, rep=rep, month=month,
                    **{UNIT_FIELD[kind]: Decimal(rng.randint(*units[kind]))},
                )
                for rep, kind in zip(created, kinds, strict=True)
                for month in months
            )
        edited = [format_month(month) for month in months[-2:]]  # last month (closed) and this month (open)
        reps_and_kinds = list(zip(created, kinds, strict=True))
        rows = [Row(slug, rep.pk, rep.name, kind, month) for rep, kind in reps_and_kinds for month in edited]
        users = members["owner"] + members.get("admin", []) + members.get("manager", [])
        orgs.append(Org(slug=slug, users=users, recipients=users, rows=rows))
    return orgs


# --- the HTTP client ----------------------------------------------------------------------------------------


@dataclass
class Sample:
    kind: str
    start: float
    end: float
    status: int  # 0: no answer (socket error, timeout)


@dataclass(frozen=True)
class Ack:
    """An edit the server acknowledged ("Saved"): what it stored, at which version."""

    row: Row
    value: str
    version: int


VERSION = re.compile(r'name="version" value="(\d+)"')


class Client:
    """One person's browser: a session cookie, the CSRF cookie and token, their own rows and versions."""

    def __init__(self, port: int, org: Org, session_key: str, rows: list[Row], contended: list[Row]) -> None:
        self.port = port
        self.org = org
        self.cookies = {"sessionid": session_key}
        self.token = ""
        self.rows = rows
        self.contended = contended
        self.versions: dict[Row, int | None] = dict.fromkeys(rows + contended, 1)  # the generated rows are at 1
        self.values: dict[Row, int] = {}
        self.samples: list[Sample] = []
        self.acks: list[Ack] = []
        self.conflicts = 0
        self.unknown_edits = 0  # edits without an answer: maybe written, never acknowledged
        self.rng = random.Random()

    def request(
        self, kind: str, method: str, path: str, *, body: str = "", headers: dict[str, str] | None = None
    ) -> tuple[int, str]:
        all_headers = {"Host": f"{LOOPBACK}:{self.port}", "Connection": "close", **(headers or {})}
        all_headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        start = time.monotonic()
        status, text = 0, ""
        try:
            conn = http.client.HTTPConnection(LOOPBACK, self.port, timeout=60)
            try:
                conn.request(method, path, body=body.encode() or None, headers=all_headers)
                response = conn.getresponse()
                text = response.read().decode("utf-8", "replace")
                status = response.status
                for cookie in response.headers.get_all("Set-Cookie") or []:
                    name, _, rest = cookie.partition("=")
                    if name in ("csrftoken", "sessionid"):
                        self.cookies[name] = rest.split(";", 1)[0]
            finally:
                conn.close()
        except OSError:
            status = 0
        self.samples.append(Sample(kind, start, time.monotonic(), status))
        return status, text

    def get_page(self, kind: str, path: str, *, htmx: bool) -> tuple[int, str]:
        status, text = self.request(kind, "GET", path, headers={"HX-Request": "true"} if htmx else None)
        token = re.search(r'"X-CSRFToken": "([^"]+)"', text)
        if token:
            self.token = token.group(1)
        return status, text

    def resync(self, row: Row) -> None:
        """After an edit without an answer: read the row's version from the grid again."""
        status, text = self.get_page("grid_partial", f"/o/{self.org.slug}/actuals/?month={row.month}", htmx=True)
        found = re.search(rf'actuals/rows/{row.rep_id}/{row.month}/".*?name="version" value="(\d+)"', text, re.S)
        self.versions[row] = int(found.group(1)) if status == 200 and found else None

    def edit(self, row: Row) -> None:
        if self.versions.get(row) is None:
            self.resync(row)
            if self.versions.get(row) is None:
                return
        # The first edit of a row: 100..999, above every generated value, so it always changes the row.
        previous = self.values.get(row)
        value = str(self.rng.randint(100, 999) if previous is None else (previous + self.rng.randint(1, 9)) % 1000)
        fields = {"version": str(self.versions[row]), row.field: value, **dict.fromkeys(OTHER_FIELDS[row.kind], "")}
        body = "&".join(f"{name}={text}" for name, text in fields.items())
        status, text = self.request(
            "edit",
            "POST",
            f"/o/{self.org.slug}/actuals/rows/{row.rep_id}/{row.month}/",
            body=body,
            headers={
                "HX-Request": "true",
                "X-CSRFToken": self.token,
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        version = VERSION.search(text)
        if status == 200 and "is-saved" in text and version:
            self.versions[row] = int(version.group(1))
            self.values[row] = int(value)
            self.acks.append(Ack(row, value, int(version.group(1))))
        elif status == 200 and "is-conflict" in text and version:
            self.conflicts += 1  # someone else saved first: the answer carries their version
            self.versions[row] = int(version.group(1))
        else:
            self.unknown_edits += 1 if status == 0 else 0
            self.versions[row] = None

    def run(self, deadline: float, *, months: tuple[str, str], edits: bool) -> None:
        slug = self.org.slug
        self.get_page("grid", f"/o/{slug}/actuals/?month={months[1]}", htmx=False)  # the CSRF cookie and token
        choices = list(READS) + (["edit"] if edits else [])
        weights = list(READS.values()) + ([EDIT_WEIGHT] if edits else [])
        while time.monotonic() < deadline:
            kind = self.rng.choices(choices, weights)[0]
            month = self.rng.choice(months)
            if kind == "edit":
                shared = self.contended and (not self.rows or self.rng.random() < CONTENDED_SHARE)
                if shared or self.rows:
                    self.edit(self.rng.choice(self.contended if shared else self.rows))
            elif kind.startswith("performance"):
                self.get_page(kind, f"/o/{slug}/performance/?month={month}", htmx=kind.endswith("partial"))
            elif kind == "overview":
                self.get_page(kind, f"/o/{slug}/?month={month}", htmx=False)
            else:
                self.get_page(kind, f"/o/{slug}/actuals/?month={month}", htmx=kind.endswith("partial"))


def make_clients(cfg: Config, orgs: list[Org]) -> list[Client]:
    """Four in five clients work in the main organization; each owns a share of its organization's rows, so
    that their versions stay their own, plus two rows every main-organization client edits now and then."""
    from bench.datagen import session_cookie

    main, small = orgs[0], orgs[1:]
    counts = {main.slug: cfg.clients - cfg.clients // 5}
    for index, org in enumerate(small):
        counts[org.slug] = cfg.clients // 5 // len(small) + (index < cfg.clients // 5 % len(small))
    contended = main.rows[:2]
    clients = []
    for org in orgs:
        count = counts[org.slug]
        own = [row for row in org.rows if row not in contended]
        for index in range(count):
            email = org.users[index % len(org.users)]
            session = session_cookie(email=email, slug=org.slug)
            rows = own[index::count]
            clients.append(Client(cfg.web_port, org, session, rows, contended if org is main else []))
    return clients


def run_clients(clients: list[Client], seconds: float, *, months: tuple[str, str], edits: bool) -> float:
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=client.run, args=(deadline,), kwargs={"months": months, "edits": edits}, daemon=True)
        for client in clients
    ]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 90)  # a request in flight at the deadline may take its full timeout
    return time.monotonic() - start


def percentile(values: list[float], share: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


# --- the faults ---------------------------------------------------------------------------------------------


@dataclass
class Timeline:
    load_start: float = 0.0
    redis_down: float = 0.0
    redis_up: float = 0.0
    worker_killed: float = 0.0
    worker_killed_after_messages: int = 0
    worker_restarted: float = 0.0
    sweeps: int = 0
    notes: list[str] = field(default_factory=list)


def send_task(name: str) -> bool:
    """Enqueue like beat does; False while the broker is down (beat retries on its next tick)."""
    from config.celery import app

    try:
        app.send_task(name, retry=False)
    except Exception:  # the broker is down: kombu raises its own connection errors
        return False
    return True


def faults(cfg: Config, procs: Processes, smtp: SmtpCounter, timeline: Timeline, stop: threading.Event) -> None:
    """The fault schedule, in the load's time: digests at 5 s (sent twice, like two beats), the worker killed
    while they go out, Redis down from 30 s for 5 s, and a month-close sweep every 10 s (beat does it hourly)."""

    def at(second: float) -> bool:
        return not stop.wait(max(0.0, timeline.load_start + second - time.monotonic()))

    if not at(5):
        return
    send_task("oteapp.month_close")
    send_task("oteapp.month_close")
    deadline = time.monotonic() + 20
    while smtp.total < 4 and time.monotonic() < deadline and not stop.is_set():
        time.sleep(0.05)
    # 0.3 s after an acceptance the worker has recorded it as sent and waits, holding its claim on the next
    # delivery, for the server (0.7 s): the kill lands there, not in the round trip between acceptance and
    # commit where a resend is the documented at-least-once case (docs/jobs.md).
    time.sleep(0.3)
    timeline.worker_killed_after_messages = smtp.total
    procs.kill("worker-1")
    timeline.worker_killed = time.monotonic()
    log(f"worker SIGKILLed after {smtp.total} digests had been accepted")
    if not at(timeline.worker_killed - timeline.load_start + 2):
        return
    start_worker(cfg, procs, "worker-2")
    timeline.worker_restarted = time.monotonic()
    log("a new worker is ready")
    next_sweep = 20.0
    redis_done = False
    while not stop.is_set():
        elapsed = time.monotonic() - timeline.load_start
        if not redis_done and elapsed >= 30:
            procs.stop("redis", timeout=10)
            timeline.redis_down = time.monotonic()
            log("Redis stopped")
            if not at(35):
                return
            start_redis(cfg, procs)
            timeline.redis_up = time.monotonic()
            log("Redis is back")
            redis_done = True
        if elapsed >= next_sweep:
            timeline.sweeps += send_task("oteapp.month_close")
            next_sweep += 10
        stop.wait(0.2)


# --- checks -------------------------------------------------------------------------------------------------


def writes_check(acks: list[Ack]) -> dict:
    """Every acknowledged edit, as (rep, month, field, value, version), against what the database holds: the
    row's final value and version, and the audit trail, whose k-th event of a row is its version k + 1 (the
    generated rows start at version 1 without an event, and each edit here changes exactly one field)."""
    from oteapp.models import AuditEvent, MonthlyActual

    acknowledged = {(a.row.rep_id, a.row.month, a.row.field, a.value, a.version) for a in acks}
    rows = {a.row for a in acks}
    found: set[tuple] = set()
    final_mismatch = []
    for row in rows:
        subject = f"{row.rep_name} · {row.month}"
        events = (
            AuditEvent.unscoped.filter(organization__slug=row.org_slug, action="actual_update", subject=subject)
            .filter(field=row.field)
            .order_by("id")
            .values_list("new_value", flat=True)
        )
        for index, value in enumerate(events):
            found.add((row.rep_id, row.month, row.field, value, index + 2))
        actual = MonthlyActual.unscoped.get(rep_id=row.rep_id, month=f"{row.month}-01")
        last = max((a for a in acks if a.row == row), key=lambda a: a.version)
        stored = format(getattr(actual, row.field).normalize(), "f")
        if (stored, actual.version) != (last.value, last.version):
            final_mismatch.append((row, stored, actual.version, last.value, last.version))
    return {
        "acknowledged": len(acknowledged),
        "found": len(acknowledged & found),
        "missing": sorted(acknowledged - found)[:5],
        "unacknowledged_in_db": len(found - acknowledged),
        "rows": len(rows),
        "final_mismatch": final_mismatch[:5],
    }


def snapshots_stale(orgs: list[Org], months: list[str]) -> int:
    """How many snapshot rows recomputing the edited months would write now (0: the jobs caught up)."""
    from django.db import transaction

    from accounts.models import Organization
    from oteapp.jobs.snapshots import snapshots_compute
    from oteapp.months import parse_month

    ids = Organization.objects.filter(slug__in=[org.slug for org in orgs]).values_list("pk", flat=True)
    with transaction.atomic():
        stats = snapshots_compute(months_by_organization={pk: [parse_month(m) for m in months] for pk in ids})
        transaction.set_rollback(True)  # only looking
    return stats.rows_written


def snapshots_recomputed_after(moment_epoch: float, orgs: list[Org], months: list[str]) -> tuple[int, int]:
    from datetime import UTC, datetime

    from oteapp.models import MonthlySnapshot
    from oteapp.months import parse_month

    snapshots = MonthlySnapshot.unscoped.filter(
        organization__slug__in=[org.slug for org in orgs], month__in=[parse_month(m) for m in months]
    )
    after = datetime.fromtimestamp(moment_epoch, tz=UTC)
    return snapshots.filter(computed_at__gt=after).count(), snapshots.count()


def deliveries() -> Counter[str]:
    from oteapp.models import DigestDelivery

    return Counter(DigestDelivery.unscoped.values_list("state", flat=True))


def deliveries_claimed_twice() -> int:
    """Deliveries a second worker had to claim again (the first one died holding the claim)."""
    from oteapp.models import DigestDelivery

    return DigestDelivery.unscoped.filter(attempts__gt=1).count()


def task_errors(workdir: Path) -> int:
    """Tasks the workers logged as failed (a SIGKILLed worker logs nothing; its replacement logs the rest)."""
    return sum(
        len(re.findall(r"raised unexpected|Task .* failed", path.read_text(errors="replace")))
        for path in workdir.glob("worker-*.log")
    )


def queue_length(cfg: Config) -> int:
    import redis

    try:
        return redis.Redis.from_url(cfg.redis_url, socket_timeout=2).llen("celery")
    except redis.RedisError:
        return -1


# --- the report ---------------------------------------------------------------------------------------------


def summarize(samples: list[Sample], seconds: float) -> dict:
    kinds = sorted({sample.kind for sample in samples})
    by_kind = {}
    for kind in kinds:
        mine = [s for s in samples if s.kind == kind]
        by_kind[kind] = {
            "requests": len(mine),
            "p50_ms": percentile([(s.end - s.start) * 1000 for s in mine], 0.5),
            "p95_ms": percentile([(s.end - s.start) * 1000 for s in mine], 0.95),
        }
    return {
        "requests": len(samples),
        "rps": len(samples) / seconds if seconds else 0.0,
        "p50_ms": percentile([(s.end - s.start) * 1000 for s in samples], 0.5),
        "p95_ms": percentile([(s.end - s.start) * 1000 for s in samples], 0.95),
        "statuses": dict(Counter(s.status for s in samples)),
        "5xx": sum(1 for s in samples if s.status >= 500),
        "no_answer": sum(1 for s in samples if s.status == 0),
        "by_kind": by_kind,
    }


def access_log_5xx(path: Path) -> int:
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text(errors="replace").splitlines() if re.search(r'" 5\d\d ', line))


def markdown(result: dict) -> str:
    load, writes, fault = result["load"], result["writes"], result["faults"]
    lines = [
        f"Run of {result['when']} on {result['machine']}; load average {result['loadavg_start']} at the start, "
        f"{result['loadavg_end']} at the end.",
        "",
        "| measure | result |",
        "|---|---|",
        f"| requests | {load['requests']:,} in {result['seconds']:.0f} s ({load['rps']:.1f}/s), "
        f"{result['clients']} clients, p50 {load['p50_ms']:.0f} ms, p95 {load['p95_ms']:.0f} ms |",
        f"| answers | {', '.join(f'{k}: {v:,}' for k, v in sorted(load['statuses'].items()))} |",
        f"| **5xx** | **{load['5xx']}** (gunicorn access log: {result['access_log_5xx']}) |",
        f"| requests without an answer (socket error, timeout) | {load['no_answer']} |",
        f"| **edits acknowledged vs found** | **{writes['acknowledged']:,} acknowledged, {writes['found']:,} found** "
        f"(final value and version of all {writes['rows']} edited rows, and the audit trail); missing: "
        f"{len(writes['missing'])}; final state differing: {len(writes['final_mismatch'])} |",
        f"| written but never acknowledged | {writes['unacknowledged_in_db']} (edits whose answer was lost: "
        f"{result['unknown_edits']}) |",
        f"| conflicts on the two contended rows | {result['conflicts']} refused with the current version "
        "(none silently lost) |",
        f"| Redis down | {fault['redis_down_s']:.1f} s: {fault['during_redis']['requests']} requests answered "
        f"meanwhile, {fault['during_redis']['5xx']} 5xx, {fault['during_redis']['no_answer']} unanswered, "
        f"{fault['during_redis']['edits_saved']} edits saved; longest wait for an answer "
        f"{fault['during_redis']['max_ms']:.0f} ms |",
        f"| worker SIGKILLed | {fault['killed_at_s']:.1f} s into the load, after {fault['killed_after']} of "
        f"{result['digests']['recipients']} digests were accepted; a new worker was ready "
        f"{fault['restart_gap_s']:.1f} s later; deliveries claimed a second time after the kill: "
        f"{result['digests']['claimed_twice']} |",
        f"| jobs resumed | {result['snapshots']['after_restart']} of {result['snapshots']['total']} snapshots of "
        f"the edited months recomputed after the worker restart; recomputing them now would write "
        f"{result['snapshots']['stale']} rows; deliveries: "
        f"{', '.join(f'{k} {v}' for k, v in sorted(result['digests']['states'].items()))}; task errors in the "
        f"workers' logs: {result['task_errors']} |",
        f"| **digests** | {result['digests']['recipients']} recipients, {result['digests']['messages']} messages, "
        f"**most to one recipient: {result['digests']['max_per_recipient']}**, recipients without one: "
        f"{result['digests']['missing']}, messages to anyone else: {len(result['digests']['strangers'])}; "
        f"month close sent {result['digests']['triggers']} times |",
        "",
        "Requests by kind (main run):",
        "",
        "| kind | requests | p50 ms | p95 ms |",
        "|---|---|---|---|",
    ]
    for kind, figures in load["by_kind"].items():
        lines.append(f"| {kind} | {figures['requests']:,} | {figures['p50_ms']:.0f} | {figures['p95_ms']:.0f} |")
    rls = result["rls"]
    lines += [
        "",
        f"Row-level security, the same read load ({result['clients']} clients, {rls['seconds']:.0f} s per run, "
        f"{rls['rounds']} runs each, alternating):",
        "",
        "| | requests/s | p50 ms | p95 ms | 5xx |",
        "|---|---|---|---|---|",
    ]
    for mode, label in (("on", "RLS on (default)"), ("off", 'RLS off (`DATABASE_RLS_ROLE=""`)')):
        figures = rls[mode]
        lines.append(
            f"| {label} | {figures['rps']:.1f} | {figures['p50_ms']:.0f} | {figures['p95_ms']:.0f} | "
            f"{figures['5xx']} |"
        )
    lines += [
        "",
        f"Cost of row-level security: {rls['rps_change_pct']:+.1f}% requests/s, {rls['p50_change_pct']:+.1f}% p50 "
        f"(per run: on {', '.join(f'{v:.1f}' for v in rls['on']['runs'])} req/s; off "
        f"{', '.join(f'{v:.1f}' for v in rls['off']['runs'])} req/s).",
    ]
    lines += [f"\nNote: {note}." for note in result["notes"]]
    return "\n".join(lines)


def write_doc(path: Path, block: str) -> None:
    text = path.read_text()
    start, end = text.index(RESULTS_START) + len(RESULTS_START), text.index(RESULTS_END)
    path.write_text(text[:start] + "\n" + block + "\n" + text[end:])


# --- the run ------------------------------------------------------------------------------------------------


def setup_django(cfg: Config) -> None:
    os.environ.update(cfg.django_env())
    import django

    django.setup()


@contextlib.contextmanager
def running(cfg: Config) -> Iterator[Processes]:
    procs = Processes(cfg.workdir)
    try:
        yield procs
    finally:
        procs.stop_all()


def main_run(cfg: Config, procs: Processes, smtp: SmtpCounter) -> dict:
    from django.core.management import call_command

    from oteapp.jobs.snapshots import organization_today
    from oteapp.months import format_month, month_add

    log(f"database {cfg.database}: recreating and migrating")
    recreate_database(cfg)
    start_redis(cfg, procs)
    call_command("migrate", verbosity=0)
    current = organization_today(timezone_name="UTC").replace(day=1)
    months = [month_add(current, offset) for offset in range(-11, 1)]
    orgs = make_data(months)
    edited = (format_month(months[-2]), format_month(months[-1]))
    clients = make_clients(cfg, orgs)
    log(f"data: {len(orgs)} organizations, {sum(len(o.rows) for o in orgs) // 2} reps; {len(clients)} clients")

    start_web(cfg, procs, rls=True)
    start_worker(cfg, procs, "worker-1")
    start_beat(cfg, procs)
    timeline = Timeline()
    stop = threading.Event()
    timeline.load_start = time.monotonic()
    fault_thread = threading.Thread(target=faults, args=(cfg, procs, smtp, timeline, stop), daemon=True)
    fault_thread.start()
    log(f"load: {len(clients)} clients for {cfg.duration:.0f} s")
    seconds = run_clients(clients, cfg.duration, months=edited, edits=True)
    stop.set()
    fault_thread.join(60)
    if not procs.running("redis"):  # the load ended while Redis was down
        start_redis(cfg, procs)
        timeline.redis_up = time.monotonic()
    if not procs.running("worker-1") and not procs.running("worker-2"):  # it ended before the restart
        start_worker(cfg, procs, "worker-2")
        timeline.worker_restarted = time.monotonic()

    log("draining: digests sent, queue empty, snapshots caught up (at most 120 s)")
    recipients = {email for org in orgs for email in org.recipients}
    drain_deadline = time.monotonic() + 120
    next_sweep = 0.0
    while time.monotonic() < drain_deadline:
        states = deliveries()
        digests_done = set(states) == {"sent"} and sum(states.values()) >= len(recipients)
        if digests_done and queue_length(cfg) == 0 and snapshots_stale(orgs, list(edited)) == 0:
            break
        if time.monotonic() >= next_sweep:
            timeline.sweeps += send_task("oteapp.month_close")
            next_sweep = time.monotonic() + 10
        time.sleep(1)
    else:
        timeline.notes.append("the drain timed out")

    samples = [sample for client in clients for sample in client.samples]
    acks = [ack for client in clients for ack in client.acks]
    during = [s for s in samples if timeline.redis_down <= s.start and s.end <= timeline.redis_up]
    now_epoch, now_mono = time.time(), time.monotonic()
    restart_epoch = now_epoch - (now_mono - timeline.worker_restarted)
    after, total = snapshots_recomputed_after(restart_epoch, orgs, list(edited))
    per_recipient = smtp.per_recipient
    return {
        "seconds": seconds,
        "clients": len(clients),
        "load": summarize(samples, seconds),
        "access_log_5xx": access_log_5xx(cfg.workdir / "access-rls.log"),
        "writes": writes_check(acks),
        "conflicts": sum(client.conflicts for client in clients),
        "unknown_edits": sum(client.unknown_edits for client in clients),
        "faults": {
            "redis_down_s": timeline.redis_up - timeline.redis_down,
            "during_redis": {
                "requests": len(during),
                "5xx": sum(1 for s in during if s.status >= 500),
                "no_answer": sum(1 for s in during if s.status == 0),
                "edits_saved": sum(1 for s in during if s.kind == "edit" and s.status == 200),
                "max_ms": max(((s.end - s.start) * 1000 for s in during), default=0.0),
            },
            "killed_at_s": timeline.worker_killed - timeline.load_start,
            "killed_after": timeline.worker_killed_after_messages,
            "restart_gap_s": timeline.worker_restarted - timeline.worker_killed,
        },
        "snapshots": {"after_restart": after, "total": total, "stale": snapshots_stale(orgs, list(edited))},
        "digests": {
            "recipients": len(recipients),
            "messages": sum(per_recipient.values()),
            "max_per_recipient": max(per_recipient.values(), default=0),
            "missing": len(recipients - set(per_recipient)),
            "strangers": sorted(set(per_recipient) - recipients),
            "states": dict(deliveries()),
            "claimed_twice": deliveries_claimed_twice(),
            "triggers": 2 + timeline.sweeps,
        },
        "task_errors": task_errors(cfg.workdir),
        "notes": timeline.notes,
        "orgs": orgs,
        "months": edited,
    }


def rls_runs(cfg: Config, procs: Processes, orgs: list[Org], months: tuple[str, str]) -> dict:
    """The read mix alone, RLS on and off alternately, each on a freshly started gunicorn."""
    runs: dict[str, list[dict]] = defaultdict(list)
    for round_index in range(cfg.rls_rounds):
        for mode in ("on", "off") if round_index % 2 == 0 else ("off", "on"):
            procs.stop("web")
            start_web(cfg, procs, rls=mode == "on")
            warm = make_clients(cfg, orgs)[:4]
            run_clients(warm, 3, months=months, edits=False)  # workers connect and import before measuring
            clients = make_clients(cfg, orgs)
            seconds = run_clients(clients, cfg.rls_duration, months=months, edits=False)
            figures = summarize([s for client in clients for s in client.samples], seconds)
            runs[mode].append(figures)
            log(f"RLS {mode}: {figures['rps']:.1f} req/s, p50 {figures['p50_ms']:.0f} ms")
    result: dict = {"seconds": cfg.rls_duration, "rounds": cfg.rls_rounds}
    for mode in ("on", "off"):
        result[mode] = {
            "rps": statistics.mean(run["rps"] for run in runs[mode]),
            "p50_ms": statistics.mean(run["p50_ms"] for run in runs[mode]),
            "p95_ms": statistics.mean(run["p95_ms"] for run in runs[mode]),
            "5xx": sum(run["5xx"] for run in runs[mode]),
            "runs": [run["rps"] for run in runs[mode]],
        }
    result["rps_change_pct"] = (result["on"]["rps"] / result["off"]["rps"] - 1) * 100
    result["p50_change_pct"] = (result["on"]["p50_ms"] / result["off"]["p50_ms"] - 1) * 100
    return result


def passed(result: dict) -> bool:
    writes, digests = result["writes"], result["digests"]
    return (
        result["load"]["5xx"] == 0
        and result["faults"]["during_redis"]["5xx"] == 0
        and writes["acknowledged"] == writes["found"]
        and writes["unacknowledged_in_db"] == result["unknown_edits"] == 0
        and not writes["final_mismatch"]
        and digests["max_per_recipient"] == 1
        and digests["missing"] == 0
        and not digests["strangers"]
        and result["snapshots"]["stale"] == 0
        and result["rls"]["on"]["5xx"] == result["rls"]["off"]["5xx"] == 0
    )


def parse_args(argv: list[str]) -> Config:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="oteapp_load")
    parser.add_argument("--pg", default="postgres://postgres@127.0.0.1:5432", help="the PostgreSQL server")
    parser.add_argument("--redis-port", type=int, default=6390, help="port of the Redis this script starts")
    parser.add_argument("--redis-db", type=int, default=12)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of the mixed load")
    parser.add_argument("--rls-duration", type=float, default=15.0, help="seconds of each RLS on/off run")
    parser.add_argument("--rls-rounds", type=int, default=2, help="runs of each mode")
    parser.add_argument("--web-workers", type=int, default=3, help="gunicorn workers (README: 3)")
    parser.add_argument("--keep-db", action="store_true", help="keep the database afterwards, for a look")
    parser.add_argument("--doc", type=Path, help="write the results into this Markdown file's results block")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 200 or not 10 <= args.duration <= 600:
        raise SystemExit("--clients must be 1..200 and --duration 10..600 (the run is bounded)")
    return Config(
        database=args.database, pg_server=args.pg, redis_port=args.redis_port, redis_db=args.redis_db,
        clients=args.clients, duration=args.duration, rls_duration=args.rls_duration, rls_rounds=args.rls_rounds,
        web_workers=args.web_workers, keep_db=args.keep_db, doc=args.doc,
    )


def main(argv: list[str]) -> int:
    cfg = parse_args(argv)
    if shutil.which("redis-server") is None:
        raise SystemExit("redis-server not found (apt-get install redis-server)")
    if port_open(cfg.redis_port):
        raise SystemExit(f"something already listens on {LOOPBACK}:{cfg.redis_port}; choose --redis-port")
    setup_django(cfg)
    smtp = SmtpCounter(cfg.smtp_port, delay=0.7)
    smtp.controller.start()
    loadavg_start = " ".join(f"{v:.2f}" for v in os.getloadavg())
    started = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    ok = False
    try:
        with running(cfg) as procs:
            result = main_run(cfg, procs, smtp)
            for name in ("beat", "worker-2", "worker-1"):
                procs.stop(name)
            result["rls"] = rls_runs(cfg, procs, result["orgs"], result["months"])
        ok = passed(result)
    finally:
        smtp.controller.stop()
        if not cfg.keep_db:
            with contextlib.suppress(Exception):
                drop_database(cfg)
        if ok:
            shutil.rmtree(cfg.workdir, ignore_errors=True)
        else:
            log(f"the processes' logs are in {cfg.workdir}")
    result.update(
        when=started,
        machine=f"{os.cpu_count()} cores, shared with other engineers' work",
        loadavg_start=loadavg_start,
        loadavg_end=" ".join(f"{v:.2f}" for v in os.getloadavg()),
    )
    block = markdown(result)
    print(block)
    print(json.dumps({k: v for k, v in result.items() if k not in ("orgs",)}, default=str, indent=2), file=sys.stderr)
    if cfg.doc:
        write_doc(cfg.doc, block)
        log(f"results written to {cfg.doc}")
    log("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
