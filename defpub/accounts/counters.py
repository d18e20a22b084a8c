"""Hourly counters in Redis/Valkey for abuse limits on the web pages (sign-up, verification
mails), keyed by the client's address or by account."""

import logging

from django.core.cache import cache

from defpub.client_address import client_address as caller_address

log = logging.getLogger(__name__)


def client_address(request) -> str:
    """The client's address by the one rule for every caller (defpub.client_address):
    X-Forwarded-For counts only behind NUM_PROXIES trusted proxies."""
    return caller_address(request)


def counter_hit(*, key: str, window: int) -> int:
    """Count one event under `key` in a window of `window` seconds that starts with the first
    event; the count so far, this one included. 0 when the counter store is down (the caller
    then lets the event through: an outage of Valkey must not stop sign-ups)."""
    key = f"defpub:count:{key}"
    try:
        for _attempt in range(2):
            cache.add(key, 0, timeout=window)  # SET NX: starts the window once
            try:
                return cache.incr(key)  # INCR: exact under concurrency
            except ValueError:  # the window ended between the two calls: start a new one
                continue
        return 0
    except Exception as error:  # noqa: BLE001 - redis-py raises many kinds of connection errors
        log.warning("counter store unavailable (%s); not counting %s", error, key)
        return 0
