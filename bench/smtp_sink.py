"""A real SMTP server on loopback that accepts every message and counts it: one line per message
(`<unix time> <bytes> <recipients>`) appended to the file named on the command line.

    python -m bench.smtp_sink PORT COUNT_FILE
"""

from __future__ import annotations

import signal
import sys
import threading
import time
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope


class CountingHandler:
    def __init__(self, path: Path) -> None:
        self._file = path.open("a", buffering=1)
        self._lock = threading.Lock()

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        with self._lock:
            self._file.write(f"{time.time():.6f} {len(envelope.content)} {len(envelope.rcpt_tos)}\n")
        return "250 OK"


def main(argv: list[str]) -> int:
    port, path = int(argv[1]), Path(argv[2])
    path.write_text("")
    controller = Controller(CountingHandler(path), hostname="127.0.0.1", port=port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    stop.wait()
    controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
