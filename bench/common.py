"""What every part of the benchmark shares: its settings (from BENCH_* variables), the environment of
the processes it starts, and process handling that always cleans up after itself."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
LOOPBACK = "127.0.0.1"  # the only address the benchmark ever sends traffic to


def _env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def _env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


@dataclass
class BenchConfig:
    """Sizes and durations; BENCH_SCALE shrinks the data for development runs (0.05 = 50 small orgs)."""

    scale: float = field(default_factory=lambda: _env_float("BENCH_SCALE", 1.0))
    database: str = field(default_factory=lambda: os.environ.get("BENCH_DB", "oteapp_bench"))
    pg_server: str = field(default_factory=lambda: os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432"))
    redis_db: int = field(default_factory=lambda: _env_int("BENCH_REDIS_DB", 13))
    redis_server: str = field(default_factory=lambda: os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379"))
    # Load: each scenario runs `duration` seconds after `warmup` seconds that are not counted, per round.
    duration: float = field(default_factory=lambda: _env_float("BENCH_DURATION", 4.0))
    # The throughput scenarios run this many times, one after the other in turn, and the snapshot job's first run
    # as many times from an empty table; each reports its median.
    rounds: int = field(default_factory=lambda: _env_int("BENCH_ROUNDS", 3))
    latency_duration: float = field(default_factory=lambda: _env_float("BENCH_LATENCY_DURATION", 5.0))
    warmup: float = field(default_factory=lambda: _env_float("BENCH_WARMUP", 2.0))
    connections: int = field(default_factory=lambda: _env_int("BENCH_CONNECTIONS", 4))
    # Two cores: two sync workers keep both busy. Three and five made /healthz slower (1,420 and 1,068 req/s against
    # 1,680) and the partial no faster (bench/FINDINGS.md, fifth session).
    web_workers: int = field(default_factory=lambda: _env_int("BENCH_WEB_WORKERS", 2))
    job_timeout: float = field(default_factory=lambda: _env_float("BENCH_JOB_TIMEOUT", 240.0))
    profile: bool = field(default_factory=lambda: os.environ.get("BENCH_PROFILE", "1") != "0")
    keep_db: bool = field(default_factory=lambda: os.environ.get("BENCH_KEEP_DB", "0") == "1")
    large_reps_full: int = 400
    large_months: int = 36
    small_orgs_full: int = 1000
    small_reps: int = 12
    small_months: int = 12
    web_port: int = field(default_factory=free_port)
    smtp_port: int = field(default_factory=free_port)
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(50))

    def __post_init__(self) -> None:
        # The benchmark drops and recreates its database: refuse any name that could be a developer's.
        if not self.database.startswith("oteapp_bench"):
            raise SystemExit(f"BENCH_DB must start with 'oteapp_bench' (got {self.database!r}).")
        if not 1 <= self.redis_db <= 15:
            raise SystemExit("BENCH_REDIS_DB must be 1..15: Redis db 0 is the developers'.")

    @property
    def large_reps(self) -> int:
        return max(12, round(self.large_reps_full * self.scale))

    @property
    def small_orgs(self) -> int:
        return max(2, round(self.small_orgs_full * self.scale))

    @property
    def database_url(self) -> str:
        return f"{self.pg_server}/{self.database}"

    @property
    def redis_url(self) -> str:
        return f"{self.redis_server}/{self.redis_db}"

    @property
    def site_url(self) -> str:
        return f"http://{LOOPBACK}:{self.web_port}"

    def django_env(self) -> dict[str, str]:
        """Production settings pointed at the benchmark's own database, Redis db and SMTP sink."""
        return {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": self.secret_key,
            "DJANGO_ALLOWED_HOSTS": LOOPBACK,
            "DJANGO_SECURE_SSL_REDIRECT": "false",
            "DJANGO_SECURE_HSTS_SECONDS": "0",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "EMAIL_URL": f"smtp://{LOOPBACK}:{self.smtp_port}",
            "DEFAULT_FROM_EMAIL": "OTE Bench <bench@bench.example>",
            "SITE_URL": self.site_url,
            "LOG_LEVEL": "WARNING",
            "CONN_MAX_AGE": "60",
            "PYTHONUNBUFFERED": "1",
        }

    def apply_env(self) -> None:
        os.environ.update(self.django_env())


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class Processes:
    """Every process the benchmark starts, each in its own process group, all stopped at exit."""

    def __init__(self) -> None:
        self._procs: list[subprocess.Popen] = []

    def start(
        self, args: Sequence[str], *, env: dict[str, str] | None = None, stdout_path: Path | None = None
    ) -> subprocess.Popen:
        out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL  # noqa: SIM115 (closed by stop)
        proc = subprocess.Popen(  # noqa: S603 (our own interpreter and tools, fixed arguments)
            list(args),
            cwd=ROOT,
            env={**os.environ, **(env or {})},
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: killing the group reaches gunicorn's/celery's children
        )
        proc._bench_out = out  # type: ignore[attr-defined]
        self._procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, *, timeout: float = 15.0) -> None:
        """SIGTERM to the group (a warm shutdown), SIGKILL after `timeout`."""
        if proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        # Children that outlived their leader are still in the group.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out = getattr(proc, "_bench_out", None)
        if out not in (None, subprocess.DEVNULL):
            out.close()
        if proc in self._procs:
            self._procs.remove(proc)

    def stop_all(self) -> None:
        for proc in reversed(list(self._procs)):
            try:
                self.stop(proc, timeout=5.0)
            except Exception as error:
                log(f"could not stop pid {proc.pid}: {error}")


