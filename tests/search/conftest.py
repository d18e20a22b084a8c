from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
import redis
import time_machine
from django.conf import settings

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


@pytest.fixture
def fresh_quotas():
    """Quota windows outlive a test (they last a minute); start each API test with none."""
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    for name in client.scan_iter("defpub:quota:*"):
        client.delete(name)
    return client


@dataclass
class LiveServer:
    url: str  # http://127.0.0.1:<port>
    env: dict  # the environment that points a process at the test database and Valkey


@pytest.fixture
def api_server(transactional_db, settings, fresh_quotas):
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

    from tests.conftest import REPO, free_port

    db = connection.settings_dict
    database_url = (f"postgresql://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@"
                    f"{quote(db['HOST'], safe='')}:{db['PORT']}/{db['NAME']}")
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "defpub.settings.test",
           "DATABASE_URL": database_url, "REDIS_URL": settings.REDIS_URL, "CONN_MAX_AGE": "0",
           "API_RATE_ANONYMOUS": str(settings.API_RATE_ANONYMOUS)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "defpub.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "3", "--graceful-timeout", "5"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/schema/", timeout=5).close()
            break
        except (urllib.error.URLError, ConnectionError, TimeoutError):  # slow start under load
            if server.poll() is not None or time.monotonic() > deadline:
                server.kill()
                pytest.fail(f"gunicorn did not start: {server.stderr.read()[-2000:]}")
            time.sleep(0.2)
    yield LiveServer(url=base, env=env)
    server.terminate()
    server.wait(timeout=20)
