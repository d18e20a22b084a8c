"""Queueing a Celery task without failing the write that queued it. Not a task module, so
any app's tasks may import it without importing another app's tasks."""

import logging

log = logging.getLogger(__name__)


def enqueue(task, *args) -> None:
    """Queue a task (call after commit); a broker outage must not fail the write that queued
    it (beat's periodic tasks pick the work up later)."""
    try:
        task.delay(*args)
    except Exception as error:  # noqa: BLE001 - kombu raises many kinds of connection errors
        log.warning("could not queue %s: %s; beat will catch up", task.name, error)
