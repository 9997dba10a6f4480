"""`make bench`: generate the data, serve the app with gunicorn (production settings), load it from
loopback, time the SQL floors, run the snapshot job and the digests on a real Celery worker, and write
docs/benchmarks.md and docs/benchmarks.json. See bench/README.md.

Everything it starts is stopped in `finally` (process groups), it uses only its own PostgreSQL database
(BENCH_DB, default oteapp_bench, dropped at the end) and its own Redis db (BENCH_REDIS_DB, default 13,
flushed before and after), and it sends traffic to 127.0.0.1 only.
"""

from __future__ import annotations

import os
import secrets
import signal
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import psutil
import redis

from bench import api, backtest, datagen, edits, imports, jobs, loadgen, profile, report, sqlfloor
from bench.common import OUT, BenchConfig, MachineWatch, Processes, RssSampler, children_of, log, wait_for_port
from bench.context import CSRF_SECRET_LENGTH, Bench, Measured

# The jobs are measured at 1,001 organizations, then at 1 + GROWTH x 1,000 (10,001): time linear, memory flat.
GROWTH = 10


@dataclass
class Phase:
    name: str
    seconds: float
    start: float
    end: float


class Clock:
    def __init__(self) -> None:
        self.start = time.monotonic()
        self.phases: list[Phase] = []
        self._mark = self.start

    def lap(self, name: str) -> None:
        now = time.monotonic()
        self.phases.append(Phase(name, now - self._mark, self._mark, now))
        log(f"{name}: {now - self._mark:.1f}s (total {now - self.start:.0f}s)")
        self._mark = now


def _flush_redis(cfg: BenchConfig) -> None:
    redis.Redis.from_url(cfg.redis_url).flushdb()


def _machine_note() -> str:
    """Other processes busy on the machine now: the figures are only comparable on a quiet machine."""
    ours = {os.getpid(), *(p.pid for p in children_of(os.getpid()))}
    busy = []
    for process in psutil.process_iter(["pid", "name"]):
        if process.info["pid"] in ours:
            continue
        try:
            process.cpu_percent(None)
        except psutil.Error:
            continue
    time.sleep(1.0)
    for process in psutil.process_iter(["pid", "name", "cmdline"]):
        if process.info["pid"] in ours:
            continue
        try:
            cpu = process.cpu_percent(None)
        except psutil.Error:
            continue
        if cpu >= 10:
            busy.append(f"{process.info['name']} {cpu:.0f}%")
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return f"load average {load}; other processes using ≥10% of a core: {', '.join(busy) or 'none'}"


# --- the web -------------------------------------------------------------------------------------


def _targets(bench: Bench) -> dict[str, loadgen.Target]:
    from django.urls import reverse

    from bench import urls as bench_urls

    data = bench.data
    month = f"{data.month:%Y-%m}"
    signed_in = bench.signed_in
    targets = {"healthz": loadgen.Target("healthz", "/healthz")}
    targets["signed_in_floor"] = loadgen.Target(
        "signed_in_floor", f"/o/{data.small_slug}/{bench_urls.SIGNED_IN_FLOOR_PATH}", signed_in(data.small_slug)
    )
    # A scenario as someone types it: a higher deal value, closers 20% more productive, a manager OTE, a goal.
    scenario = "&role-closer-productivity_change=20&role-manager-annual_ote=95000&target_revenue=2000000"
    for size, slug in (("small", data.small_slug), ("large", data.large_slug)):
        cookie = signed_in(slug)
        page = reverse("oteapp:performance", kwargs={"org_slug": slug}) + f"?month={month}"
        whatif_live = reverse("oteapp:whatif", kwargs={"org_slug": slug}) + f"?month={month}{scenario}"
        targets[f"page_{size}"] = loadgen.Target(f"page_{size}", page, cookie)
        targets[f"partial_{size}"] = loadgen.Target(f"partial_{size}", page, {**cookie, "HX-Request": "true"})
        # The live recalculation: the scenario form's hx-get, answered with the results partial only, for a
        # new scenario on every request (a new deal value), as when someone types.
        results = {**cookie, "HX-Request": "true", "HX-Target": "whatif-results"}
        targets[f"whatif_{size}"] = loadgen.Target(f"whatif_{size}", whatif_live, results, vary_param="deal_value")
    return targets


