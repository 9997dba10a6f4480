"""The actuals import of a large customer's history, 14,400 rows (400 reps x 36 months), through the app's import
service (`oteapp.services.actuals.actuals_file_apply`, what the upload screen calls), against its floor: COPY of the
same file into a scratch table.

Each import runs in a process of its own (`python -m bench.imports SLUG FILE`), so that its peak RSS (VmHWM) is the
import's: Django loaded, the file, the plan, the writes. It runs as a request does: in one transaction, as the
row-level-security role, signed in as an owner, in the organization's context; the commit is timed too.

Two files, both measured: the history uploaded into a new organization (every rep and row created), and the same
shape with other values into the large organization, which holds these 400 reps and months already (rows updated).
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import date

import psycopg

from bench.common import OUT, log
from bench.context import Bench, Measured
from bench.datagen import LARGE_SLUG, _large_counts, month_add

IMPORT_SLUG = "bench-import"
COPY_RUNS = 5
COPY = "COPY bench_import_floor FROM STDIN (FORMAT csv, HEADER true)"
HEADER = ("month", "rep", "role", "deals", "meetings", "team_deals", "revenue")
# The scratch table of the floor: the file's columns, typed as the import stores them (months as text, as in the file).
SCRATCH = (
    "CREATE TEMP TABLE bench_import_floor (month text, rep text, role text, deals numeric(12, 2), "
    "meetings numeric(12, 2), team_deals numeric(12, 2), revenue numeric(14, 2))"
)


def actuals_file(*, reps: int, last_month: date, months: int, variant: int) -> str:
    """The CSV a customer exports: every rep of the large organization's mix (named as bench/datagen.py names them)
    in each of `months` months up to `last_month`; `variant` changes every value."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    for step in range(months):
        month = f"{month_add(last_month, step - months + 1):%Y-%m}"
        for kind, count in _large_counts(reps).items():
            for n in range(1, count + 1):
                h = (n * 7919 + step * 104729 + variant * 1299709) % 1000003
                deals = meetings = team_deals = revenue = ""
                if kind == "closer":
                    deals = str(h % 9 + variant)
                    revenue = f"{(h % 9 + variant) * 11340 * (90 + h % 21) / 100:.2f}" if h % 5 == 0 else ""
                elif kind == "setter":
                    meetings, deals = str(20 + h % 41 + variant), str(h % 12) if h % 2 == 0 else ""
                else:
                    team_deals = str(20 + h % 30 + variant)
                writer.writerow((month, f"{kind.title()} {n:04d}", kind, deals, meetings, team_deals, revenue))
    return out.getvalue()


def copy_floor(database_url: str, text: str) -> float:
    """Median seconds of COPY of the file into the scratch table (its own transaction, committed)."""
    seconds = []
    with psycopg.connect(database_url) as conn:
        conn.execute(SCRATCH)
        conn.commit()
        for _ in range(COPY_RUNS):
            conn.execute("TRUNCATE bench_import_floor")
            conn.commit()
            start = time.perf_counter()
            with conn.cursor() as cursor, cursor.copy(COPY) as copy:
                copy.write(text)
            conn.commit()
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


@dataclass
class ImportRun:
    seconds: float
    rows: int
    reps_created: int
    actuals_created: int
    actuals_updated: int
    audit_events: int
    rss_before_mb: float
    peak_rss_mb: float


