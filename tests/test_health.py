import pytest
from django.core.cache import cache

from defpub.celery import app as celery_app
from defpub.tasks import BEAT_HEARTBEAT_KEY, heartbeat

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.slow  # starts a process (a worker, a server, docker)
def test_healthz_is_ok_when_every_part_answers(client, celery_worker):
    response = client.get("/healthz")

    assert response.status_code == 200
    report = response.json()
    assert report["status"] == "ok"
    checks = report["checks"]
    assert checks["database"]["ok"] and checks["database"]["server_version"].startswith("18")
    major, minor = (int(x) for x in checks["pgvector"]["installed"].split(".")[:2])
    assert (major, minor) >= (0, 8)
    assert checks["broker"]["ok"]
    assert checks["worker"]["ok"] and checks["worker"]["responding"]
    assert checks["index"] == {"ok": True, "backlog": 0, "failed": 0}


def test_healthz_is_503_without_a_worker(client):
    response = client.get("/healthz")

    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "unavailable"
    assert report["checks"]["worker"] == {"ok": False, "responding": []}
    assert report["checks"]["database"]["ok"]


def test_healthz_is_503_when_the_broker_is_down(client, tmp_path, monkeypatch):
    # Fault injection: point the app at a socket nobody listens on.
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis+socket://{tmp_path}/gone.sock")

    response = client.get("/healthz")

    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False
    assert "No such file" in broker["error"] or "gone.sock" in broker["error"]


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused (injected)")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")

    assert response.status_code == 503
    assert "injected" in response.json()["checks"]["database"]["error"]


@pytest.mark.slow  # starts a process (a worker, a server, docker)
def test_task_round_trip_through_the_real_broker(celery_worker):
    cache.delete(BEAT_HEARTBEAT_KEY)

    stamped = heartbeat.delay().get(timeout=20)

    assert cache.get(BEAT_HEARTBEAT_KEY) == stamped
    assert celery_worker.hostname in {n for r in celery_app.control.ping(timeout=2) for n in r}


def test_home_page_renders_in_english_and_chinese(client):
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en")
    chinese = client.get("/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.status_code == chinese.status_code == 200
    assert "Defensive publications" in english.content.decode()
    assert 'lang="zh-hans"' in chinese.content.decode()
    assert "防御性公开" in chinese.content.decode()
