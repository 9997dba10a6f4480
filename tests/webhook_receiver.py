"""A real HTTP receiver for webhook tests: http.server on loopback in a thread, answering with a scripted list of
status codes (the last one repeats), optionally slowly, and keeping every request it got."""

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    statuses: list[int]
    delays: list[float] = field(default_factory=list)
    requests: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, count: int, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(self.requests) >= count:
                return
            time.sleep(0.02)
        raise AssertionError(f"the receiver got {len(self.requests)} requests, not {count}, in {timeout}s")


@contextmanager
def webhook_receiver(statuses: list[int], *, delays: list[float] | None = None) -> Iterator[Receiver]:
    receiver: Receiver | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                index = len(receiver.requests)
                receiver.requests.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            if index < len(receiver.delays):
                time.sleep(receiver.delays[index])
            status = receiver.statuses[min(index, len(receiver.statuses) - 1)]
            answer = f'{{"received": {index + 1}}}'.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(url=f"http://127.0.0.1:{server.server_address[1]}/hooks", statuses=statuses,
                        delays=delays or [])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
