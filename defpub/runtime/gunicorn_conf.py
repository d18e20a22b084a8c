"""gunicorn's hooks for DefPub: every worker warms up (loads the search models, the
dictionary and jieba) after the fork, and /healthz answers 503 "warming" until all workers
of this server are warm. Used as `gunicorn -c python:defpub.runtime.gunicorn_conf` by
`manage.py run`, compose.yaml and the Dockerfile; other settings stay on the command line.

The models are not loaded in the master with --preload: torch's OpenMP pool does not
survive a fork (a forked worker that embeds can hang), so each worker loads its own.
"""

import os
import shutil
import tempfile

from defpub.runtime import readiness

# gunicorn refuses a request line over 4,094 bytes with a bare HTML 414, before Django sees
# it: pasted claims in a GET URL got that page. With no limit here, the application answers
# instead: a URL over 8,000 bytes on the API or ledger gets a documented 414 problem+json
# (defpub/machine_api.py), and the web search takes long text by POST. Put a proxy in front
# with its own limits (docs/operations.md).
limit_request_line = 0  # 0: unlimited
# A same-origin Referer carries the whole previous URL; allow one of about 16 KiB.
limit_request_field_size = 16384


def on_starting(server):
    # Inherited by every worker (they are forked from the master): one board per server.
    os.environ[readiness.BOARD_ENV] = tempfile.mkdtemp(prefix="defpub-warm-")


def pre_fork(server, worker):
    # Posted by the master before the fork, so a worker not yet started counts as warming.
    readiness.board_post(worker.age, "warming")


def post_worker_init(worker):
    from django.conf import settings

    if settings.DEFPUB_WARM_UP:
        readiness.start(on_done=lambda: readiness.board_post(worker.age, "warm"))
    else:
        readiness.board_post(worker.age, "warm")


def child_exit(server, worker):
    readiness.board_remove(worker.age)


def on_exit(server):
    shutil.rmtree(os.environ.get(readiness.BOARD_ENV, ""), ignore_errors=True)
