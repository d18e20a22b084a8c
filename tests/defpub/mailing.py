"""Mail in tests: an injected fault (a server that refuses every message), and waiting for
the real Celery worker to send."""

import smtplib
import time

from django.core.mail.backends.base import BaseEmailBackend

attempts: list[str] = []


class RefusingBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        for message in email_messages:
            attempts.append(message.subject)
        raise smtplib.SMTPServerDisconnected("the mail server hung up (injected fault)")


def wait_for(condition, *, timeout: float = 30.0, every: float = 0.2):
    """Poll `condition` until it returns something true (a worker's result), else fail."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {condition}")
