"""Queueing a Celery task without failing the write that queued it. Not a task module, so
any app's tasks may import it without importing another app's tasks."""

import logging

log = logging.getLogger(__name__)


def send(name: str, *args) -> None:
    """Send the task registered under `name` (what task.delay sends). Services queue tasks by
    name, so they need not import the task modules that import them (no import cycle)."""
    from defpub.celery import app

    task = app.tasks.get(name)  # registered: its routes, and eager mode when configured
    if task is None:
        app.loader.import_default_modules()  # the apps' tasks modules (Celery's autodiscovery)
        task = app.tasks.get(name)
    if task is not None:
        task.apply_async(args=args)
    else:
        app.send_task(name, args=args)


def enqueue(task, *args) -> None:
    """Queue a task (a task object or its registered name; call after commit); a broker outage
    must not fail the write that queued it (beat's periodic tasks pick the work up later)."""
    name = task if isinstance(task, str) else task.name
    try:
        if isinstance(task, str):
            send(task, *args)
        else:
            task.delay(*args)
    except Exception as error:  # noqa: BLE001 - kombu raises many kinds of connection errors
        log.warning("could not queue %s: %s; beat will catch up", name, error)
