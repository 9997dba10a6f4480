"""Where a page's time goes: py-spy samples the gunicorn workers (wall clock, idle frames included, so time
waiting for PostgreSQL counts) while the load generator drives the page, then the collapsed stacks are
summed per function: inclusive share (the function or anything it calls) and self share."""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.common import OUT, log

# Buckets for a first look: a sample goes to the first bucket (in this order) that any of its frames is in,
# so time waiting for PostgreSQL counts as such even when a template or the engine asked for it.
BUCKETS = (
    ("PostgreSQL round trips (psycopg)", ("psycopg/",)),
    ("template rendering", ("django/template/", "template_partials/")),
    ("engine (Decimal maths)", ("(oteapp/engine/",)),
    ("ORM: building model instances and SQL", ("django/db/models/",)),
    ("email: building and sending (SMTP)", ("django/core/mail/", "(smtplib.py", "(email/")),
    ("project code other than the engine", ("(oteapp/", "(accounts/", "(config/")),
    ("Django request/response, middleware", ("django/core/handlers", "django/middleware", "django/contrib/")),
    ("gunicorn (accept, parse, write)", ("gunicorn/",)),
    ("Celery and Redis (kombu)", ("celery/", "kombu/", "redis/")),
)


@dataclass
class Profile:
    samples: int
    buckets: list[tuple[str, float]]
    inclusive: list[tuple[str, float]]
    self_time: list[tuple[str, float]]
    raw_path: Path


def py_spy() -> str | None:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return found if Path(found).exists() else None


WEB_REQUEST = "SyncWorker.handle ("  # a gunicorn sync worker serving a connection
CELERY_TASK = "trace_task ("  # a Celery pool process running a task


def record(pids: list[int], seconds: int | None, name: str) -> list[subprocess.Popen]:
    """Start one sampler per process; they stop after `seconds`, or at SIGINT when None."""
    tool = py_spy()
    if tool is None:
        return []
    for old in OUT.glob(f"profile-{name}-*.txt"):
        old.unlink()
    procs = []
    for pid in pids:
        out = OUT / f"profile-{name}-{pid}.txt"
        args = [tool, "record", "--pid", str(pid), "--rate", "200", "--idle", "--nonblocking", "--format", "raw",
                "--output", str(out)]
        if seconds is not None:
            args += ["--duration", str(seconds)]
        procs.append(subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))  # noqa: S603
    return procs


def finish(samplers: list[subprocess.Popen]) -> None:
    """Stop samplers started without a duration (py-spy writes its file on SIGINT)."""
    for sampler in samplers:
        if sampler.poll() is None:
            sampler.send_signal(signal.SIGINT)
    for sampler in samplers:
        try:
            sampler.wait(30)
        except subprocess.TimeoutExpired:
            sampler.kill()


def _frame_name(frame: str) -> str:
    # "function (path/to/file.py:123)" → "function (path/to/file.py)": lines of one function add up.
    head, _, rest = frame.partition(" (")
    path = rest.rsplit(":", 1)[0] if ":" in rest else rest.rstrip(")")
    for marker in ("site-packages/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return f"{head} ({path})"


def summarize(name: str, *, busy_marker: str = WEB_REQUEST, top: int = 25) -> Profile | None:
    files = sorted(OUT.glob(f"profile-{name}-*.txt"))
    stacks: Counter[str] = Counter()
    for path in files:
        for line in path.read_text(errors="replace").splitlines():
            stack, _, count = line.rpartition(" ")
            if stack and count.isdigit():
                stacks[stack] += int(count)
    # Samples of a process waiting for its next request or task are not the time being explained.
    busy = {stack: count for stack, count in stacks.items() if busy_marker in stack}
    total = sum(busy.values())
    if not total:
        log(f"profile {name}: no samples (py-spy missing or not permitted?)")
        return None
    inclusive: Counter[str] = Counter()
    self_time: Counter[str] = Counter()
    buckets: Counter[str] = Counter()
    for stack, count in busy.items():
        frames = stack.split(";")
        for frame in {_frame_name(frame) for frame in frames}:
            inclusive[frame] += count
        self_time[_frame_name(frames[-1])] += count
        for label, markers in BUCKETS:
            if any(marker in frame for frame in reversed(frames) for marker in markers):
                buckets[label] += count
                break
        else:
            buckets["other"] += count
    raw = OUT / f"profile-{name}.collapsed.txt"
    raw.write_text("".join(f"{stack} {count}\n" for stack, count in sorted(busy.items(), key=lambda kv: -kv[1])))
    share = 100.0 / total
    project = [(frame, count * share) for frame, count in inclusive.most_common() if "(oteapp/" in frame
               or "(accounts/" in frame or "(templates/" in frame]
    return Profile(
        samples=total,
        buckets=[(label, count * share) for label, count in buckets.most_common()],
        inclusive=project[:top],
        self_time=[(frame, count * share) for frame, count in self_time.most_common(top)],
        raw_path=raw,
    )
