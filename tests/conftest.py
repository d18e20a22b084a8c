import os
import socket
import subprocess
import sys
from pathlib import Path

import celery.contrib.testing.tasks  # noqa: F401  (registers the ping task start_worker uses)
import pytest
from celery.contrib.testing.worker import start_worker

from defpub.celery import app as celery_app

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True)
def english_by_default():
    """LocaleMiddleware activates a request's language on the test's own thread and leaves it
    there; start every test in English so messages do not depend on the test order."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def fresh_quotas():
    """Quota windows outlive a test (they last a minute), and the web search, its exports and
    the API all spend them: start every test with none."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    for name in client.scan_iter("defpub:quota:*"):
        client.delete(name)
    return client


@pytest.fixture
def celery_worker(django_db_setup, django_db_blocker):
    """A real Celery worker (threads, in this process) consuming from the real broker."""
    celery_app.control.purge()
    with (
        django_db_blocker.unblock(),
        start_worker(
            celery_app, pool="threads", concurrency=2, perform_ping_check=True, shutdown_timeout=30
        ) as worker,
    ):
        yield worker


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def manage(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with exactly the environment given (plus PATH)."""
    full_env = {"PATH": os.environ["PATH"], "HOME": os.environ.get("HOME", "/root"), **env}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
