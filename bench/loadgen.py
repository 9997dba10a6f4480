"""HTTP load on loopback: Debian's `wrk` when installed (C, so the client takes little of the two cores),
else a bounded pool of Python threads on http.client. Both report requests/s and p50/p95 latency, and
count any answer other than 200 as an error (a redirect to the login page must not pass for a page)."""

from __future__ import annotations

import http.client
import json
import os
import random
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import LOOPBACK

MAX_THREADS = 16  # the Python client's bound, whatever is asked


@dataclass(frozen=True)
class Target:
    """One request, sent over and over: only ever to 127.0.0.1."""

    name: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    method: str = "GET"
    body: str = ""
    # A query parameter given a new random amount (10000.00-19999.99) on every request, so that no two
    # requests ask the same thing (What-If: a new scenario each time, never one the cache has seen).
    vary_param: str = ""

    def path_for_request(self) -> str:
        if not self.vary_param:
            return self.path
        amount = f"{random.randint(10000, 19999)}.{random.randint(0, 99):02d}"
        return f"{self.path}&{self.vary_param}={amount}"


@dataclass(frozen=True)
class LoadResult:
    name: str
    tool: str
    connections: int
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    errors: int  # non-200 answers, socket errors, timeouts

    def as_dict(self) -> dict:
        return self.__dict__.copy()


def wrk_available() -> bool:
    # BENCH_LOADGEN=python forces the Python client (to compare, or where wrk misbehaves).
    return shutil.which("wrk") is not None and os.environ.get("BENCH_LOADGEN", "wrk") != "python"


def _lua(target: Target) -> str:
    headers = "".join(f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}\n" for k, v in target.headers.items())
    # Each wrk thread has its own Lua state: non-200 answers are summed from the threads in done().
    return f"""
wrk.method = {json.dumps(target.method)}
wrk.path = {json.dumps(target.path)}
wrk.body = {json.dumps(target.body) if target.body else "nil"}
{headers}
{_lua_vary(target)}
local threads = {{}}
function setup(thread) table.insert(threads, thread) end
function init(args) bad = 0 end
function response(status, headers, body) if status ~= 200 then bad = bad + 1 end end
function done(summary, latency, requests)
  local bad_total = 0
  for _, t in ipairs(threads) do bad_total = bad_total + t:get("bad") end
  local e = summary.errors
  io.write(string.format('BENCH_JSON {{"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, '
    .. '"socket_errors": %d, "non200": %d}}\\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(95), e.connect + e.read + e.write + e.timeout, bad_total))
end
"""


def _lua_vary(target: Target) -> str:
    if not target.vary_param:
        return ""
    return f"""
math.randomseed(os.time())
function request()
  local amount = string.format("%d.%02d", math.random(10000, 19999), math.random(0, 99))
  return wrk.format(nil, wrk.path .. "&{target.vary_param}=" .. amount)
end
"""


def run_wrk(port: int, target: Target, *, connections: int, seconds: float) -> LoadResult:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(target))
    try:
        args = [
            "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
            "-s", script.name, f"http://{LOOPBACK}:{port}{target.path}",
        ]
        done = subprocess.run(args, capture_output=True, text=True, timeout=seconds + 60, check=True)  # noqa: S603
    finally:
        Path(script.name).unlink(missing_ok=True)
    line = next(line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON "))
    data = json.loads(line.removeprefix("BENCH_JSON "))
    duration = data["duration_us"] / 1e6
    return LoadResult(
        name=target.name, tool="wrk", connections=connections, requests=data["requests"], seconds=duration,
        rps=data["requests"] / duration if duration else 0.0, p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000, errors=data["socket_errors"] + data["non200"],
    )


def _percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))]


def run_python(port: int, target: Target, *, connections: int, seconds: float) -> LoadResult:
    """`connections` threads (at most MAX_THREADS), each sending requests back to back for `seconds`."""
    latencies: list[float] = []
    errors = [0]
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        mine, bad = [], 0
        body = target.body.encode() if target.body else None
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            try:
                # A new connection per request, as gunicorn's sync workers close every one anyway.
                conn = http.client.HTTPConnection(LOOPBACK, port, timeout=30)
                conn.request(target.method, target.path_for_request(), body=body, headers=target.headers)
                response = conn.getresponse()
                response.read()
                conn.close()
                if response.status != 200:
                    bad += 1
            except OSError:
                bad += 1
            mine.append(time.perf_counter() - start)
        with lock:
            latencies.extend(mine)
            errors[0] += bad

    threads = [threading.Thread(target=worker) for _ in range(min(connections, MAX_THREADS))]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.perf_counter() - start
    latencies.sort()
    return LoadResult(
        name=target.name, tool="python", connections=len(threads), requests=len(latencies), seconds=elapsed,
        rps=len(latencies) / elapsed if elapsed else 0.0, p50_ms=_percentile(latencies, 0.50) * 1000,
        p95_ms=_percentile(latencies, 0.95) * 1000, errors=errors[0],
    )


def run(port: int, target: Target, *, connections: int, seconds: float, warmup: float = 0.0) -> LoadResult:
    runner = run_wrk if wrk_available() else run_python
    if warmup > 0:
        runner(port, target, connections=connections, seconds=warmup)
    return runner(port, target, connections=connections, seconds=seconds)


def fetch(port: int, target: Target) -> tuple[int, str]:
    """One request, to check what the load will be hitting."""
    conn = http.client.HTTPConnection(LOOPBACK, port, timeout=60)
    try:
        conn.request(target.method, target.path, body=target.body or None, headers=target.headers)
        response = conn.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        conn.close()
