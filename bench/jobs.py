"""Background jobs on a real Celery worker (a subprocess on the benchmark's Redis db): the snapshot job for
every organization, run twice, and the month-close digests through a real SMTP server on loopback.

The worker's log is the clock: a job is over when every task the worker received has finished
(succeeded, failed or retried), the queue and the unacknowledged set in Redis are empty, and that holds
for two polls in a row."""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import psutil
import psycopg
import redis

from bench import profile
from bench.common import OUT, BenchConfig, Processes, RssSampler, children_of, log, wait_for_port

# The pool processes of the benchmark's worker: by default those of the Procfile's (--concurrency=2), which is
# also Celery's default on this 2-core machine (one per core), so the jobs are measured as they are deployed.
WORKER_CONCURRENCY = int(os.environ.get("BENCH_WORKER_CONCURRENCY", "2"))
# "[2026-11-26 01:29:12,592: INFO/ForkPoolWorker-1] Task oteapp.x[<id>] succeeded in 0.05s": the timestamp (the
# worker's local time, to the millisecond) is when the pool process finished the task.
TASK_LINE = re.compile(
    r"(?:\[(?P<at>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): [^\]]*\] )?"
    r"Task (?P<name>[\w.]+)\[(?P<id>[0-9a-f-]+)\] (?P<what>received|succeeded|raised|retry)"
)
QUEUE = "celery"  # the default queue: the app routes nothing elsewhere


@dataclass
class WorkerRun:
    seconds: float
    tasks: int
    failed: int
    retried: int
    peak_pool_rss_mb: float  # RSS of the largest single process of the worker (a pool process doing the work)
    peak_total_pss_mb: float  # the worker's processes together, PSS: a page shared by n processes counts 1/n
    peak_total_rss_mb: float  # the same summed as RSS, which counts every page the forked pool processes still
    # share with the parent (code, imported modules) once per process, so it overstates the memory used
    timed_out: bool = False  # the job was still busy at the timeout: `seconds` is the timeout


