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
# Fixtures that start a process (a Celery worker, gunicorn, a browser): a test using one must
# be marked slow, so that `bin/defpub test -m "not slow"` stays quick (README.md).
PROCESS_FIXTURES = {"celery_worker", "api_server", "browser"}


def pytest_collection_modifyitems(config, items):
    unmarked = [item.nodeid for item in items
                if PROCESS_FIXTURES & set(getattr(item, "fixturenames", ()))
                and item.get_closest_marker("slow") is None]
    if unmarked:
        raise pytest.UsageError("these tests start a process but are not marked "
                                "@pytest.mark.slow: " + ", ".join(unmarked))


@pytest.fixture(autouse=True)
def english_by_default():
    """LocaleMiddleware activates a request's language on the test's own thread and leaves it
    there; start every test in English so messages do not depend on the test order."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


def _log_in_as(credentials: dict) -> None:
    """Point the default connection (every thread's) at other credentials, same database."""
    from django.conf import settings
    from django.db import connections

    for settings_dict in {id(d): d for d in (settings.DATABASES["default"],
                                              connections["default"].settings_dict)}.values():
        settings_dict.update({key: value for key, value in credentials.items() if value})
    connections["default"].close()


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The owner creates and migrates the test database, as `migrate` does in production."""
    from django.conf import settings

    if settings.DEFPUB_DATABASE_OWNER:
        settings.DEFPUB_APP_CREDENTIALS = {
            key: settings.DATABASES["default"][key] for key in ("USER", "PASSWORD", "HOST", "PORT")
        }
        _log_in_as(settings.DEFPUB_DATABASE_OWNER)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Then every test runs as the application's role, so the suite proves its grants are
    enough (tests/defpub/test_db_roles.py proves what they refuse)."""
    from django.conf import settings

    app = getattr(settings, "DEFPUB_APP_CREDENTIALS", None)
    if app is None:
        yield
        return
    with django_db_blocker.unblock():
        _log_in_as(app)
    yield
    with django_db_blocker.unblock():
        _log_in_as(settings.DEFPUB_DATABASE_OWNER)  # the owner drops the test database


@pytest.fixture
def owner_sql(transactional_db):
    """owner_sql(sql, params): run SQL as the tables' owner, a superuser, on a connection of its
    own (the test's rows are committed): what a rogue operator could do, and the
    application's role cannot (tests/defpub/test_db_roles.py)."""
    import psycopg
    from django.conf import settings
    from django.db import connection

    credentials = {**connection.settings_dict, **(settings.DEFPUB_DATABASE_OWNER or {})}

    def run(sql: str, params=()) -> None:
        with psycopg.connect(host=credentials["HOST"], port=credentials["PORT"] or None,
                             user=credentials["USER"], password=credentials["PASSWORD"] or None,
                             dbname=connection.settings_dict["NAME"], autocommit=True,
                             cursor_factory=psycopg.ClientCursor) as conn:  # two statements
            conn.execute(sql, params)

    return run


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
            celery_app, pool="threads", concurrency=2, perform_ping_check=True, shutdown_timeout=30,
            queues=["celery", "screening"],
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
