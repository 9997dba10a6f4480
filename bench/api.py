"""The API's bulk upsert against the file import of the same rows (issue 18): 14,400 actuals (400 reps x 36
months) in one `PUT /api/v1/actuals` versus `actuals_file_apply` with the same rows as a CSV file. Target: the API
within 2 x the file import.

Both run in-process on the benchmark's database and organization: the file import as the service call the upload
page makes once its preview is confirmed, the API as a whole request through Django's test client (middleware, key,
row-level security, JSON parsing and schema validation, the same import core, the answer). Each round writes new
values into every row (both paths update all 14,400), alternating the two paths; the median of the rounds counts.
Celery is pointed at the benchmark's Redis without eager tasks, so neither path computes snapshots in the timing
(both only queue their refresh).

    `measure(bench)`             → `api_bulk_upsert_s` for `make bench` (bench/run.py), on its large organization;
                                   its target is <= 2 x `import_s` (bench/report.py).
    `api_bulk_upsert(slug=...)`  → ApiBulkUpsert (seconds of each, and the ratio).
    `python -m bench.api`        → the same on a 400 x 36 organization it creates in DATABASE_URL's database.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
import time
from dataclasses import dataclass
from datetime import date

from bench.common import LOOPBACK, log
from bench.context import Bench, Measured
from bench.datagen import LARGE_SLUG

ROUNDS = int(os.environ.get("BENCH_API_ROUNDS", "3"))
TARGET_RATIO = 2.0


@dataclass(frozen=True)
class ApiBulkUpsert:
    rows: int
    api_s: float  # median of the rounds
    file_s: float
    rounds: int

    @property
    def ratio(self) -> float:
        return self.api_s / self.file_s


def _rows(organization, *, bump: int) -> list[dict[str, str]]:
    """Every stored actuals row of the organization, its role's unit column raised by `bump` (>= 1): each row changes
    whatever it holds, and rows read once and written with bumps 1 and 2 change in both writes."""
    from oteapp.models import MonthlyActual
    from oteapp.months import format_month

    column = {"closer": "deals", "setter": "meetings", "manager": "team_deals"}
    rows = []
    actuals = MonthlyActual.objects.filter(organization=organization).select_related("rep__role").order_by("pk")
    for actual in actuals:
        name = column[actual.rep.role.kind]
        value = (getattr(actual, name) or 0) + bump
        rows.append({"month": format_month(actual.month), "rep": actual.rep.name, name: str(value)})
    return rows


def _csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=["month", "rep", "role", "deals", "meetings", "team_deals"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def api_bulk_upsert(*, slug: str, rounds: int = ROUNDS) -> ApiBulkUpsert:
    """Time both paths on the organization `slug` (Django set up, its database migrated, Redis reachable)."""
    from django.db import transaction
    from django.test import Client

    from accounts.models import Organization
    from accounts.tenancy import organization_context
    from config.celery import app as celery_app
    from oteapp.api.keys import api_key_create
    from oteapp.services.actuals import actuals_file_apply

    organization = Organization.objects.get(slug=slug)
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = False
    try:
        with organization_context(organization):
            _, key = api_key_create(
                organization=organization, actor=None, name=f"bench {time.time_ns()}", scope="write"
            )
        # Host: the benchmark runs with production settings, which allow only the loopback address.
        client = Client(headers={"Authorization": f"Bearer {key}", "Host": LOOPBACK})
        api_times, file_times, count = [], [], 0
        for _ in range(rounds):
            with organization_context(organization):
                file_rows = _rows(organization, bump=1)
                api_rows = _rows(organization, bump=2)
            count = len(api_rows)
            text = _csv(file_rows)
            body = json.dumps({"rows": api_rows})

            started = time.perf_counter()
            with organization_context(organization), transaction.atomic():
                result = actuals_file_apply(organization=organization, actor=None, data=text)
            file_times.append(time.perf_counter() - started)
            assert result.actuals_updated == count, result

            started = time.perf_counter()
            response = client.put("/api/v1/actuals", body, content_type="application/json")
            api_times.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content[:500]
            assert response.json()["actuals_updated"] == count, response.json()
        return ApiBulkUpsert(
            rows=count, api_s=statistics.median(api_times), file_s=statistics.median(file_times), rounds=rounds
        )
    finally:
        celery_app.conf.task_always_eager = eager


def measure(bench: Bench) -> Measured:
    """The large organization's every actuals row (400 reps x 36 months at full scale), as `api_bulk_upsert` times it;
    `api_bulk_upsert_s` is compared with `import_s` (the file import in a process of its own), and the Markdown adds
    the file import timed in this same process, round for round."""
    result = api_bulk_upsert(slug=LARGE_SLUG)
    log(f"API bulk upsert: {result.rows:,} rows in {result.api_s:.2f}s (file import here {result.file_s:.2f}s)")
    return Measured(
        values={"api_bulk_upsert_s": round(result.api_s, 3)},
        lines=[
            "## API bulk upsert",
            "",
            f"`PUT /api/v1/actuals` with every actuals row of the large organization ({result.rows:,} rows, every "
            "value changed) in one request, through Django's test client in the benchmark's process (middleware, "
            "the key, row-level security, JSON parsing and schema validation, the import core, the answer); the "
            f"median of {result.rounds} rounds: {result.api_s:.3f} s. The same rows as a CSV through "
            f"`actuals_file_apply`, alternating with it in the same process: {result.file_s:.3f} s (ratio "
            f"{result.ratio:.2f}). The target compares `api_bulk_upsert_s` with `import_s`. Snapshot refreshes are "
            "only queued (no eager tasks) in both.",
            "",
        ],
    )


def _organization_create(*, slug: str, reps: int = 400, months: int = 36) -> None:
    """A 400-rep organization (the default roles, 3 in 5 closers, 3 in 10 setters, 1 in 10 managers) with a row for
    every rep and month, ending in the current month."""
    from django.utils import timezone

    from accounts.models import Organization
    from accounts.services import organization_create
    from oteapp.models import MonthlyActual, Rep, SalesRole
    from oteapp.months import month_add

    Organization.objects.filter(slug=slug).delete()
    organization = organization_create(name="Bench API", slug=slug)
    roles = {role.kind: role for role in SalesRole.unscoped.filter(organization=organization)}
    kinds = ["closer"] * 6 + ["setter"] * 3 + ["manager"]
    created = Rep.unscoped.bulk_create(
        Rep(organization=organization, role=roles[kinds[n % 10]], name=f"Rep {n:04d}", start_date=date(2020, 1, 1))
        for n in range(reps)
    )
    last = timezone.now().date().replace(day=1)
    MonthlyActual.unscoped.bulk_create(
        MonthlyActual(
            organization=organization, rep=rep, month=month_add(last, -offset), deals=1, meetings=1, team_deals=1
        )
        for rep in created
        for offset in range(months)
    )


def main() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    os.environ.setdefault("DJANGO_DEBUG", "false")
    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    slug = "bench-api"
    _organization_create(slug=slug)
    result = api_bulk_upsert(slug=slug)
    verdict = "PASS" if result.ratio <= TARGET_RATIO else "FAIL"
    print(
        f"{result.rows:,} rows: API {result.api_s:.3f} s, file import {result.file_s:.3f} s, "
        f"ratio {result.ratio:.2f} (target <= {TARGET_RATIO}) {verdict}; median of {result.rounds} rounds"
    )


if __name__ == "__main__":
    main()
