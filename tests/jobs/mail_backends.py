"""An email backend for the real-worker tests, named by EMAIL_BACKEND in the worker's environment."""

import os
import smtplib
import time
from pathlib import Path

from django.core.mail.backends import filebased


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
