"""What a measurement of `make bench` is given, and what it gives back (bench/README.md, "Adding a measurement").

A measurement is a function `measure(bench: Bench) -> Measured` in a module of its own: it reads the run's data and,
while the benchmark's gunicorn is up, may send it requests; it returns its docs/benchmarks.json keys (declared in
bench/report.py KEYS) and the Markdown lines that explain them."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.common import BenchConfig, Processes
from bench.datagen import BenchData

# The CSRF secret of every signed-in client of the run: 32 letters and digits, as Django's CSRF cookie holds. Sent as
# the `csrftoken` cookie, and as the X-CSRFToken header of a write (Django accepts the unmasked secret).
CSRF_SECRET_LENGTH = 32


@dataclass
class Bench:
    cfg: BenchConfig
    procs: Processes
    data: BenchData
    organization_ids: dict[str, int]  # slug → id, for the large and the small organization the web load uses
    cookies: dict[str, str]  # slug → session key of the signed-in bench user (owner of the large organization)
    csrf_secret: str

    def signed_in(self, slug: str) -> dict[str, str]:
        """The cookies a signed-in browser holds after its first page: its session and its CSRF secret (without the
        latter every page would make a new secret and send it back in a Set-Cookie)."""
        return {"Cookie": f"sessionid={self.cookies[slug]}; csrftoken={self.csrf_secret}"}


@dataclass
class Measured:
    values: dict[str, object]  # docs/benchmarks.json keys → figures
    lines: list[str] = field(default_factory=list)  # a Markdown section: how it was measured, the details
