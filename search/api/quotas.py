"""Request quotas for the examiner API, counted exactly in Redis.

Each client (an API key, else the caller's IP address) has a window of WINDOW seconds that
starts with its first request. One Lua script increments the window's counter and reads its
time to live atomically, so N concurrent requests against a limit L let exactly min(N, L)
through, whichever web process or host serves them (DRF's cache throttle reads, then
writes, and lets bursts slip past).

Responses carry the IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers-10):
    RateLimit-Policy: "key";q=300;w=60
    RateLimit: "key";r=299;t=60
and a refusal is 429 with Retry-After.
"""

import logging
from dataclasses import dataclass
from functools import cache

import redis
from django.conf import settings
from rest_framework.throttling import BaseThrottle

from defpub.models import ExaminerKey
from defpub.services.api_keys import api_key_count_use

log = logging.getLogger(__name__)
WINDOW = 60  # seconds

_COUNT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""


@dataclass(frozen=True)
class Quota:
    policy: str  # "key" or "anonymous"
    limit: int
    remaining: int
    reset: int  # seconds until the window ends

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": f'"{self.policy}";q={self.limit};w={WINDOW}',
            "RateLimit": f'"{self.policy}";r={self.remaining};t={self.reset}',
        }


@cache
def _script():
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"],
                                  socket_timeout=2, socket_connect_timeout=2)
    return client.register_script(_COUNT)


def quota_take(*, client: str, policy: str, limit: int) -> tuple[bool, Quota]:
    """Count one request for `client`; (allowed, the quota after it)."""
    count, ttl = _script()(keys=[f"defpub:quota:{client}"], args=[WINDOW])
    quota = Quota(policy=policy, limit=limit, remaining=max(0, limit - count),
                  reset=max(1, int(ttl)))
    return count <= limit, quota


class RedisQuota(BaseThrottle):
    """Keys get their own rate (or API_RATE_KEY); anonymous callers API_RATE_ANONYMOUS per IP."""

    def allow_request(self, request, view) -> bool:
        key = request.auth if isinstance(request.auth, ExaminerKey) else None
        if key is not None:
            client, policy = f"key:{key.prefix}", "key"
            limit = key.rate_per_minute or settings.API_RATE_KEY
        else:
            client, policy = f"ip:{self.get_ident(request)}", "anonymous"
            limit = settings.API_RATE_ANONYMOUS
        try:
            allowed, request.quota = quota_take(client=client, policy=policy, limit=limit)
        except redis.RedisError:
            # Search does not need Redis; an outage of the counter must not take it down.
            log.warning("quota counter unavailable; serving %s without a limit", client)
            return True
        if key is not None:
            api_key_count_use(key_id=key.pk, served=allowed)
        self.reset = request.quota.reset
        return allowed

    def wait(self) -> float:
        return self.reset
