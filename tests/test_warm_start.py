"""Warm start through the real web server: gunicorn as `manage.py run` starts it answers
/healthz with 503 "warming" until every worker has loaded the models, then 200, and the
search page works at once. Timings are in bench/warm_start.py, never asserted here."""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from urllib.parse import quote, urlencode

import pytest

from defpub.management.commands.run import GUNICORN_CONFIG
from tests.conftest import REPO, free_port

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TOKEN = "warm-start-test-token"


def healthz(base: str, **headers) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base}/healthz", headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.load(response)
    except urllib.error.HTTPError as error:
        return error.code, json.load(error)


def test_healthz_is_warming_until_every_gunicorn_worker_has_loaded_the_models(
        settings, celery_worker):
    from django.db import connection

    db = connection.settings_dict
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "defpub.settings.test",
           "DATABASE_URL": (f"postgresql://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@"
                            f"{quote(db['HOST'], safe='')}:{db['PORT']}/{db['NAME']}"),
           "REDIS_URL": settings.REDIS_URL, "DEFPUB_WARM_UP": "1", "HEALTHZ_TOKEN": TOKEN}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "defpub.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--graceful-timeout", "5", "--config", GUNICORN_CONFIG],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    public, operator = [], []  # (status, body) of each answer, in order
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and server.poll() is None:
            try:
                public.append(healthz(base))
                operator.append(healthz(base, Authorization=f"Bearer {TOKEN}"))
            except OSError:  # not listening yet
                time.sleep(0.2)
                continue
            if public[-1][0] == 200 and operator[-1][0] == 200:
                break
            time.sleep(0.2)
        search = urllib.request.urlopen(f"{base}/search?" + urlencode({"q": "solar panel"}),
                                        timeout=120)
    finally:
        server.terminate()
        _, errors = server.communicate(timeout=30)

    assert public and public[-1][0] == 200, (public[-3:], errors[-2000:])
    assert search.status == 200
    warming = [body for status, body in public if status == 503]
    assert warming, "never saw /healthz warming"
    assert all(body["status"] == "warming" and body["checks"]["warm_up"] == {"ok": False}
               for body in warming), warming
    # Every answer before the 200 was "warming" (the other parts were up all along).
    assert [status for status, _ in public] == [503] * len(warming) + [200] * (
        len(public) - len(warming))
    for status, body in operator:
        workers = body["checks"]["warm_up"]["server_workers"]
        if status == 503:  # some worker of the server was still loading
            assert workers["warming"] >= 1 or body["checks"]["warm_up"]["this_process"] != "warm"
        else:  # 200 only once both workers were warm, each having run every warm-up
            assert workers == {"warm": 2, "warming": 0}
            assert body["checks"]["warm_up"]["steps"].keys() == {"search"}
            assert not body["checks"]["warm_up"].get("failed")


def test_a_celery_pool_process_takes_no_task_before_it_is_warm(settings):
    from django.db import connection

    from defpub.tasks import heartbeat

    db = connection.settings_dict
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "defpub.settings.test",
           "DATABASE_URL": (f"postgresql://{quote(db['USER'])}:{quote(db['PASSWORD'] or '')}@"
                            f"{quote(db['HOST'], safe='')}:{db['PORT']}/{db['NAME']}"),
           "REDIS_URL": settings.REDIS_URL, "DEFPUB_WARM_UP": "1"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "defpub.celery", "worker", "--loglevel", "INFO",
         "--concurrency", "1", "--pool", "prefork", "--hostname", f"warm-{free_port()}@%h"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        result = heartbeat.delay()  # queued at once: before the pool process can be warm
        result.get(timeout=600)
    finally:
        worker.terminate()
        output, _ = worker.communicate(timeout=60)

    lines = output.splitlines()
    warm = [i for i, line in enumerate(lines) if "warm in " in line and "'search'" in line]
    done = [i for i, line in enumerate(lines) if "defpub.heartbeat" in line and "succeeded" in line]
    assert warm and done, output[-3000:]
    assert warm[0] < done[0], output[-3000:]
    assert "Timed out waiting for UP message" not in output
