"""Search quotas, counted exactly in Redis: one quota for one person, however they come.

The API, the web search page and its citation exports all run the search engine, and all
spend the same quota. Who the caller is decides which one:
- an API key (the API's Authorization header; on the web, the signed-in user's active key):
  the key's own rate, or API_RATE_KEY;
- a signed-in user without a key: API_RATE_USER (by default as high as a key's);
- anyone else: API_RATE_ANONYMOUS per address (defpub.client_address; an IPv6 caller by its
  /64, the block one host or subscriber is given). A failed key check is counted here too.

Each quota has a window of API_RATE_WINDOW seconds (60) that starts with its first request.
One Lua script increments the window's counter and reads its time to live atomically, so N
concurrent requests against a limit L let exactly min(N, L) through, whichever web process
or host serves them (DRF's cache throttle reads, then writes, and lets bursts slip past).

Answers carry the IETF RateLimit fields (draft-ietf-httpapi-ratelimit-headers-10):
    RateLimit-Policy: "key";q=300;w=60
    RateLimit: "key";r=299;t=60
and a refusal is 429 with Retry-After: problem+json from the API, a page in the visitor's
language from the web.
"""

import functools
import ipaddress
import logging
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlencode

import redis
from django.conf import settings
from django.db.models import F, Q
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from rest_framework import exceptions
from rest_framework.throttling import BaseThrottle

from defpub.client_address import client_address
from defpub.examiners.models import ExaminerKey
from defpub.examiners.services import api_key_count_use

log = logging.getLogger(__name__)

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
    policy: str  # "key", "user" or "anonymous"
    limit: int
    remaining: int
    reset: int  # seconds until the window ends
    window: int  # seconds

    def headers(self) -> dict[str, str]:
        return {
            "RateLimit-Policy": f'"{self.policy}";q={self.limit};w={self.window}',
            "RateLimit": f'"{self.policy}";r={self.remaining};t={self.reset}',
        }


@dataclass(frozen=True)
class Caller:
    """Whose quota a request spends."""

    client: str  # the counter's name: "key:<prefix>", "user:<id>" or "ip:<address>"
    policy: str
    limit: int
    key: ExaminerKey | None = None


@cache
def _client() -> redis.Redis:
    return redis.Redis.from_url(settings.CACHES["default"]["LOCATION"],
                                socket_timeout=2, socket_connect_timeout=2)


@cache
def _script():
    return _client().register_script(_COUNT)


def quota_take(*, client: str, policy: str, limit: int) -> tuple[bool, Quota]:
    """Count one request for `client`; (allowed, the quota after it)."""
    window = settings.API_RATE_WINDOW
    count, ttl = _script()(keys=[f"defpub:quota:{client}"], args=[window])
    quota = Quota(policy=policy, limit=limit, remaining=max(0, limit - count),
                  reset=max(1, int(ttl)), window=window)
    return count <= limit, quota


def quota_peek(*, caller: Caller) -> Quota | None:
    """Where the caller stands, without counting a request (None: nothing counted, or no
    Redis)."""
    name = f"defpub:quota:{caller.client}"
    try:
        count, ttl = _client().pipeline().get(name).ttl(name).execute()
    except redis.RedisError:
        return None
    if count is None or ttl is None or ttl < 0:
        return None
    return Quota(policy=caller.policy, limit=caller.limit,
                 remaining=max(0, caller.limit - int(count)), reset=max(1, int(ttl)),
                 window=settings.API_RATE_WINDOW)


def quota_charge(*, caller: Caller) -> tuple[bool, Quota | None]:
    """Spend one request of the caller's quota; (allowed, quota). Without Redis: allowed."""
    try:
        allowed, quota = quota_take(client=caller.client, policy=caller.policy,
                                    limit=caller.limit)
    except redis.RedisError:
        # Search does not need Redis; an outage of the counter must not take it down.
        log.warning("quota counter unavailable; serving %s without a limit", caller.client)
        return True, None
    if caller.key is not None:
        api_key_count_use(key_id=caller.key.pk, served=allowed)
    return allowed, quota


# -- who is calling --------------------------------------------------------------------------
def address_caller(request) -> Caller:
    address = client_address(request)
    try:
        parsed = ipaddress.ip_address(address)
        if parsed.version == 6:  # one host or subscriber gets a whole /64
            address = str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    except ValueError:
        pass
    return Caller(client=f"ip:{address}", policy="anonymous", limit=settings.API_RATE_ANONYMOUS)