class Worker:
    """`celery -A config worker --concurrency=WORKER_CONCURRENCY`: one worker (the issue's "one worker"), with
    the pool processes of the Procfile's worker (`make run`)."""

    def __init__(self, cfg: BenchConfig, procs: Processes, *, name: str, extra_env: dict[str, str]) -> None:
        self.cfg = cfg
        self.procs = procs
        self.log_path = OUT / f"worker-{name}.log"
        self.extra_env = extra_env
        self.proc = None
        self._offset = 0
        self._states: dict[str, str] = {}
        self._last_done = 0.0  # epoch seconds of the last task that finished (the log's timestamp)

    def start(self, timeout: float = 60.0) -> None:
        args = [
            sys.executable, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO",
            f"--concurrency={WORKER_CONCURRENCY}", "--pool=prefork", "--without-gossip", "--without-mingle",
            "--without-heartbeat",
            f"--hostname=bench-{time.monotonic_ns()}@localhost",
        ]
        env = {**self.cfg.django_env(), "LOG_LEVEL": "INFO", **self.extra_env}
        self.proc = self.procs.start(args, env=env, stdout_path=self.log_path)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the Celery worker exited early; see {self.log_path}")
            if " ready." in self.log_path.read_text(errors="replace"):
                self._offset = self.log_path.stat().st_size
                return
            time.sleep(0.1)
        raise TimeoutError(f"the Celery worker was not ready after {timeout:.0f}s; see {self.log_path}")

    def stop(self) -> None:
        if self.proc is not None:
            self.procs.stop(self.proc, timeout=30.0)  # warm shutdown: its DB connections close (stats flush)
            self.proc = None

    def _read_log(self) -> None:
        with self.log_path.open("rb") as handle:
            handle.seek(self._offset)
            chunk = handle.read()
        end = chunk.rfind(b"\n") + 1  # only whole lines; the rest is read next time
        self._offset += end
        for match in TASK_LINE.finditer(chunk[:end].decode(errors="replace")):
            self._states[match["id"]] = match["what"]
            if match["what"] != "received" and match["at"]:
                at = datetime.strptime(match["at"], "%Y-%m-%d %H:%M:%S,%f").timestamp()  # naive = local time
                self._last_done = max(self._last_done, at)

    def processes(self) -> list:
        import psutil

        if self.proc is None:
            return []
        try:
            return [psutil.Process(self.proc.pid), *children_of(self.proc.pid)]
        except psutil.Error:
            return []

    def run(
        self, task: str, *, timeout: float, until: Callable[[], bool] | None = None, profile_name: str | None = None
    ) -> WorkerRun:
        """Send `task` and wait until the worker is idle again (and `until()` holds, if given). With
        `profile_name`, py-spy samples the pool process meanwhile (then the time is not a measurement)."""
        from config.celery import app

        self._states = {}
        self._last_done = 0.0
        broker = redis.Redis.from_url(self.cfg.redis_url)
        totals = {"pss": 0.0, "rss": 0.0, "pss_at": 0.0}

        def total_mb(found: list, read: Callable[[psutil.Process], int]) -> float:
            total = 0.0
            for process in found:
                try:
                    total += read(process) / 1024 / 1024
                except Exception:  # noqa: S112 (a pool process may come and go)
                    continue
            return total

        def measure_pss(found: list) -> None:
            totals["pss"] = max(totals["pss"], total_mb(found, lambda process: process.memory_full_info().pss))
            totals["pss_at"] = time.monotonic()

        def worker_processes() -> list:
            found = self.processes()
            rss = total_mb(found, lambda process: process.memory_info().rss)
            # PSS walks every mapping of the process (about 1 ms each, holding its memory map's lock): every 0.5 s
            # and once at the end, not every 50 ms, so that measuring does not slow the job down.
            if rss > totals["rss"] + 1 and time.monotonic() - totals["pss_at"] >= 0.5:
                measure_pss(found)
            totals["rss"] = max(totals["rss"], rss)
            return found

        _warm_up_publisher(app, broker)
        samplers = []
        if profile_name and self.proc is not None:
            samplers = profile.record([child.pid for child in children_of(self.proc.pid)], None, profile_name)
            time.sleep(0.5)  # py-spy attaches
        try:
            with RssSampler(worker_processes, interval=0.05) as rss:
                start, sent_at = time.perf_counter(), time.time()
                app.send_task(task)
                quiet = 0
                idle_since = None
                timed_out = False
                while True:
                    time.sleep(0.05)
                    self._read_log()
                    if self.proc is None or self.proc.poll() is not None:
                        raise RuntimeError(f"the Celery worker died; see {self.log_path}")
                    pending = [state for state in self._states.values() if state == "received"]
                    queued = broker.llen(QUEUE) + broker.hlen("unacked")
                    idle = bool(self._states) and not pending and queued == 0
                    idle_since = (idle_since or time.perf_counter()) if idle else None
                    # `until` (e.g. every email arrived) must hold too; a worker idle for 5 s has nothing more to do.
                    finished = idle and (until is None or until() or time.perf_counter() - idle_since > 5.0)
                    quiet = quiet + 1 if finished else 0
                    if quiet >= 2:
                        # The moment the last task was seen to finish, not the second poll: polling every 50 ms
                        # would add 0-50 ms at random, so the worker's log says when its last task ended (when
                        # it has the line, and the job was not cut short by the 5 s limit above).
                        seconds = time.perf_counter() - start - 0.05
                        logged = self._last_done - sent_at
                        if (until is None or until()) and 0 < logged <= seconds + 0.05:
                            seconds = logged
                        break
                    if time.perf_counter() - start > timeout:
                        # Report what was done by then (and FAIL) rather than lose the whole run.
                        log(f"{task} did not finish in {timeout:.0f}s; see {self.log_path}")
                        seconds, timed_out = timeout, True
                        break
        finally:
            profile.finish(samplers)
        measure_pss(self.processes())  # a process's memory hardly shrinks: at the end is about its peak
        states = list(self._states.values())
        return WorkerRun(
            seconds=seconds,
            tasks=len(states),
            failed=states.count("raised"),
            retried=states.count("retry"),
            peak_pool_rss_mb=rss.peak_one,
            peak_total_pss_mb=totals["pss"],
            peak_total_rss_mb=totals["rss"],
            timed_out=timed_out,
        )


