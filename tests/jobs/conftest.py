"""Fixtures of the background-job tests: organizations with actuals, and a real Celery worker.

The real worker (`live_celery`) is a subprocess `celery -A config worker --pool=solo` on the test database
(committed data: transactional_db) and on a Redis database of this test run alone, claimed with a lock key
so that concurrent runs on the same Redis never share a queue. It sends mail through the file backend.
"""

import email
import email.policy
import os
import signal
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from email.message import EmailMessage
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.utils.text import slugify

from accounts.models import Membership, Organization, User
from config.celery import app as celery_app
from oteapp.jobs.snapshots import organization_today
from oteapp.models import OrganizationSettings, Rep
from oteapp.months import month_add
from tests.factories import UserFactory, actual_create, organization_with_members, rep_create
from tests.servers import database_url, point_celery_at

ROOT = Path(__file__).resolve().parents[2]
CELERY = ROOT / ".venv" / "bin" / "celery"
# The server of REDIS_URL (the given one, or scripts/with_servers.py's embedded one), its databases 8-15 but 13.
REDIS_HOST = settings.REDIS_URL.rsplit("/", 1)[0]
REDIS_DBS = (8, 9, 10, 11, 12, 14, 15)  # 13 is the benchmark's (Makefile `bench`)
LOCK_KEY = "oteapp-jobs-tests:owner"
WAIT_SECONDS = 40


# --- organizations --------------------------------------------------------------------------------

# SPEC section 11: (name, role, units).
WORKED_EXAMPLE = (
    ("Ana", "closer", {"deals": 6}),
    ("Ben", "closer", {"deals": 4}),
    ("Cy", "closer", {"deals": 3}),
    ("Dee", "closer", {"deals": 5}),
    ("Eli", "setter", {"meetings": 42, "deals": 10}),
    ("Fay", "setter", {"meetings": 30}),
    ("Gus", "manager", {"team_deals": 18}),
)


@dataclass
class OrgSetup:
    organization: Organization
    recipients: list[User]  # owner, admin, manager: who gets digests
    others: list[User] = field(default_factory=list)  # a viewer and a manager who opted out

    @property
    def recipient_emails(self) -> set[str]:
        return {user.email for user in self.recipients}


def worked_example_org(name: str, *, months: dict[date, Decimal]) -> OrgSetup:
    """SPEC section 11's organization with its people; `months` maps each month to a factor on the
    example's units (1 = exactly the worked example)."""
    hint = slugify(name)
    owner, admin, manager = (UserFactory(email=f"{role}@{hint}.example", first_name=role.title())
                             for role in ("owner", "admin", "manager"))
    viewer, quiet = UserFactory(email=f"viewer@{hint}.example"), UserFactory(email=f"quiet@{hint}.example")
    organization = organization_with_members(
        name, owner=owner, admin=admin, manager=manager, viewer=viewer, manager2=quiet
    )
    Membership.unscoped.filter(organization=organization, user=quiet).update(receives_digests=False)
    OrganizationSettings.unscoped.filter(organization=organization).update(
        deal_value=Decimal("11340"), meeting_to_deal_rate=Decimal("0.25"), monthly_operating_expenses=Decimal("9000")
    )
    for rep_name, role, _ in WORKED_EXAMPLE:
        rep_create(organization, name=rep_name, role=role)
    actuals_add(organization, months=months)
    return OrgSetup(organization=organization, recipients=[owner, admin, manager], others=[viewer, quiet])


def actuals_add(organization: Organization, *, months: dict[date, Decimal]) -> None:
    """The worked example's units times a factor, for each month."""
    reps = {rep.name: rep for rep in Rep.unscoped.filter(organization=organization)}
    for month, factor in months.items():
        for rep_name, _, units in WORKED_EXAMPLE:
            actual_create(organization, rep=reps[rep_name], month=month,
                          **{k: (Decimal(v) * factor).quantize(Decimal(1)) for k, v in units.items()})


@pytest.fixture
def spec_org(db) -> OrgSetup:
    """SPEC section 11, October 2026 exactly, and a weaker September to compare with."""
    return worked_example_org(
        "Acme Insurance", months={date(2026, 10, 1): Decimal(1), date(2026, 9, 1): Decimal("0.8")}
    )