def key_caller(key: ExaminerKey) -> Caller:
    return Caller(client=f"key:{key.prefix}", policy="key",
                  limit=key.rate_per_minute or settings.API_RATE_KEY, key=key)


def active_key(user) -> ExaminerKey | None:
    """The user's key that the web spends: the active one used last (or issued last)."""
    return (ExaminerKey.objects.filter(owner=user, revoked=False)
            .filter(Q(expiry_date__isnull=True) | Q(expiry_date__gt=timezone.now()))
            .order_by(F("last_used_at").desc(nulls_last=True), "-created").first())


def web_caller(request) -> Caller:
    """A web visitor: the signed-in user's key, else the user, else the address."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return address_caller(request)
    key = active_key(user)
    if key is not None:
        return key_caller(key)
    return Caller(client=f"user:{user.pk}", policy="user", limit=settings.API_RATE_USER)


# -- the API ---------------------------------------------------------------------------------
class RedisQuota(BaseThrottle):
    """The API's throttle: a key's quota with a key, else the address's."""

    def allow_request(self, request, view) -> bool:
        key = request.auth if isinstance(request.auth, ExaminerKey) else None
        caller = key_caller(key) if key is not None else address_caller(request)
        allowed, quota = quota_charge(caller=caller)
        if quota is None:
            return True
        request.quota = quota
        self.reset = quota.reset
        return allowed

    def get_ident(self, request) -> str:
        return client_address(request)

    def wait(self) -> float:
        return self.reset


def key_check_failed(request, *, prefix: str, reason: str) -> None:
    """Count a refused API key against the caller's address, and log it; once the address's
    quota is spent, the answer is 429 instead of 401, so guessing keys costs like searching."""
    caller = address_caller(request)
    allowed, quota = quota_charge(caller=caller)
    log.warning("API key refused (%s) for %s, prefix %r%s", reason, caller.client,
                prefix[:16], "" if allowed else "; over the address's quota")
    if quota is None:
        return
    request.quota = quota  # the 401 carries the RateLimit fields too
    if not allowed:
        raise exceptions.Throttled(wait=quota.reset)


# -- the web ---------------------------------------------------------------------------------
def _runs_a_search(request) -> bool:
    """Does the answer run the engine? A GET with a query or "more like this" does, and so
    does an htmx POST; a plain POST is answered by a redirect to the page, charged then."""
    if request.method == "GET":
        data = request.GET
    elif request.method == "POST" and request.headers.get("HX-Request"):
        data = request.POST
    else:
        return False
    return any(data.get(name, "").strip() for name in ("q", "like"))


def web_quota(view=None, *, always: bool = False):
    """Charge a web view that runs the search engine to the visitor's quota (web_caller).

    By default only requests that carry a query are charged (the empty form is free);
    always=True charges every request (exports). Over the quota, the answer is a 429 page in
    the visitor's language with Retry-After; every charged answer has the RateLimit fields.
    """

    def decorate(view_func):
        @functools.wraps(view_func)
        def wrapper(request, *args, **kwargs):
            if not (always or _runs_a_search(request)):
                return view_func(request, *args, **kwargs)
            allowed, quota = quota_charge(caller=web_caller(request))
            if allowed:
                response = view_func(request, *args, **kwargs)
            else:
                response = quota_refused(request, quota)
            for name, value in (quota.headers() if quota else {}).items():
                response[name] = value
            return response

        return wrapper

    return decorate(view) if view is not None else decorate


def quota_refused(request, quota: Quota, *, again: str = ""):
    """429 with a page in the visitor's language that says whose quota is spent, when it comes
    back, and how to get one's own; `again` is the page to try again."""
    again = again or (request.get_full_path() if request.method == "GET" else reverse("search"))
    response = render(request, "search/quota_refused.html",
                      {"quota": quota, "signed_in": request.user.is_authenticated,
                       "again_url": again}, status=429)
    response["Retry-After"] = str(quota.reset)
    if request.headers.get("HX-Request"):
        # htmx swaps no 4xx answer: send the browser to the page that says why (uncharged).
        response["HX-Redirect"] = reverse("search-quota") + "?" + urlencode({"next": again})
    return response