def _run(bench: Bench, *, slug: str, text: str, name: str) -> ImportRun:
    path = OUT / f"import-{name}.csv"
    path.write_text(text)
    done = subprocess.run(  # noqa: S603 (our own interpreter and module)
        [sys.executable, "-m", "bench.imports", slug, str(path)],
        capture_output=True, text=True, check=False, env={**os.environ, **bench.cfg.django_env()},
        timeout=bench.cfg.job_timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the import into {slug} failed: {done.stderr[-2000:]}")
    return ImportRun(**json.loads(done.stdout.strip().splitlines()[-1]))


def measure(bench: Bench) -> Measured:
    cfg = bench.cfg
    reps, months = cfg.large_reps, cfg.large_months
    last = bench.data.current_month
    history = actuals_file(reps=reps, last_month=last, months=months, variant=1)
    floor = copy_floor(cfg.database_url, history)
    new = _run(bench, slug=IMPORT_SLUG, text=history, name="new")
    log(f"import into a new organization: {new.rows:,} rows in {new.seconds:.2f}s, peak RSS {new.peak_rss_mb:.0f} MB")
    again = _run(bench, slug=LARGE_SLUG, text=actuals_file(reps=reps, last_month=last, months=months, variant=2),
                 name="update")
    log(f"import into the large organization: {again.rows:,} rows in {again.seconds:.2f}s, "
        f"peak RSS {again.peak_rss_mb:.0f} MB")
    slower = max((new, again), key=lambda run: run.seconds)

    def line(what: str, run: ImportRun) -> str:
        return (
            f"- {what}: {run.rows:,} rows in {run.seconds:.3f} s ({run.seconds / floor:.1f} x the COPY floor): "
            f"{run.reps_created:,} reps created, {run.actuals_created:,} rows created, {run.actuals_updated:,} "
            f"updated, {run.audit_events:,} audit events; RSS {run.rss_before_mb:.0f} MB before, "
            f"{run.peak_rss_mb:.0f} MB at peak."
        )

    return Measured(
        values={
            "import_rows": slower.rows,
            "import_s": round(slower.seconds, 3),
            "import_copy_floor_s": round(floor, 4),
            "import_peak_rss_mb": round(max(new.peak_rss_mb, again.peak_rss_mb), 1),
        },
        lines=[
            "## Actuals import",
            "",
            f"A CSV of {reps:,} reps x {months} months through `actuals_file_apply` (what the upload screen applies), "
            "each in a process of its own, as a request runs it (one transaction, the row-level-security role, an "
            "owner signed in); its time includes parsing, checking, the writes, the audit trail and the commit. "
            f"`import_s` is the slower of the two below; the floor is COPY of the same file into a scratch table "
            f"(median of {COPY_RUNS}): {floor:.4f} s. Peak RSS is the process's (`VmHWM`), Django included.",
            "",
            line("Into a new organization (the history at sign-up)", new),
            line("Into the large organization, every value changed (a corrected re-upload)", again),
            "",
        ],
    )


def _peak_rss_mb() -> float:
    """This process's peak RSS: VmHWM, which starts afresh at exec (`ru_maxrss` keeps the forking parent's peak)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status")


def main(slug: str, path: str) -> None:
    """In its own process: import the file into `slug` (created with the default roles when it does not exist; the
    bench user owns the large organization) and print the figures as one line of JSON."""
    import django

    django.setup()
    from django.db import connection, transaction

    from accounts import rls
    from accounts.models import Organization, User
    from accounts.services import organization_create
    from accounts.tenancy import organization_context
    from bench.datagen import BENCH_EMAIL
    from oteapp.models import AuditEvent
    from oteapp.services.actuals import actuals_file_apply

    owner = User.objects.get(email=BENCH_EMAIL)
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        organization = organization_create(name="Bench Import", slug=slug, owner=owner)
    data = open(path, "rb").read()  # noqa: SIM115 (read whole, as an upload arrives)
    with organization_context(organization):
        events_before = AuditEvent.objects.filter(organization=organization).count()
    connection.close()
    rss_before = _peak_rss_mb()
    start = time.perf_counter()
    with transaction.atomic():
        if rls.rls_enabled():
            rls.request_settings_set(user_id=owner.pk, bypass=False)
        with organization_context(organization):
            result = actuals_file_apply(organization=organization, actor=owner, data=data)
    seconds = time.perf_counter() - start
    peak = _peak_rss_mb()
    with organization_context(organization):
        events = AuditEvent.objects.filter(organization=organization).count() - events_before
    print(json.dumps({
        "seconds": seconds,
        "rows": data.count(b"\n") - 1,  # the header's line is not a row
        "reps_created": result.reps_created,
        "actuals_created": result.actuals_created,
        "actuals_updated": result.actuals_updated,
        "audit_events": events,
        "rss_before_mb": rss_before,
        "peak_rss_mb": peak,
    }))


if __name__ == "__main__":
    main(*sys.argv[1:3])
