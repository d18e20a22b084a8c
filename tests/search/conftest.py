from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import time_machine

from search.services import publication_index
from tests.factories import OrganisationFactory, PublicationFactory


@pytest.fixture
def publish(db):
    """publish(at=datetime, **disclosure fields) -> Publication, published at that moment."""
    organisation = OrganisationFactory()

    def _publish(*, at: datetime | None = None, **fields):
        with time_machine.travel(at or datetime(2026, 6, 1, tzinfo=UTC), tick=False):
            return PublicationFactory(organisation=organisation, **fields)

    return _publish


@pytest.fixture
def indexed(publish):
    """indexed(**disclosure fields) -> Publication, published and indexed (the real service)."""

    def _indexed(**fields):
        publication = publish(**fields)
        publication_index(publication_id=publication.pk)
        return publication

    return _indexed


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:<port>
    env: dict  # the environment that points a process at the test database and Valkey


@pytest.fixture
def api_server(transactional_db, settings, fresh_quotas, tmp_path):
    """The real web server (gunicorn, as `manage.py run` starts it) on a free loopback port,
    serving the test database and Valkey."""
    import os
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request
    from urllib.parse import quote

    from django.db import connection

    from defpub.management.commands.run import GUNICORN_CONFIG
    from tests.conftest import REPO, free_port

    db = connection.settings_dict
    database_url = (f"postgresql://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@"
                    f"{quote(db['HOST'], safe='')}:{db['PORT']}/{db['NAME']}")
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "defpub.settings.test",
           "DATABASE_URL": database_url, "REDIS_URL": settings.REDIS_URL, "CONN_MAX_AGE": "0",
           "API_RATE_ANONYMOUS": str(settings.API_RATE_ANONYMOUS),
           "API_RATE_WINDOW": str(settings.API_RATE_WINDOW),
           "NUM_PROXIES": str(settings.NUM_PROXIES)}
    # Its log goes to a file: a pipe nobody reads fills up (every 4xx is logged) and then
    # blocks the workers.
    log = (tmp_path / "gunicorn.log").open("w+")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", GUNICORN_CONFIG, "defpub.wsgi",
         "--bind", f"127.0.0.1:{port}",
         "--workers", "3", "--graceful-timeout", "5"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/schema/", timeout=30).close()
            break
        except OSError:  # refused, reset, or timed out while a busy machine starts it
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                log.seek(0)
                pytest.fail(f"gunicorn did not start: {log.read()[-2000:]}")
            time.sleep(0.2)
    yield LiveServer(url=base, env=env)
    server.terminate()
    server.wait(timeout=20)
    log.close()
