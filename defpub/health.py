"""What /healthz reports: each part of the system, probed for real, with a short timeout."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from defpub.celery import app as celery_app
from defpub.checks import pgvector_problem, pgvector_versions
from defpub.tasks import BEAT_HEARTBEAT_KEY

PROBE_TIMEOUT = 1.0


def _database() -> dict[str, Any]:
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        version = cursor.fetchone()[0]
    return {"ok": True, "server_version": version, "vendor": connection.vendor}


def _pgvector() -> dict[str, Any]:
    versions = pgvector_versions()
    problem = pgvector_problem(versions=versions)
    return {
        "ok": problem is None and versions["installed"] is not None,
        **versions,
        **({"error": problem} if problem else {}),
    }


def _broker() -> dict[str, Any]:
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=PROBE_TIMEOUT)
        transport = conn.transport_cls
    return {"ok": True, "transport": transport}


def _worker() -> dict[str, Any]:
    replies = celery_app.control.ping(timeout=PROBE_TIMEOUT, limit=1)
    names = sorted(name for reply in replies for name in reply)
    return {"ok": bool(names), "responding": names}


def _beat() -> dict[str, Any]:
    last = cache.get(BEAT_HEARTBEAT_KEY)
    age = (timezone.now() - datetime.fromisoformat(last)).total_seconds() if last else None
    return {"ok": True, "last_heartbeat": last, "age_seconds": age}


Probe = Callable[[], dict[str, Any]]

# beat is reported but does not fail health: it first ticks up to 30 s after start.
PROBES: dict[str, tuple[Probe, bool]] = {
    "database": (_database, True),
    "pgvector": (_pgvector, True),
    "broker": (_broker, True),
    "worker": (_worker, True),
    "beat": (_beat, False),
}


def register(name: str, probe: Probe, *, required: bool = True) -> None:
    """Add a check to /healthz (other apps call this in their AppConfig.ready). `probe`
    returns a dict with "ok"; a required probe that is not ok makes the system unhealthy."""
    PROBES[name] = (probe, required)


def system_health() -> tuple[bool, dict[str, Any]]:
    """Run every probe; a probe that raises is reported as down with its error."""
    checks: dict[str, Any] = {}
    healthy = True
    for name, (probe, required) in PROBES.items():
        try:
            checks[name] = probe()
        except Exception as exc:  # noqa: BLE001 - any failure of a part is a finding, not a 500
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"}
        if required and not checks[name]["ok"]:
            healthy = False
    return healthy, {
        "status": "ok" if healthy else "unavailable",
        "checks": checks,
        "time": timezone.now().isoformat(),
    }
