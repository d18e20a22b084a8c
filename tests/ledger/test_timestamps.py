"""RFC 3161 timestamps of checkpoints against a real local TSA run by `openssl ts`."""

from __future__ import annotations

import socket
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rfc3161_client import decode_timestamp_response

from defpub.ledger.timestamps import TimestampError, request_timestamp, verify_timestamp
from tests.ledger.tsa import LocalTSA, local_tsa, make_ca, make_tsa_cert, openssl

CHECKPOINT = (
    "defpub.example/ledger\n"
    "3\n"
    "6wcSCL8wK1DFOGpfnyp2VmT8OcBg0E7Cz0EzXxTqjGw=\n"
    "\n"
    "\u2014 defpub.example/ledger AAAAAQ==\n"
).encode()


@pytest.fixture
def tsa(tmp_path: Path) -> Iterator[LocalTSA]:
    with local_tsa(tmp_path) as server:
        yield server


@pytest.fixture
def token(tsa: LocalTSA) -> bytes:
    return request_timestamp(CHECKPOINT, tsa_url=tsa.url)


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connecting to it is refused at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_timestamp_round_trips(tsa: LocalTSA, token: bytes) -> None:
    stamped = verify_timestamp(token, CHECKPOINT, roots_pem=[tsa.ca_cert_pem])
    assert stamped.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - stamped) < timedelta(minutes=1)


def test_pinned_tsa_certificate_must_be_the_signer(
    tsa: LocalTSA,
    token: bytes,
    tmp_path: Path,
) -> None:
    roots = [tsa.ca_cert_pem]
    verify_timestamp(token, CHECKPOINT, roots_pem=roots, tsa_cert_pem=tsa.tsa_cert_pem)
    ca_files = (tsa.directory / "ca.pem", tsa.directory / "ca.key")
    sibling_cert, _ = make_tsa_cert(tmp_path / "sibling", *ca_files)  # same CA, other key
    with pytest.raises(TimestampError, match="does not match"):
        verify_timestamp(token, CHECKPOINT, roots_pem=roots, tsa_cert_pem=sibling_cert.read_bytes())


def test_token_does_not_cover_other_data(tsa: LocalTSA, token: bytes) -> None:
    with pytest.raises(TimestampError, match="Mismatch between messages"):
        verify_timestamp(token, CHECKPOINT + b"x", roots_pem=[tsa.ca_cert_pem])


def test_token_does_not_chain_to_another_ca(
    tsa: LocalTSA,
    token: bytes,
    tmp_path: Path,
) -> None:
    other_ca, _ = make_ca(tmp_path / "other", "other-ca")
    with pytest.raises(TimestampError, match="unable to get local issuer certificate"):
        verify_timestamp(token, CHECKPOINT, roots_pem=[other_ca.read_bytes()])
    with pytest.raises(TimestampError, match="unable to get local issuer certificate"):
        verify_timestamp(token, CHECKPOINT)  # the system store does not know our test CA


def test_nonce_is_checked_when_given(tsa: LocalTSA, token: bytes) -> None:
    nonce = decode_timestamp_response(tsa.replies[0]).tst_info.nonce
    roots = [tsa.ca_cert_pem]
    verify_timestamp(token, CHECKPOINT, roots_pem=roots, nonce=nonce)
    with pytest.raises(TimestampError, match="Nonce mismatch"):
        verify_timestamp(token, CHECKPOINT, roots_pem=roots, nonce=nonce + 1)


@pytest.mark.parametrize("mangle", [lambda t: b"", lambda t: t[:-1], lambda t: t + b"\0"])
def test_malformed_token_is_rejected(tsa: LocalTSA, token: bytes, mangle) -> None:
    with pytest.raises(TimestampError, match="does not verify"):
        verify_timestamp(mangle(token), CHECKPOINT, roots_pem=[tsa.ca_cert_pem])


def test_openssl_verifies_the_stored_token(
    tsa: LocalTSA,
    token: bytes,
    tmp_path: Path,
) -> None:
    (tmp_path / "token.tst").write_bytes(token)
    (tmp_path / "checkpoint.txt").write_bytes(CHECKPOINT)
    (tmp_path / "forged.txt").write_bytes(CHECKPOINT.replace(b"\n3\n", b"\n4\n"))

    def openssl_verify(data_file: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            ["openssl", "ts", "-verify", "-data", data_file, "-in", "token.tst", "-token_in",
             "-CAfile", tsa.directory / "ca.pem",
             "-untrusted", tsa.directory / "tsa.pem"],
            cwd=tmp_path, capture_output=True, text=True,
        )  # fmt: skip

    accepted = openssl_verify("checkpoint.txt")
    assert accepted.returncode == 0, accepted.stderr
    assert "Verification: OK" in accepted.stdout
    assert openssl_verify("forged.txt").returncode != 0


def test_http_error_from_tsa(tsa: LocalTSA) -> None:
    tsa.fail_status = 500
    with pytest.raises(TimestampError, match="HTTP Error 500"):
        request_timestamp(CHECKPOINT, tsa_url=tsa.url)


def test_tsa_rejection_is_reported(tsa: LocalTSA, tmp_path: Path) -> None:
    (tmp_path / "data").write_bytes(CHECKPOINT)
    openssl(
        "ts", "-query", "-data", "data", "-sha256", "-tspolicy", "1.2.3.4", "-out", "q.tsq",
        cwd=tmp_path,
    )  # fmt: skip
    tsa.canned_reply = tsa.reply_to((tmp_path / "q.tsq").read_bytes())
    with pytest.raises(TimestampError, match="status 2: Requested policy is not supported"):
        request_timestamp(CHECKPOINT, tsa_url=tsa.url)


@pytest.mark.parametrize("reply", [b"not DER", b"\x30\x05\x30\x03\x02\x01\x00"])
def test_malformed_reply_is_rejected(tsa: LocalTSA, reply: bytes) -> None:
    tsa.canned_reply = reply  # the second is "granted" but carries no token
    with pytest.raises(TimestampError, match="is malformed"):
        request_timestamp(CHECKPOINT, tsa_url=tsa.url)


def test_replayed_reply_is_rejected(tsa: LocalTSA, token: bytes) -> None:
    tsa.canned_reply = tsa.replies[0]  # genuine, but for an earlier request
    with pytest.raises(TimestampError, match="nonce"):
        request_timestamp(CHECKPOINT, tsa_url=tsa.url)


def test_refused_connection(closed_port: int) -> None:
    with pytest.raises(TimestampError, match="Connection refused"):
        request_timestamp(CHECKPOINT, tsa_url=f"http://127.0.0.1:{closed_port}/", timeout=5)


def test_silent_tsa_times_out() -> None:
    with socket.socket() as sock:  # listens, so connect succeeds, but never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        url = f"http://127.0.0.1:{sock.getsockname()[1]}/"
        with pytest.raises(TimestampError, match="timed out"):
            request_timestamp(CHECKPOINT, tsa_url=url, timeout=0.2)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://tsa.example/", "127.0.0.1:1"])
def test_only_http_urls(url: str) -> None:
    with pytest.raises(TimestampError, match="must be http or https"):
        request_timestamp(CHECKPOINT, tsa_url=url)