def _check(cfg: BenchConfig, target: loadgen.Target) -> None:
    """The load must hit the real thing: 200, and a full page or a partial as intended."""
    status, body = loadgen.fetch(cfg.web_port, target)
    full = "<html" in body.lower()
    if status != 200:
        raise RuntimeError(f"{target.name}: {target.path} answered {status}: {body[:300]!r}")
    if target.name == "signed_in_floor" and body != "ok":
        raise RuntimeError(f"{target.name}: not the signed-in floor's answer: {body[:300]!r}")
    if target.name.startswith("page") and not (full and "Team Performance" in body):
        raise RuntimeError(f"{target.name}: not the Team Performance page")
    if target.name.startswith("partial") and (full or "Team Performance" not in body):
        raise RuntimeError(f"{target.name}: not the Team Performance partial")
    if target.name.startswith("whatif") and (full or "whatif-results" not in body):
        raise RuntimeError(f"{target.name}: not the What-If results partial")


def _gunicorn(cfg: BenchConfig, procs: Processes) -> subprocess.Popen:
    args = [
        sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{cfg.web_port}",
        "--workers", str(cfg.web_workers), "--worker-class", "sync", "--timeout", "120",
        "--graceful-timeout", "5", "--log-level", "warning",
    ]
    env = {**cfg.django_env(), "DJANGO_SETTINGS_MODULE": "bench.web_settings"}  # production, plus the signed-in floor
    proc = procs.start(args, env=env, stdout_path=OUT / "gunicorn.log")
    wait_for_port(cfg.web_port, timeout=60, proc=proc)
    deadline = time.monotonic() + 30
    while len(children_of(proc.pid)) < cfg.web_workers and time.monotonic() < deadline:
        time.sleep(0.1)
    return proc


def query_counts(
    targets: dict[str, loadgen.Target], *, repeat: int = 5, computed: bool = False
) -> dict[str, tuple[int, float, float]]:
    """Per target: SQL statements per request, and the median milliseconds of the request and of its
    statements (client side: round trip and execution), through Django's test client in this process (same
    settings, database and middleware) — what the profile shows as psycopg time, counted. `computed`
    empties the fragment cache before each request: the first view of a screen after its data changed."""
    from django.core.cache import caches
    from django.db import connection
    from django.test import Client

    timings: list[float] = []

    def timed_execute(execute: Callable, sql: str, params: object, many: bool, context: dict) -> object:
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timings.append(time.perf_counter() - start)

    counts = {}
    for name, target in targets.items():
        client = Client(HTTP_HOST="127.0.0.1")
        for pair in filter(None, target.headers.get("Cookie", "").split("; ")):
            cookie_name, _, value = pair.partition("=")
            client.cookies[cookie_name] = value
        extra = {key: value for key, value in target.headers.items() if key != "Cookie"}
        totals, sql_times, statements = [], [], 0
        for _ in range(repeat + 1):  # the first one warms the caches and is not counted
            timings.clear()
            if computed:
                caches["fragments"].clear()
            start = time.perf_counter()
            with connection.execute_wrapper(timed_execute):
                response = client.get(target.path_for_request(), headers=extra)
            totals.append((time.perf_counter() - start) * 1000)
            sql_times.append(sum(timings) * 1000)
            statements = len(timings)
        if response.status_code == 200:
            counts[name] = (statements, statistics.median(totals[1:]), statistics.median(sql_times[1:]))
    connection.close()
    return counts


THROUGHPUT_SCENARIOS = (
    "healthz", "signed_in_floor", "page_small", "page_large", "partial_small", "partial_large", "whatif_small",
    "whatif_large",
)


@dataclass
class WebResult:
    runs: dict[str, loadgen.LoadResult]  # per scenario: its median round
    rounds: dict[str, list[float]]  # per scenario: req/s of each round, in order
    shared: dict[str, float]  # cores used by other processes during each scenario
    profile: profile.Profile | None


