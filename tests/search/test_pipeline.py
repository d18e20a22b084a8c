"""Publication -> Celery -> searchable, with a real broker and real workers."""

import os
import signal
import subprocess
import sys
import time
from urllib.parse import quote

import pytest
from django.conf import settings
from django.core.management import call_command
from kombu.exceptions import OperationalError

from defpub.celery import app as celery_app
from search.chunking import chunk_record
from search.engine import search
from search.models import IndexState, Passage
from search.tasks import index_publication_task, sweep_task
from tests.conftest import REPO
from tests.factories import PublicationFactory

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]

ZH = dict(title_en="", title_zh="压电超声波自清洁陶瓷过滤膜", abstract_en="",
          abstract_zh="压电换能器产生超声波脉冲，清除陶瓷过滤膜孔隙中的堵塞物。",
          features=[], keywords=[])
EN = dict(title_en="Sintered copper wick for a heat pipe", title_zh="", abstract_zh="",
          abstract_en="A heat pipe whose sintered copper wick is graded in porosity.",
          features=[], keywords=[])
BOTH = dict(title_en="Antibacterial coating with silver nanoparticles",
            title_zh="含银纳米颗粒的抗菌涂层",
            abstract_en="A paint whose silver nanoparticles kill bacteria on door handles.",
            abstract_zh="一种含银纳米颗粒的涂料，可杀灭门把手上的细菌。", features=[], keywords=[])


def test_published_records_become_searchable_across_languages(celery_worker):
    zh, en, both = PublicationFactory(**ZH), PublicationFactory(**EN), PublicationFactory(**BOTH)

    call_command("index_status", "--wait", "120")

    assert search("ultrasonic self-cleaning ceramic filter")[0].number == zh.number
    assert search("烧结铜吸液芯热管")[0].number == en.number
    assert search("silver nanoparticle antibacterial paint")[0].number == both.number
    assert search("银纳米颗粒抗菌涂层")[0].number == both.number
    top = search("ceramic filter membrane")[0]
    assert top.number == zh.number and any("<mark>" in p.highlighted for p in top.passages)


STALL = '''
import os, time
from pathlib import Path
from celery.signals import task_prerun

@task_prerun.connect
def stall_first_indexing(task=None, **kwargs):
    marker = Path(os.environ["DEFPUB_TEST_MARKER"])
    if task.name == "search.index_publication" and not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(300)  # until the test kills this process
'''


def test_a_worker_killed_mid_task_still_indexes_the_publication_exactly_once(tmp_path):
    (tmp_path / "sitecustomize.py").write_text(STALL)
    marker = tmp_path / "started"
    db = settings.DATABASES["default"]
    env = {**os.environ,
           "PYTHONPATH": f"{tmp_path}:{REPO}", "DEFPUB_TEST_MARKER": str(marker),
           "DJANGO_SETTINGS_MODULE": "defpub.settings.base", "DEFPUB_HOME": str(tmp_path),
           "DATABASE_URL": f"postgres://{db['USER']}@{quote(db['HOST'], safe='')}/{db['NAME']}",
           "REDIS_URL": settings.REDIS_URL}
    celery_app.control.purge()
    publication = PublicationFactory(**EN)  # its indexing task is queued on commit
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "defpub.celery", "worker", "-P", "prefork",
         "-c", "1", "--without-gossip", "--without-mingle", "--loglevel", "INFO"],
        cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while not marker.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert marker.exists(), "the worker never started the task"
        os.kill(int(marker.read_text()), signal.SIGKILL)  # the pool process dies mid-task

        call_command("index_status", "--wait", "120")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        output = worker.communicate(timeout=60)[0].decode(errors="replace")

    state = IndexState.objects.get(publication=publication)
    assert state.status == "indexed"
    assert Passage.objects.filter(publication=publication).count() == \
        len(chunk_record(publication.record)) == state.passages
    assert "WorkerLostError" in output or "exited" in output


def test_the_sweeper_recovers_a_publication_whose_message_was_lost(celery_worker, monkeypatch,
                                                                    settings):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to the broker (injected)")

    with monkeypatch.context() as fault:
        fault.setattr(index_publication_task, "apply_async", broker_down)
        publication = PublicationFactory(**ZH)  # publishing succeeds; the message is lost
    time.sleep(1)
    assert IndexState.objects.get(publication=publication).status == "queued"
    assert not Passage.objects.filter(publication=publication).exists()

    settings.SEARCH_SWEEP_MINUTES = 0
    assert sweep_task.delay().get(timeout=30) == 1

    call_command("index_status", "--wait", "120")
    assert IndexState.objects.get(publication=publication).attempts == 1
    assert search("ceramic filter")[0].number == publication.number
