"""RFC 3161 timestamps over ledger checkpoints: ask a TSA, then check what it signed.

We keep the TimeStampToken (the signed CMS ContentInfo), not the whole TimeStampResp: the
response's status wrapper is unsigned transport, and `openssl ts -verify -token_in` and
other tools take the bare token.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import ssl
import urllib.parse
import urllib.request
import warnings
from datetime import datetime

from cryptography import x509
from cryptography.utils import CryptographyDeprecationWarning
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

MAX_RESPONSE_SIZE = 1 << 20  # real replies are a few KiB, even with a certificate chain
_GRANTED = (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS)


class TimestampError(Exception):
    """The TSA could not be reached, refused, or a token does not prove what was asked."""


def request_timestamp(data: bytes, *, tsa_url: str, timeout: float = 10) -> bytes:
    """Ask the TSA to timestamp SHA-256(data); return the DER TimeStampToken bytes."""
    if urllib.parse.urlsplit(tsa_url).scheme not in ("http", "https"):
        raise TimestampError(f"TSA URL must be http or https: {tsa_url!r}")
    request = (
        TimestampRequestBuilder()
        .data(data)
        .hash_algorithm(HashAlgorithm.SHA256)
        .nonce(nonce=True)
        .cert_request(cert_request=True)  # so the token carries the certificate to check
        .build()
    )
    http_request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        tsa_url,
        data=request.as_bytes(),
        headers={"Content-Type": "application/timestamp-query"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as reply:  # noqa: S310
            body = reply.read(MAX_RESPONSE_SIZE + 1)
    except (OSError, http.client.HTTPException) as exc:  # URLError, HTTPError, timeouts
        raise TimestampError(f"TSA request to {tsa_url} failed: {exc}") from exc
    if len(body) > MAX_RESPONSE_SIZE:
        raise TimestampError(f"TSA reply from {tsa_url} is larger than {MAX_RESPONSE_SIZE} bytes")
    try:
        response = decode_timestamp_response(body)
        if response.status not in _GRANTED:
            detail = "; ".join(response.status_string) or "no reason given"
            raise TimestampError(f"TSA refused with status {response.status}: {detail}")
        info = response.tst_info  # raises ValueError when a "granted" reply has no token
        reply_nonce, imprint = info.nonce, info.message_imprint.message
    except ValueError as exc:
        raise TimestampError(f"TSA reply from {tsa_url} is malformed: {exc}") from exc
    if reply_nonce != request.nonce:
        raise TimestampError("TSA reply does not carry our nonce (stale or replayed reply)")
    if imprint != hashlib.sha256(data).digest():
        raise TimestampError("TSA timestamped a different message imprint than we sent")
    return response.time_stamp_token()


def verify_timestamp(
    token: bytes,
    data: bytes,
    *,
    roots_pem: list[bytes] | None = None,
    tsa_cert_pem: bytes | None = None,
    nonce: int | None = None,
) -> datetime:
    """Check the token covers SHA-256(data) and chains to roots; return its genTime (UTC).

    `roots_pem` holds PEM bundles of trust anchors (intermediates may ride along). None
    trusts every CA in the system store, so pass the TSA's own root to trust only it.
    `tsa_cert_pem` pins the TSA's certificate.
    """
    try:
        if roots_pem is None:
            roots = _system_roots()
        else:
            roots = [cert for pem in roots_pem for cert in x509.load_pem_x509_certificates(pem)]
        builder = VerifierBuilder(roots=roots, nonce=nonce)
        if tsa_cert_pem is not None:
            builder = builder.tsa_certificate(x509.load_pem_x509_certificate(tsa_cert_pem))
        response = decode_timestamp_response(_as_granted_response(token))
        builder.build().verify(response, hashlib.sha256(data).digest())
    except (ValueError, VerificationError) as exc:
        raise TimestampError(f"timestamp token does not verify: {exc}") from exc
    return response.tst_info.gen_time


def _system_roots() -> list[x509.Certificate]:
    roots = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)  # odd legacy roots
        for der in ssl.create_default_context().get_ca_certs(binary_form=True):
            with contextlib.suppress(ValueError):  # one unparsable root must not void the rest
                roots.append(x509.load_der_x509_certificate(der))
    return roots


def _as_granted_response(token: bytes) -> bytes:
    """Wrap a bare token as TimeStampResp{status granted}, the only form the library parses."""
    body = b"\x30\x03\x02\x01\x00" + token  # PKIStatusInfo { status 0 } || token
    return b"\x30" + _der_length(len(body)) + body


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(encoded)]) + encoded