def run_web(
    cfg: BenchConfig, server: subprocess.Popen, targets: dict[str, loadgen.Target], watch: MachineWatch
) -> WebResult:
    """The throughput scenarios, the signed-in floor at one client, and the profile of the large page."""
    runs: dict[str, loadgen.LoadResult] = {}
    rounds: dict[str, list[loadgen.LoadResult]] = {}
    shared: dict[str, list[float]] = {}

    def load(name: str, key: str, connections: int, seconds: float) -> None:
        result = loadgen.run(cfg.web_port, targets[name], connections=connections, seconds=seconds, warmup=cfg.warmup)
        rounds.setdefault(key, []).append(result)
        time.sleep(watch.interval)  # the watch's sample covering the end of the run
        share = watch.share(time.monotonic() - watch.interval - result.seconds, time.monotonic())[0]
        shared.setdefault(key, []).append(share)
        log(f"{key}: {result.rps:,.1f} req/s, p50 {result.p50_ms:.1f} ms, p95 {result.p95_ms:.1f} ms, "
            f"{result.requests} requests, {result.errors} errors ({result.tool}, {connections} conn.)")

    # The latency target's floor: what a signed-in screen costs one client before it does anything.
    load("signed_in_floor", "signed_in_floor@1", 1, cfg.latency_duration)
    # In turn, round after round: the machine's speed drifts by 10-20% over a few minutes (a shared virtual
    # machine), and a ratio of two figures taken minutes apart carried that drift.
    for _ in range(cfg.rounds):
        for name in THROUGHPUT_SCENARIOS:
            load(name, name, cfg.connections, cfg.duration)
    for key, results in rounds.items():
        runs[key] = sorted(results, key=lambda result: result.rps)[(len(results) - 1) // 2]
    found = None
    if cfg.profile:
        # Not measured: the samplers slow the workers a little. 12 s of the large page under load.
        time.sleep(1.0)  # requests of the previous scenario still in flight must not be sampled
        samplers = profile.record([p.pid for p in children_of(server.pid)], 12, "page_large")
        if samplers:
            time.sleep(0.5)
            loadgen.run(cfg.web_port, targets["page_large"], connections=cfg.connections, seconds=10)
            for sampler in samplers:
                sampler.wait(60)
            found = profile.summarize("page_large")
    return WebResult(
        runs=runs,
        rounds={key: [result.rps for result in results] for key, results in rounds.items()},
        shared={key: statistics.mean(values) for key, values in shared.items()},
        profile=found,
    )


# --- the report ------------------------------------------------------------------------------------


def _profile_section(title: str, found: profile.Profile | None, what: str) -> list[str]:
    if found is None:
        return []
    return [
        f"## Profile: {title}",
        "",
        f"py-spy, wall clock (idle frames included, so waiting for PostgreSQL counts), {found.samples:,} samples "
        f"of {what}; stacks in `{found.raw_path.relative_to(OUT.parent.parent)}` (not committed).",
        "",
        "| where | share of the time |",
        "|---|---:|",
        *[f"| {label} | {share:.1f}% |" for label, share in found.buckets],
        "",
        "Project functions, inclusive (the function and everything it calls):",
        "",
        "| function | share |",
        "|---|---:|",
        *[f"| `{frame}` | {share:.1f}% |" for frame, share in found.inclusive],
        "",
        "Self time (where the samples were):",
        "",
        "| function | share |",
        "|---|---:|",
        *[f"| `{frame}` | {share:.1f}% |" for frame, share in found.self_time],
        "",
    ]


def _sections(
    cfg: BenchConfig,
    data: datagen.BenchData,
    web: WebResult,
    floors: dict[str, str],
    snap: jobs.SnapshotResult | None,
    digest: jobs.DigestResult | None,
    grown: jobs.GrowthResult | None,
    measured: list[Measured],
    note_start: str,
    note_end: str,
    clock: Clock,
    checks: str,
    watch: MachineWatch,
) -> list[str]:
    tool = next(iter(web.runs.values())).tool if web.runs else "—"
    lines = [
        "## How this run was made",
        "",
        f"- Data (PostgreSQL database `{cfg.database}`, created fresh, migrated, generated set-based): "
        f"{data.organizations:,} organizations (one large with {cfg.large_reps} reps and {cfg.large_months} months "
        f"of actuals, {data.organizations - 1:,} small with {cfg.small_reps} reps and {cfg.small_months} months), "
        f"{data.reps:,} reps, {data.actuals:,} actuals rows; scale {cfg.scale:g}. Default settings and roles as "
        "`organization_create` makes them, deal value 11,340; the large organization's closers have a ramp and "
        "accelerators. Pages show "
        f"{data.month:%Y-%m} (the last closed month).",
        f"- Web: gunicorn, production settings (DEBUG off, SSL redirect off, ALLOWED_HOSTS 127.0.0.1), "
        f"{cfg.web_workers} sync workers for {os.cpu_count()} cores, requests as the row-level-security role. "
        f"Load from `{tool}` on 127.0.0.1 with {cfg.connections} connections for {cfg.duration:g} s per scenario "
        f"after {cfg.warmup:g} s of warm-up, {cfg.rounds} rounds of every scenario in turn, each figure its median "
        f"round; one-client latency runs of {cfg.latency_duration:g} s. Signed in through "
        "a session made in the session store (one per organization), sent with a CSRF cookie as a browser "
        "holds one after its first page.",
        "- JSON keys: `partial_rps` and `whatif_rps` are the small organization's (the typical customer; the large "
        "one's figures are below). `signed_in_floor_rps` is its throughput run, `signed_in_floor_p50_ms` its run "
        "at one client.",
        "- Caching: Team Performance fragments are cached in each web worker, keyed by the organization's data "
        "version (oteapp/views/fragments.py); the warm-up fills them, so the page and partial figures are what a "
        "view costs while the data is unchanged (\"After an edit\" below is the first view after a change). "
        "`whatif` asks a new scenario on every request (a random deal value): a real recalculation, only the "
        "month's baseline cached.",
        "- `signed_in_floor`: a route only the benchmark's gunicorn serves (`bench/web_settings.py`: production "
        "settings with `bench/urls.py`, the app's routes and this one after them), under the small organization's "
        "`/o/<slug>/`. It runs everything a screen there runs before its view (session, user, membership, the "
        "request's transaction) and answers `ok`: what any signed-in screen costs before doing anything, as "
        "`/healthz` is for a request that signs no one in. The web targets are ratios to it.",
        f"- Jobs: one Celery worker (`--concurrency={jobs.WORKER_CONCURRENCY}`, prefork, as in the Procfile) on Redis "
        f"db {cfg.redis_db}; the snapshot job is `oteapp.snapshots_nightly` (every organization's open months, "
        "in batches); digests are `oteapp.month_close` (freeze last month, create deliveries, send) with the "
        "send window widened to the whole month, through an aiosmtpd server on loopback. "
        "`worker_rss_mb` is the RSS of the largest single process of the worker (a pool process); the worker's "
        "total (PSS, which splits the pages the forked pool processes share with their parent) is below.",
        f"- Machine at start: {note_start}. Other processes used {watch.share(clock.start, time.monotonic())[0]:.2f}"
        " cores on average during the run (per phase and scenario below).",
        f"- Machine at end: {note_end}.",
        "",
        "## Load details",
        "",
        "| scenario | connections | requests | req/s | p50 ms | p95 ms | errors | ratio to the signed-in floor "
        "| req/s of each round | other processes (cores) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|",
    ]
    floor = web.runs.get("signed_in_floor")
    for key, run in web.runs.items():
        ratio = f"{run.rps / floor.rps:.3f}" if floor and floor.rps and "@" not in key else "—"
        each = ", ".join(f"{rps:,.0f}" for rps in web.rounds.get(key, [])) if "@" not in key else "—"
        lines.append(f"| {key} | {run.connections} | {run.requests:,} | {run.rps:,.1f} | {run.p50_ms:.2f} | "
                     f"{run.p95_ms:.2f} | {run.errors} | {ratio} | {each} | {web.shared.get(key, 0.0):.2f} |")
    lines += [
        "",
        f"`@1`: one client, for the latency targets. The other scenarios ran {cfg.rounds} times in turn "
        f"({cfg.duration:g} s each after {cfg.warmup:g} s of warm-up); each line is its median round.",
        "",
        "## SQL floors and round trips",
        "",
    ]
    for name, floor in floors.items():
        lines.append(f"- {name}: {floor}")
    lines += [f"- Floor vs engine (role totals of the page month): {checks}", ""]
    if snap is not None:
        lines += [
            "## Jobs",
            "",
            f"- Snapshot job: {snap.first.tasks} tasks, {snap.first.seconds:.3f} s (the median of "
            f"{len(snap.first_seconds)} runs on an empty snapshot table: "
            f"{', '.join(f'{seconds:.3f}' for seconds in snap.first_seconds)} s), {snap.rows_first:,} rows written "
            f"({snap.snapshots:,} snapshots in the table); failed tasks {snap.first.failed}"
            f"{'; TIMED OUT' if snap.first.timed_out else ''}. Worker peak: pool "
            f"process {snap.peak_pool_rss_mb:.1f} MB RSS, all its processes "
            f"{snap.first.peak_total_pss_mb:.1f} MB PSS ({snap.first.peak_total_rss_mb:.1f} MB summed RSS).",
            f"- Re-run on unchanged data: {snap.rerun.tasks} tasks, {snap.rerun.seconds:.3f} s, {snap.rows_rerun} rows "
            "written (pg_stat_user_tables n_tup_ins + n_tup_upd of oteapp_monthlysnapshot, read after the worker "
            "exited so its statistics were flushed).",
        ]
    if digest is not None:
        lines.append(
            f"- Digests: {digest.emails:,} emails received by the SMTP sink (expected {digest.expected:,}; "
            f"{digest.sent_rows:,} deliveries marked sent) in {digest.run.seconds:.3f} s, "
            f"{digest.emails / digest.run.seconds if digest.run.seconds else 0:,.1f} emails/s; {digest.run.tasks} "
            f"tasks, {digest.run.failed} failed, {digest.run.retried} retried"
            f"{'; TIMED OUT' if digest.run.timed_out else ''}. Worker peak: pool process "
            f"{digest.run.peak_pool_rss_mb:.1f} MB RSS, all its processes {digest.run.peak_total_pss_mb:.1f} MB PSS."
        )
    if grown is not None and snap is not None:
        lines.append(
            f"- The snapshot job at {grown.organizations:,} organizations (the same small organizations, {GROWTH} "
            f"times as many, added after the digests): {grown.run.seconds:.3f} s (median of "
            f"{', '.join(f'{seconds:.3f}' for seconds in grown.first_seconds)} s, each from an empty snapshot table), "
            f"{grown.rows:,} rows written, {grown.run.tasks} tasks, {grown.run.failed} failed"
            f"{'; TIMED OUT' if grown.run.timed_out else ''}; {grown.run.seconds / snap.first.seconds:.2f} x the time "
            f"at {data.organizations:,}. Pool process at peak {grown.peak_pool_rss_mb:.1f} MB RSS against "
            f"{snap.peak_pool_rss_mb:.1f} MB ({grown.peak_pool_rss_mb / snap.peak_pool_rss_mb:.2f} x); all its "
            f"processes {grown.run.peak_total_pss_mb:.1f} MB PSS."
        )
    lines.append("")
    for measurement in measured:
        lines += measurement.lines
    lines += _profile_section(
        "the Team Performance page of the large organization", web.profile,
        "the gunicorn workers while serving the page under load",
    )
    lines += _profile_section(
        "the snapshot job", profile.summarize("snapshots", busy_marker=profile.CELERY_TASK) if cfg.profile else None,
        "the Celery pool process during the re-run (same computation as the first run, nothing to write)",
    )
    lines += _profile_section(
        "the digests", profile.summarize("digests", busy_marker=profile.CELERY_TASK) if cfg.profile else None,
        f"the Celery pool process while month close sent the first {jobs.PROFILED_DIGEST_ORGS} organizations' "
        "digests once more (deliveries reset to pending; not the measured pass)",
    )
    lines += [
        "## Phases",
        "",
        "Other processes: CPU used by everything that is not this benchmark (its process tree and the PostgreSQL "
        "backends of its database excluded), in cores on average; above ~0.1 the machine was shared.",
        "",
        "| phase | seconds | other processes (cores) | busiest other |",
        "|---|---:|---:|---|",
    ]
    for phase in clock.phases:
        cores, busiest = watch.share(phase.start, phase.end)
        lines.append(f"| {phase.name} | {phase.seconds:.1f} | {cores:.2f} | {busiest or '—'} |")
    cores, busiest = watch.share(clock.start, time.monotonic())
    lines.append(f"| total | {time.monotonic() - clock.start:.1f} | {cores:.2f} | {busiest or '—'} |")
    return lines


def _serve_and_measure(
    bench: Bench, targets: dict[str, loadgen.Target], watch: MachineWatch, clock: Clock
) -> tuple[WebResult, float, list[Measured]]:
    """Everything that needs the benchmark's gunicorn: the load, then the measurements that send it requests.
    Returns the load, the peak RSS of one web worker over all of it, and the measurements."""
    cfg = bench.cfg
    server = _gunicorn(cfg, bench.procs)
    try:
        with RssSampler(lambda: children_of(server.pid)) as rss:
            for target in targets.values():
                _check(cfg, target)
            web = run_web(cfg, server, targets, watch)
            clock.lap("web load")
            partials = {size: targets[f"partial_{size}"] for size in ("small", "large")}
            measured = [edits.measure(bench, partials=partials)]
            clock.lap("edits and computed views")
        return web, rss.peak_one, measured
    finally:
        bench.procs.stop(server)


def main() -> int:
    # WhiteNoise warns that collectstatic never ran: the benchmark serves no static files.
    warnings.filterwarnings("ignore", message="No directory at")
    cfg = BenchConfig()
    OUT.mkdir(parents=True, exist_ok=True)
    for stale in OUT.glob("profile-*.txt"):  # a previous run's samples must not mix with this run's
        stale.unlink()
    procs = Processes()
    clock = Clock()

    def interrupted(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, interrupted)
    note_start = _machine_note()
    log(f"machine: {os.cpu_count()} cores; {note_start}")
    created = False
    watch = MachineWatch(database=cfg.database).__enter__()
    try:
        _flush_redis(cfg)
        datagen.recreate_database(cfg)
        created = True
        cfg.apply_env()
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # post_migrate installs the row-level-security role and policies
        clock.lap("database created and migrated")
        today = datetime.now(UTC).date()
        data = datagen.generate(cfg, today=today)
        slugs = (data.large_slug, data.small_slug)
        from accounts.models import Organization

        bench = Bench(
            cfg=cfg,
            procs=procs,
            data=data,
            organization_ids=dict(Organization.objects.filter(slug__in=slugs).values_list("slug", "pk")),
            cookies={slug: datagen.session_cookie(email=datagen.BENCH_EMAIL, slug=slug) for slug in slugs},
            csrf_secret=secrets.token_hex(CSRF_SECRET_LENGTH // 2),
        )
        clock.lap("data generated")

        floors: dict[str, str] = {}
        page_floor = {}
        checks = []
        for size, slug in (("small", data.small_slug), ("large", data.large_slug)):
            organization_id = bench.organization_ids[slug]
            timing = sqlfloor.page_floor(cfg.database_url, organization_id=organization_id, month=data.month)
            page_floor[size] = timing.median_ms
            floors[f"page floor, {size} org"] = (
                f"{timing.median_ms:.3f} ms (median of {timing.runs}, {timing.rows} rows, {timing.strategy})"
            )
            problems = sqlfloor.check_against_engine(
                cfg.database_url, organization_id=organization_id, month=data.month
            )
            checks.append(f"{size}: " + ("agree" if not problems else "; ".join(problems)))
        # The nightly job covers every organization's open months: the current month (all are on UTC).
        snap_floor_s, snap_rows, snap_strategy = sqlfloor.snapshot_floor(
            cfg.database_url, first_month=data.current_month, last_month=data.current_month
        )
        floors["snapshot floor (one statement, every organization's open month)"] = (
            f"{snap_floor_s:.4f} s (median of {sqlfloor.SNAPSHOT_FLOOR_RUNS}, {snap_rows:,} organization x month x "
            f"role rows, {snap_strategy})"
        )
        clock.lap("SQL floors")

        targets = _targets(bench)
        # The signed-in floor is the benchmark's gunicorn's only (bench/urls.py), not the app's.
        app_targets = {name: target for name, target in targets.items() if name != "signed_in_floor"}
        queries = query_counts(app_targets)
        queries_computed = query_counts(app_targets, computed=True)
        web, web_rss_mb, measured = _serve_and_measure(bench, targets, watch, clock)
        _flush_redis(cfg)  # the snapshot refreshes the edits asked for: the jobs below start from an empty queue
        snap = jobs.run_snapshots(cfg, procs)
        clock.lap("snapshot job")
        digest = jobs.run_digests(cfg, procs, expected=data.digest_recipients)
        clock.lap("digests")
        grown_data = datagen.add_small_organizations(cfg, today=today, total=cfg.small_orgs * GROWTH)
        clock.lap(f"data grown to {grown_data.organizations:,} organizations")
        grown = jobs.run_snapshot_growth(cfg, procs, organizations=grown_data.organizations)
        clock.lap("snapshot job, grown")
        # Measurements of their own, each adding its keys (bench/README.md, "Adding a measurement").
        measured.append(backtest.measure(bench))
        clock.lap("backtest")
        measured.append(imports.measure(bench))
        clock.lap("actuals import")
        measured.append(api.measure(bench))
        clock.lap("API bulk upsert")

        note_end = _machine_note()
        runs = web.runs
        results = {
            "cores": os.cpu_count(),
            "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "healthz_rps": round(runs["healthz"].rps, 1),
            "signed_in_floor_rps": round(runs["signed_in_floor"].rps, 1),
            "signed_in_floor_p50_ms": round(runs["signed_in_floor@1"].p50_ms, 3),
            "page_small_rps": round(runs["page_small"].rps, 1),
            "page_large_rps": round(runs["page_large"].rps, 1),
            "partial_rps": round(runs["partial_small"].rps, 1),
            "whatif_rps": round(runs["whatif_small"].rps, 1),
            "page_sql_floor_small_ms": round(page_floor["small"], 3),
            "page_sql_floor_large_ms": round(page_floor["large"], 3),
            "snapshot_s": round(snap.first.seconds, 3),
            "snapshot_sql_floor_s": round(snap_floor_s, 4),
            "snapshot_rerun_rows_written": snap.rows_rerun,
            "snapshot_1k_s": round(snap.first.seconds, 3),
            "snapshot_10k_s": round(grown.run.seconds, 3),
            "worker_rss_1k_mb": round(snap.peak_pool_rss_mb, 1),
            "worker_rss_10k_mb": round(grown.peak_pool_rss_mb, 1),
            "digests": digest.emails,
            "digests_s": round(digest.run.seconds, 3),
            "web_rss_mb": round(web_rss_mb, 1),
            "worker_rss_mb": round(max(snap.peak_pool_rss_mb, digest.run.peak_pool_rss_mb, grown.peak_pool_rss_mb), 1),
        }
        for measurement in measured:
            results.update(measurement.values)
        floors["per request, in-process (Django test client, same settings; median of 5)"] = "; ".join(
            f"{name}: {count} statements, {sql_ms:.1f} ms of them in SQL of {total_ms:.1f} ms"
            for name, (count, total_ms, sql_ms) in queries.items()
        )
        floors["the same, computed (fragment cache emptied before each request: a first view after a change)"] = (
            "; ".join(
                f"{name}: {count} statements, {sql_ms:.1f} ms of them in SQL of {total_ms:.1f} ms"
                for name, (count, total_ms, sql_ms) in queries_computed.items()
                if name != "healthz"
            )
        )
        sections = _sections(
            cfg, data, web, floors, snap, digest, grown, measured, note_start, note_end, clock, "; ".join(checks),
            watch,
        )
        # Only a full-size run may replace docs/; a development run (BENCH_SCALE < 1) writes to bench/out/.
        md, js = report.write(results, sections=sections, docs=None if cfg.scale >= 1 else OUT)
        for target, value, verdict in report.verdicts(results):
            log(f"{verdict:4} {target.label}: {value if value is None else round(value, 3)}")
        log(f"wrote {md} and {js} in {time.monotonic() - clock.start:.0f}s")
        return 0
    finally:
        watch.__exit__()
        procs.stop_all()
        try:
            _flush_redis(cfg)
            if created and not cfg.keep_db:
                from django.db import connections

                connections.close_all()
                datagen.drop_database(cfg)
        except Exception as error:
            log(f"cleanup: {error}")


if __name__ == "__main__":
    sys.exit(main())
