"""What a manager feels after an edit: one client saves a rep's actuals through the app (the Actuals grid's htmx
POST, as the browser sends it), then views the Team Performance partial; the view is timed. Every save changes a
value, so the organization's data version moves on and every view is computed, not served from the fragment cache.

`computed_partial_<size>_p50_ms` is the median view; the save's own time is reported beside it."""

from __future__ import annotations

import http.client
import statistics
import time
from urllib.parse import urlencode

import psycopg

from bench.common import LOOPBACK, log
from bench.context import Bench, Measured
from bench.loadgen import Target

VIEWS = 40  # edits and views per organization, after WARM_UP of each that are not counted
WARM_UP = 3


def _request(port: int, method: str, path: str, headers: dict[str, str], body: str = "") -> tuple[int, bytes, float]:
    """A new connection per request, as the browser's through gunicorn's sync workers; seconds to the last byte."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
    try:
        start = time.perf_counter()
        conn.request(method, path, body=body.encode() or None, headers=headers)
        response = conn.getresponse()
        content = response.read()
        return response.status, content, time.perf_counter() - start
    finally:
        conn.close()


def _edited_row(bench: Bench, slug: str) -> tuple[int, int]:
    """A closer of the organization with a row in the month the pages show: (rep id, its row's version)."""
    with psycopg.connect(bench.cfg.database_url) as conn:
        return conn.execute(
            "SELECT a.rep_id, a.version FROM oteapp_monthlyactual a JOIN oteapp_rep p ON p.id = a.rep_id "
            "JOIN oteapp_salesrole r ON r.id = p.role_id WHERE a.organization_id = %s AND a.month = %s "
            "AND r.kind = 'closer' ORDER BY p.name LIMIT 1",
            [bench.organization_ids[slug], bench.data.month],
        ).fetchone()


def computed_partial(bench: Bench, *, slug: str, partial: Target) -> tuple[float, float, int]:
    """(median ms of the view, median ms of the save, views) for one organization."""
    from django.urls import reverse

    month = f"{bench.data.month:%Y-%m}"
    rep_id, version = _edited_row(bench, slug)
    save_path = reverse("oteapp:actuals_row", kwargs={"org_slug": slug, "rep_id": rep_id, "month": month})
    save_headers = {
        **bench.signed_in(slug),
        "HX-Request": "true",
        "X-CSRFToken": bench.csrf_secret,
        "Content-Type": "application/x-www-form-urlencoded",
    }
    views, saves = [], []
    for step in range(WARM_UP + VIEWS):
        # 4 or 5 deals in turn, and a revenue to match: each save changes the row.
        deals = 4 + step % 2
        body = urlencode({"version": version, "deals": deals, "revenue": deals * 11340})
        status, content, saved = _request(bench.cfg.web_port, "POST", save_path, save_headers, body)
        if status != 200:
            raise RuntimeError(f"saving {save_path} answered {status}: {content[:300]!r}")
        version += 1
        status, content, viewed = _request(bench.cfg.web_port, "GET", partial.path, partial.headers)
        if status != 200 or b"Team Performance" not in content:
            raise RuntimeError(f"{partial.name} after a save answered {status}: {content[:300]!r}")
        if step >= WARM_UP:
            views.append(viewed * 1000)
            saves.append(saved * 1000)
    return statistics.median(views), statistics.median(saves), len(views)


def measure(bench: Bench, *, partials: dict[str, Target]) -> Measured:
    """`partials`: the Team Performance partial per organization size ("small", "large")."""
    values, details = {}, []
    slugs = {"small": bench.data.small_slug, "large": bench.data.large_slug}
    for size, partial in partials.items():
        view_ms, save_ms, count = computed_partial(bench, slug=slugs[size], partial=partial)
        log(f"computed partial, {size}: view p50 {view_ms:.1f} ms, save p50 {save_ms:.1f} ms ({count} edits)")
        values[f"computed_partial_{size}_p50_ms"] = round(view_ms, 3)
        details.append(f"- {size} organization: the view {view_ms:.2f} ms, the save before it {save_ms:.2f} ms "
                       f"(medians of {count}).")
    return Measured(
        values=values,
        lines=[
            "## After an edit: the computed partial",
            "",
            "One client: a save of a closer's row of the month shown (the Actuals grid's htmx POST, a changed value "
            "each time, so the data version moves on), then the Team Performance partial (`HX-Request`), computed "
            f"since its data changed; {WARM_UP} pairs of warm-up, then {VIEWS}, a new connection per request.",
            "",
            *details,
            "",
        ],
    )