WARM_UP_QUEUE = "bench.warm_up"  # no worker consumes it; emptied at once


def _warm_up_publisher(app: object, broker: redis.Redis) -> None:
    """The benchmark's first publish opens its connection to Redis, declares the queue and builds Celery's
    producer and message machinery (about 20 ms): the benchmark's own start-up, not the job's time, so a message
    to a queue nobody consumes goes first and the clock starts after it."""
    with app.producer_or_acquire() as producer:
        producer.maybe_declare(app.amqp.queues[app.conf.task_default_queue])
    app.send_task("bench.warm_up", queue=WARM_UP_QUEUE)
    broker.delete(WARM_UP_QUEUE)


def snapshot_writes(database_url: str) -> int:
    """Rows inserted + updated in the snapshot table so far (pg_stat_user_tables)."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT coalesce(n_tup_ins + n_tup_upd, 0) FROM pg_stat_user_tables "
            "WHERE relname = 'oteapp_monthlysnapshot'"
        ).fetchone()
    return int(row[0]) if row else 0


def settled_snapshot_writes(database_url: str, *, wait: float = 3.0) -> int:
    """The counter once every backend that wrote has flushed its statistics (they do at exit, which is why
    the worker is stopped first): read until it stops moving."""
    value = snapshot_writes(database_url)
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        time.sleep(0.5)
        again = snapshot_writes(database_url)
        if again == value:
            return value
        value = again
    return value


@dataclass
class SnapshotResult:
    first: WorkerRun  # the median of the first runs (each on an empty snapshot table)
    rerun: WorkerRun
    rows_first: int
    rows_rerun: int
    snapshots: int
    first_seconds: list[float]  # every first run, in order
    peak_pool_rss_mb: float  # the largest pool process of any first run


def snapshot_first_runs(cfg: BenchConfig, procs: Processes, *, name: str) -> list[tuple[WorkerRun, int]]:
    """The nightly snapshot job (`oteapp.snapshots_nightly`: every organization's open months, in batches),
    `cfg.rounds` times, each from an empty snapshot table (so each writes every snapshot) on a freshly started
    worker: (the run, rows written) of each."""
    firsts = []
    for _ in range(cfg.rounds):
        with psycopg.connect(cfg.database_url, autocommit=True) as conn:
            conn.execute("DELETE FROM oteapp_monthlysnapshot")
        before = settled_snapshot_writes(cfg.database_url)
        worker = Worker(cfg, procs, name=name, extra_env={})
        worker.start()
        try:
            run = worker.run("oteapp.snapshots_nightly", timeout=cfg.job_timeout)
        finally:
            worker.stop()
        written = settled_snapshot_writes(cfg.database_url) - before
        log(f"snapshot job ({name}): {run.tasks} tasks in {run.seconds:.2f}s, {written} rows written, "
            f"pool process {run.peak_pool_rss_mb:.1f} MB")
        firsts.append((run, written))
    return firsts


def median_run(firsts: list[tuple[WorkerRun, int]]) -> tuple[WorkerRun, int]:
    # The median run (the machine's speed drifts, as for the web load); the rows any run wrote are the same.
    return sorted(firsts, key=lambda pair: pair[0].seconds)[(len(firsts) - 1) // 2]


def run_snapshots(cfg: BenchConfig, procs: Processes) -> SnapshotResult:
    """The first runs (snapshot_first_runs), then once more on the unchanged database, profiled."""
    firsts = snapshot_first_runs(cfg, procs, name="snapshots-1")
    before_rerun = settled_snapshot_writes(cfg.database_url)
    first, rows_first = median_run(firsts)
    worker = Worker(cfg, procs, name="snapshots-2", extra_env={})
    worker.start()
    try:
        # The re-run computes every report again and compares: its profile explains the job's compute time.
        rerun = worker.run(
            "oteapp.snapshots_nightly", timeout=cfg.job_timeout, profile_name="snapshots" if cfg.profile else None
        )
    finally:
        worker.stop()
    after = settled_snapshot_writes(cfg.database_url)
    with psycopg.connect(cfg.database_url, autocommit=True) as conn:
        count = conn.execute("SELECT count(*) FROM oteapp_monthlysnapshot").fetchone()[0]
    log(f"snapshot rerun: {rerun.seconds:.2f}s, {after - before_rerun} rows written")
    return SnapshotResult(
        first=first,
        rerun=rerun,
        rows_first=rows_first,
        rows_rerun=after - before_rerun,
        snapshots=count,
        first_seconds=[run.seconds for run, _ in firsts],
        peak_pool_rss_mb=max(run.peak_pool_rss_mb for run, _ in firsts),
    )


@dataclass
class GrowthResult:
    organizations: int
    run: WorkerRun  # the median first run
    rows: int
    first_seconds: list[float]
    peak_pool_rss_mb: float  # the largest pool process of any first run


def run_snapshot_growth(cfg: BenchConfig, procs: Processes, *, organizations: int) -> GrowthResult:
    """The snapshot job's first runs again, on the grown database (10,001 organizations)."""
    firsts = snapshot_first_runs(cfg, procs, name="snapshots-10k")
    run, rows = median_run(firsts)
    return GrowthResult(
        organizations=organizations,
        run=run,
        rows=rows,
        first_seconds=[first.seconds for first, _ in firsts],
        peak_pool_rss_mb=max(first.peak_pool_rss_mb for first, _ in firsts),
    )


def _sink_count(path: Path) -> int:
    try:
        with path.open("rb") as handle:
            return sum(1 for _ in handle)
    except FileNotFoundError:
        return 0


@dataclass
class DigestResult:
    run: WorkerRun
    emails: int
    expected: int
    sent_rows: int


def run_digests(cfg: BenchConfig, procs: Processes, *, expected: int) -> DigestResult:
    """`oteapp.month_close` for every organization, the whole pipeline: freeze last month's snapshot, create
    the deliveries, send them over SMTP to the sink. The send window is widened (DIGEST_SEND_WINDOW_DAYS) so
    the job does its work on any day of the month, as it does on the first days."""
    sink_file = OUT / "smtp-sink.txt"
    sink = procs.start(
        [sys.executable, "-m", "bench.smtp_sink", str(cfg.smtp_port), str(sink_file)],
        stdout_path=OUT / "smtp-sink.log",
    )
    wait_for_port(cfg.smtp_port, timeout=20, proc=sink)
    worker = Worker(cfg, procs, name="digests", extra_env={"DIGEST_SEND_WINDOW_DAYS": "31"})
    worker.start()
    try:
        # Done when the sink has them all and the worker is idle (a failed send would retry, and time out).
        run = worker.run(
            "oteapp.month_close", timeout=cfg.job_timeout, until=lambda: _sink_count(sink_file) >= expected
        )
        emails = _sink_count(sink_file)
        with psycopg.connect(cfg.database_url, autocommit=True) as conn:
            sent = conn.execute("SELECT count(*) FROM oteapp_digestdelivery WHERE state = 'sent'").fetchone()[0]
        log(f"digests: {emails} emails in {run.seconds:.2f}s ({sent} deliveries sent)")
        if cfg.profile:
            _profile_digests(cfg, worker, sink_file)
    finally:
        worker.stop()
        procs.stop(sink)
    return DigestResult(run=run, emails=emails, expected=expected, sent_rows=sent)


PROFILED_DIGEST_ORGS = 150


def _profile_digests(cfg: BenchConfig, worker: Worker, sink_file: Path) -> None:
    """Not measured: the first organizations' deliveries made pending again and sent once more under py-spy
    (exactly-once holds in the app; this resets it by hand in the benchmark's own database)."""
    with psycopg.connect(cfg.database_url, autocommit=True) as conn:
        reset = conn.execute(
            "UPDATE oteapp_digestdelivery SET state = 'pending', attempts = 0, sent_at = NULL, claimed_at = NULL "
            "WHERE organization_id IN (SELECT id FROM accounts_organization ORDER BY id LIMIT %s)",
            [PROFILED_DIGEST_ORGS],
        ).rowcount
    target = _sink_count(sink_file) + reset
    worker.run("oteapp.month_close", timeout=cfg.job_timeout, until=lambda: _sink_count(sink_file) >= target,
               profile_name="digests")