def this_month() -> date:
    return organization_today(timezone_name="UTC").replace(day=1)


@pytest.fixture
def months() -> dict[str, date]:
    """Months relative to today (UTC, the test organizations' timezone): the current (open) month, the
    one that just closed (the digest period), and the one before."""
    current = this_month()
    return {"current": current, "period": month_add(current, -1), "before": month_add(current, -2)}


# --- the real worker ------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def redis_db() -> Iterator[int]:
    """A Redis database number no other test run is using now (lock key with a lease) and empty."""
    owner = uuid.uuid4().hex
    for number in REDIS_DBS:
        client = redis.Redis.from_url(f"{REDIS_HOST}/{number}")
        if client.set(LOCK_KEY, owner, nx=True, ex=600):
            if client.dbsize() > 1:  # someone else's data, without our lock: not ours to flush
                client.delete(LOCK_KEY)
                continue
            try:
                yield number
            finally:
                if client.get(LOCK_KEY) == owner.encode():
                    client.flushdb()  # leave it empty, and so free, for the next run
            return
    pytest.fail(f"every Redis database in {list(REDIS_DBS)} is locked by another test run")


@dataclass
class LiveCelery:
    redis_url: str
    client: redis.Redis
    outbox: Path
    env: dict[str, str]
    log: Path
    workers: list[subprocess.Popen] = field(default_factory=list)

    def start_worker(self, **extra_env: str) -> subprocess.Popen:
        log = self.log.open("ab")
        worker = subprocess.Popen(
            [str(CELERY), "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-heartbeat", "--without-gossip", "--without-mingle", "-n", f"jobs-{uuid.uuid4().hex[:8]}@%h"],
            cwd=ROOT, env={**self.env, **extra_env}, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
        self.workers.append(worker)
        return worker

    def kill(self, worker: subprocess.Popen) -> None:
        """SIGKILL: no shutdown, no acknowledgement, nothing flushed — a crashed machine."""
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)

    def queued(self) -> int:
        return self.client.llen("celery")

    def wait_for(self, condition: Callable[[], bool], what: str, timeout: float = WAIT_SECONDS) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.workers and all(w.poll() is not None for w in self.workers):
                pytest.fail(f"the worker exited while waiting for {what}:\n{self.log_tail()}")
            time.sleep(0.05)
        pytest.fail(f"timed out after {timeout}s waiting for {what}:\n{self.log_tail()}")

    def log_tail(self) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-40:]) if self.log.exists() else ""

    def messages(self) -> list[EmailMessage]:
        """Every message the file backend wrote."""
        found = []
        for path in sorted(self.outbox.glob("*.log")):
            for chunk in path.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
                if chunk.strip():
                    found.append(email.message_from_bytes(chunk, policy=email.policy.default))
        return found


@pytest.fixture
def live_celery(transactional_db, redis_db, settings, tmp_path) -> Iterator[LiveCelery]:
    redis_url = f"{REDIS_HOST}/{redis_db}"
    client = redis.Redis.from_url(redis_url)
    lease = client.get(LOCK_KEY)
    client.flushdb()
    client.set(LOCK_KEY, lease, ex=600)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_ALLOW_ASYNC"))},
        "PYTHONPATH": str(ROOT),
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
        "REDIS_URL": redis_url,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "tests.jobs.mail_backends.SlowFileBackend",
        "EMAIL_FILE_PATH": str(outbox),
        "SNAPSHOT_REFRESH_DEBOUNCE_SECONDS": "1",
        "DIGEST_SENDING_TIMEOUT_SECONDS": "2",
        "DIGEST_RETRY_SECONDS": "1",
        "DIGEST_SEND_WINDOW_DAYS": "31",  # any day of the month counts as "just after month close"
    }
    settings.SNAPSHOT_REFRESH_DEBOUNCE_SECONDS = 1
    settings.DIGEST_SENDING_TIMEOUT_SECONDS = 2
    previous = celery_app.conf.broker_url
    point_celery_at(redis_url, eager=False)
    harness = LiveCelery(redis_url=redis_url, client=client, outbox=outbox, env=env, log=tmp_path / "worker.log")
    try:
        yield harness
    finally:
        for worker in harness.workers:
            harness.kill(worker)
        point_celery_at(previous, eager=True)
