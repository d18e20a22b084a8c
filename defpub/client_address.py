"""Who is calling: the one rule for the caller's address, for the API, the web and sign-in.

Without trusted proxies (NUM_PROXIES=0, the default) the address is the socket's peer,
REMOTE_ADDR, and X-Forwarded-For is ignored: anyone can write that header, so trusting it
would let a caller pick a fresh address, or spend another's quota, with every request.

Behind NUM_PROXIES proxies, each of which appends the address it saw to X-Forwarded-For,
the caller is the hop NUM_PROXIES from the right (DRF's rule): the address the outermost
trusted proxy saw. Hops further left were written by the caller and are not read.
"""

import ipaddress

from django.conf import settings


def client_address(request) -> str:
    """The caller's IP address, as quotas, lockouts and logs name it."""
    meta = request.META
    address = meta.get("REMOTE_ADDR", "")
    proxies = settings.NUM_PROXIES
    if proxies > 0:
        hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if hops:
            address = hops[-min(proxies, len(hops))]
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        # A proxy that wrote something else (or a test client with no socket): the peer.
        return meta.get("REMOTE_ADDR", "")
    return str(getattr(parsed, "ipv4_mapped", None) or parsed)
