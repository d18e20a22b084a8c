import threading

import pytest
from django.core.cache import cache

from defpub.celery import app as celery_app
from defpub.tasks import BEAT_HEARTBEAT_KEY, heartbeat

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "operators-only-4f9c2a7e"


@pytest.fixture
def operator(settings):
    """Headers that make a request an operator's: the configured HEALTHZ_TOKEN."""
    settings.HEALTHZ_TOKEN = TOKEN
    return {"HTTP_AUTHORIZATION": f"Bearer {TOKEN}"}


@pytest.mark.slow  # starts a process (a worker, a server, docker)
def test_healthz_is_ok_when_every_part_answers(client, celery_worker, operator):
    response = client.get("/healthz", **operator)

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


def test_healthz_is_503_without_a_worker(client, operator):
    response = client.get("/healthz", **operator)

    assert response.status_code == 503
    report = response.json()
    assert report["status"] == "unavailable"
    assert report["checks"]["worker"] == {"ok": False, "responding": []}
    assert report["checks"]["database"]["ok"]


def test_healthz_is_503_when_the_broker_is_down(client, tmp_path, monkeypatch, operator):
    # Fault injection: point the app at a socket nobody listens on.
    monkeypatch.setattr(celery_app.conf, "broker_url", f"redis+socket://{tmp_path}/gone.sock")

    response = client.get("/healthz", **operator)

    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False
    assert "No such file" in broker["error"] or "gone.sock" in broker["error"]


def test_healthz_is_503_when_the_database_is_down(client, monkeypatch, operator):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused (injected)")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz", **operator)

    assert response.status_code == 503
    assert "injected" in response.json()["checks"]["database"]["error"]


def public_answer_of(response) -> dict:
    """The body, after checking it holds each part's ok/down and nothing else."""
    report = response.json()
    assert set(report) == {"status", "checks", "time"}
    assert set(report["checks"]) >= {"database", "pgvector", "broker", "worker", "index"}
    assert all(check == {"ok": check["ok"]} for check in report["checks"].values()), report
    return report


@pytest.mark.slow  # starts a process (a worker, a server, docker)
def test_healthz_tells_the_public_the_status_but_no_versions_or_hosts(client, celery_worker):
    response = client.get("/healthz")

    assert response.status_code == 200
    report = public_answer_of(response)
    assert report["status"] == "ok"
    assert all(check["ok"] for check in report["checks"].values())
    body = response.content.decode()
    assert celery_worker.hostname not in body and "server_version" not in body
    assert "installed" not in body and "responding" not in body


def test_healthz_tells_the_public_which_part_is_down_without_the_error(client, monkeypatch):
    from django.db import connection

    def refuse(*args, **kwargs):
        raise connection.Database.OperationalError("connection refused at /secret/socket")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")

    assert response.status_code == 503
    report = public_answer_of(response)
    assert report["status"] == "unavailable"
    assert report["checks"]["database"] == {"ok": False}
    assert "secret" not in response.content.decode()


@pytest.mark.slow  # starts a process (a worker, a server, docker)
def test_healthz_gives_operators_versions_and_hosts_with_the_token(
        client, celery_worker, operator):
    report = client.get("/healthz", **operator).json()

    assert report["checks"]["database"]["server_version"].startswith("18")
    assert report["checks"]["pgvector"]["installed"]
    assert celery_worker.hostname in report["checks"]["worker"]["responding"]


@pytest.mark.slow  # starts a process (a worker, a server, docker)
@pytest.mark.parametrize("authorization", [
    f"Bearer {TOKEN}x", f"Bearer {TOKEN[:-1]}", "Bearer ", f"Basic {TOKEN}", TOKEN,
    "Bearer " + "ü" * 5000, "Bearer \x00\x01",
])
def test_healthz_gives_a_wrong_or_odd_token_the_public_answer(
        client, celery_worker, settings, authorization):
    settings.HEALTHZ_TOKEN = TOKEN

    response = client.get("/healthz", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 200
    assert public_answer_of(response)["status"] == "ok"


def test_healthz_without_a_configured_token_gives_no_token_the_details(client, settings):
    settings.HEALTHZ_TOKEN = ""

    response = client.get("/healthz", HTTP_AUTHORIZATION="Bearer ")

    public_answer_of(response)


@pytest.mark.slow  # starts a process (a worker, a server, docker)
def test_healthz_gives_internal_addresses_the_details_by_socket_address_only(
        client, celery_worker, settings):
    settings.HEALTHZ_INTERNAL_NETWORKS = ["10.20.0.0/16", "not-a-network", "fd00::/8"]

    inside = client.get("/healthz", REMOTE_ADDR="10.20.3.4").json()
    inside_v6 = client.get("/healthz", REMOTE_ADDR="fd00::17").json()
    outside = client.get("/healthz", REMOTE_ADDR="203.0.113.9")
    forged = client.get("/healthz", REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.20.3.4")

    assert inside["checks"]["database"]["server_version"].startswith("18")
    assert "server_version" in inside_v6["checks"]["database"]
    public_answer_of(outside)
    public_answer_of(forged)


@pytest.mark.slow  # starts a process (a worker, a server, docker)
def test_healthz_by_default_gives_loopback_only_the_public_answer(client, celery_worker):
    # In development every visitor is on loopback, and behind a proxy on the same host so is
    # the public: loopback is not an operator address unless an operator says so.
    response = client.get("/healthz", REMOTE_ADDR="127.0.0.1")

    public_answer_of(response)


@pytest.fixture
def cold_process(monkeypatch, settings):
    """This test process as a fresh web process: warm-up on, and not warmed yet."""
    from defpub.runtime import readiness

    settings.DEFPUB_WARM_UP = True
    for name, value in {"_thread": None, "_done": threading.Event(), "_report": {}}.items():
        monkeypatch.setattr(readiness, name, value)
    return readiness


@pytest.mark.slow  # starts a process (a worker, a server, docker)
def test_healthz_is_503_warming_until_this_process_is_warm(client, celery_worker, cold_process):
    first = client.get("/healthz")  # a process no hook warmed starts warming now
    cold_process.wait(timeout=600)
    then = client.get("/healthz")

    assert first.status_code == 503
    assert public_answer_of(first)["status"] == "warming"
    assert first.json()["checks"]["warm_up"] == {"ok": False}
    assert then.status_code == 200 and then.json()["status"] == "ok"


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


@pytest.mark.slow  # starts a process (a worker, a server, docker)
def test_healthz_is_unavailable_not_warming_when_a_warm_up_fails(
        client, celery_worker, cold_process, monkeypatch, operator):
    def broken() -> None:  # injected fault: a model that cannot load
        raise OSError("model files missing (injected)")

    monkeypatch.setattr(cold_process, "_warmups", [("search", broken)])
    client.get("/healthz")
    cold_process.wait(timeout=60)

    public = client.get("/healthz")
    private = client.get("/healthz", **operator).json()["checks"]["warm_up"]

    assert public.status_code == 503
    assert public_answer_of(public)["status"] == "unavailable"
    assert private["state"] == "failed" and private["failed"] == ["search"]
