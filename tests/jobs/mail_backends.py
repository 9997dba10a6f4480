"""An email backend for the real-worker tests, named by EMAIL_BACKEND in the worker's environment."""

import os
import smtplib
import time
from pathlib import Path

from django.core.mail.backends import filebased, locmem


class SlowFileBackend(filebased.EmailBackend):
    """The file backend, behind a slow and once-flaky "SMTP server": it waits JOBS_TEST_SEND_DELAY seconds
    before accepting a message (so a test can kill the worker mid-send) and refuses the first message to
    JOBS_TEST_FAIL_ONCE_FOR with a dropped connection (a transient failure that must be retried)."""

    def send_messages(self, email_messages):
        fail_once_for = os.environ.get("JOBS_TEST_FAIL_ONCE_FOR")
        for message in email_messages:
            if fail_once_for and fail_once_for in message.to:
                marker = Path(self.file_path) / f".refused-{fail_once_for}"
                if not marker.exists():
                    marker.touch()
                    raise smtplib.SMTPServerDisconnected("test server dropped the connection")
        time.sleep(float(os.environ.get("JOBS_TEST_SEND_DELAY", "0")))
        return super().send_messages(email_messages)


class CountingBackend(locmem.EmailBackend):
    """The test outbox, counting the connections opened; refuses the first message to FAIL_ONCE_FOR."""

    opened = 0
    fail_once_for: str | None = None

    def open(self):
        type(self).opened += 1
        return super().open()

    def send_messages(self, messages):
        for message in messages:
            if type(self).fail_once_for in message.to:
                type(self).fail_once_for = None
                raise smtplib.SMTPServerDisconnected("test server dropped the connection")
        return super().send_messages(messages)
