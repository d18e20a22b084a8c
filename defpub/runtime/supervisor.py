"""Run web, worker and beat as child processes and stop them all, cleanly, together.

Each child gets its own process group, so a terminal's Ctrl-C reaches only the supervisor,
which then stops the children in order and waits for them, killing a group that outstays
the grace period. Nothing is left behind: gunicorn's and Celery's own forks are in their
parent's group and go with it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import subprocess
import time
from dataclasses import dataclass, field

log = logging.getLogger(__name__)


@dataclass
class Child:
    name: str
    argv: list[str]
    env: dict[str, str] | None = field(default=None, repr=False)  # None: the supervisor's
    process: subprocess.Popen | None = field(default=None, repr=False)


class Supervisor:
    def __init__(self, children: list[Child], env: dict[str, str], grace_seconds: float = 20):
        self.children = children
        self.env = env
        self.grace_seconds = grace_seconds
        self._stop_requested: int | None = None

    def _request_stop(self, signum, _frame) -> None:
        self._stop_requested = signum

    def start(self) -> None:
        signal.signal(signal.SIGINT, self._request_stop)
        signal.signal(signal.SIGTERM, self._request_stop)
        for child in self.children:
            child.process = subprocess.Popen(child.argv, env=child.env or self.env,
                                             start_new_session=True)
            log.info("started %s (pid %s)", child.name, child.process.pid)

    def wait_for_port(self, host: str, port: int, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self._stop_requested is None:
            if self.first_exited():
                return False
            try:
                with socket.create_connection((host, port), timeout=0.5):
                    return True
            except OSError:
                time.sleep(0.1)
        return False

    def first_exited(self) -> Child | None:
        return next((c for c in self.children if c.process and c.process.poll() is not None), None)

    def wait(self) -> int:
        """Block until a signal arrives or a child dies; then stop everything. Exit code."""
        exited = None
        while self._stop_requested is None and exited is None:
            exited = self.first_exited()
            time.sleep(0.2)
        if exited is not None:
            log.error(
                "%s exited with code %s; stopping the rest", exited.name, exited.process.returncode
            )
        self.stop()
        return 1 if exited is not None else 0

    def stop(self) -> None:
        for child in reversed(self.children):
            self._signal_group(child, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_seconds
        for child in reversed(self.children):
            try:
                child.process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.warning("%s did not stop in %ss; killing it", child.name, self.grace_seconds)
            # The group may hold forks that outlive their parent: kill whatever is left.
            self._signal_group(child, signal.SIGKILL)
            child.process.wait()

    @staticmethod
    def _signal_group(child: Child, signum: int) -> None:
        if child.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.process.pid, signum)