def wait_for_port(port: int, *, timeout: float, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process {proc.args[:3]} exited with {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection((LOOPBACK, port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing listens on {LOOPBACK}:{port} after {timeout:.0f}s")


class RssSampler:
    """Peak resident memory (MiB) of the processes `select` returns, sampled every `interval` s in a thread.

    `peak_one` is the largest single process seen (one gunicorn worker, one Celery pool process)."""

    def __init__(self, select: Callable[[], list[psutil.Process]], *, interval: float = 0.05) -> None:
        self._select = select
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.peak_one = 0.0
        self.peaks: dict[int, float] = {}

    def _run(self) -> None:
        while not self._stop.is_set():
            for process in self._select():
                with contextlib.suppress(psutil.Error):
                    rss = process.memory_info().rss / 1024 / 1024
                    self.peaks[process.pid] = max(self.peaks.get(process.pid, 0.0), rss)
                    self.peak_one = max(self.peak_one, rss)
            self._stop.wait(self.interval)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def children_of(pid: int) -> list[psutil.Process]:
    with contextlib.suppress(psutil.Error):
        return psutil.Process(pid).children(recursive=True)
    return []


@contextlib.contextmanager
def timed() -> Iterator[list[float]]:
    """`with timed() as t: ...` then t[0] is the elapsed seconds."""
    holder: list[float] = []
    start = time.perf_counter()
    try:
        yield holder
    finally:
        holder.append(time.perf_counter() - start)


class MachineWatch:
    """CPU used by processes that are not the benchmark's (its own tree and the PostgreSQL backends of its
    database excluded), sampled every `interval` s: a benchmark on a shared machine says so, per phase."""

    def __init__(self, *, database: str, interval: float = 1.0) -> None:
        self._database = database
        self.interval = interval
        self._last: dict[int, float] = {}
        # (monotonic time, seconds since the previous sample, other processes' CPU seconds in them, busiest)
        self.samples: list[tuple[float, float, float, str]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _foreign(self) -> tuple[float, str]:
        ours = {os.getpid(), *(child.pid for child in children_of(os.getpid()))}
        used, top, top_used = 0.0, "", 0.0
        seen: dict[int, float] = {}
        for process in psutil.process_iter(["pid", "name", "cmdline"]):
            pid = process.info["pid"]
            if pid in ours or self._database in " ".join(process.info["cmdline"] or ()):
                continue
            try:
                times = process.cpu_times()
            except psutil.Error:
                continue
            total = times.user + times.system
            seen[pid] = total
            delta = total - self._last.get(pid, total)
            used += delta
            if delta > top_used:
                top, top_used = process.info["name"], delta
        self._last = seen
        return used, top

    def _run(self) -> None:
        self._foreign()
        last = time.monotonic()
        while not self._stop.wait(self.interval):
            used, top = self._foreign()
            now = time.monotonic()
            self.samples.append((now, now - last, used, top))
            last = now

    def share(self, start: float, end: float) -> tuple[float, str]:
        """Average cores used by other processes between two monotonic times, and the busiest of them."""
        # The samples that end inside the window, or cover its end; each spans about `interval` seconds.
        window = [(span, used, top) for at, span, used, top in self.samples if start < at <= end + self.interval]
        if not window:
            return 0.0, ""
        tops: dict[str, float] = {}
        for _, used, top in window:
            if top:
                tops[top] = tops.get(top, 0.0) + used
        busiest = max(tops, key=tops.__getitem__) if tops else ""
        return sum(used for _, used, _ in window) / sum(span for span, _, _ in window), busiest

    def __enter__(self) -> MachineWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
