"""What /healthz reports: each part of the system, probed for real, with a short timeout.

Everyone sees the status and each part's ok/down; versions, host names, counts and errors
are for operators only: a request with the HEALTHZ_TOKEN or from HEALTHZ_INTERNAL_NETWORKS
(docs/security.md, "Health endpoint").
"""

import hmac
import ipaddress
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from defpub.celery import app as celery_app
from defpub.checks import pgvector_problem, pgvector_versions
from defpub.runtime import readiness
from defpub.tasks import BEAT_HEARTBEAT_KEY

log = logging.getLogger(__name__)

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

def _warm_up() -> dict[str, Any]:
    """This process, and every worker of its gunicorn server, has loaded the models."""
    if not settings.DEFPUB_WARM_UP:
        return {"ok": True, "state": "off"}
    if readiness.state() == "cold":  # a server no hook warmed (runserver, a custom command)
        readiness.start()
    own, workers, report = readiness.state(), readiness.board(), readiness.report()
    state = ("failed" if report.get("failed") else  # the first search would fail the same way
             "warm" if own == "warm" and not workers["warming"] else "warming")
    return {"ok": state == "warm", "state": state, "this_process": own,
            "server_workers": workers, **report}


# beat is reported but does not fail health: it first ticks up to 30 s after start.
PROBES: dict[str, tuple[Probe, bool]] = {
    "database": (_database, True),
    "pgvector": (_pgvector, True),
    "broker": (_broker, True),
    "worker": (_worker, True),
    "beat": (_beat, False),
    "warm_up": (_warm_up, True),
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
    down = [name for name, (_, required) in PROBES.items()
            if required and not checks[name]["ok"]]
    warming = down == ["warm_up"] and checks["warm_up"].get("state") == "warming"
    status = "ok" if not down else ("warming" if warming else "unavailable")
    return healthy, {"status": status, "checks": checks, "time": timezone.now().isoformat()}


def public(report: dict[str, Any]) -> dict[str, Any]:
    """The report without versions, host names, counts or errors: each part's ok/down."""
    checks = {name: {"ok": check["ok"]} for name, check in report["checks"].items()}
    return {"status": report["status"], "checks": checks, "time": report["time"]}


def _internal_networks() -> tuple:
    networks = []
    for value in settings.HEALTHZ_INTERNAL_NETWORKS:
        try:
            networks.append(ipaddress.ip_network(value.strip(), strict=False))
        except ValueError:
            log.error("HEALTHZ_INTERNAL_NETWORKS: %r is not a network; ignored", value)
    return tuple(networks)


def for_operators(request) -> bool:
    """The request carries HEALTHZ_TOKEN as a bearer token, or comes (by its socket
    address, never X-Forwarded-For) from one of HEALTHZ_INTERNAL_NETWORKS."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        if settings.HEALTHZ_TOKEN and hmac.compare_digest(
                token.strip().encode(), settings.HEALTHZ_TOKEN.encode()):
            return True
        log.warning("/healthz: a wrong token from %s", request.META.get("REMOTE_ADDR"))
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    address = getattr(address, "ipv4_mapped", None) or address
    return any(address in network for network in _internal_networks())
