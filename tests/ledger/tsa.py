"""A real RFC 3161 Time-Stamping Authority on 127.0.0.1, backed by `openssl ts -reply`.

    with local_tsa(tmp_path) as tsa:
        token = request_timestamp(data, tsa_url=tsa.url)
        verify_timestamp(token, data, roots_pem=[tsa.ca_cert_pem])

or use the `tsa_server` fixture, imported into a conftest.py:
`from tests.ledger.tsa import tsa_server  # noqa: F401`.
Tests using either are skipped when `openssl` is not on PATH.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest

POLICY_OID = "1.3.6.1.4.1.55555.1.1"  # arbitrary: openssl ts needs some default policy

CERT_EXTENSIONS = """\
[ca]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash

[tsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
"""

TS_CONFIG = """\
[tsa]
default_tsa = local

[local]
dir = {dir}
serial = $dir/serial
crypto_device = builtin
signer_cert = $dir/tsa.pem
signer_key = $dir/tsa.key
signer_digest = sha256
default_policy = {policy}
digests = sha256, sha384, sha512
accuracy = secs:1
ordering = no
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
"""


@dataclass
class LocalTSA:
    url: str
    directory: Path
    ca_cert_pem: bytes
    tsa_cert_pem: bytes
    fail_status: int | None = None  # set to answer every POST with this HTTP status
    canned_reply: bytes | None = None  # set to answer every POST with these bytes
    queries: list[bytes] = field(default_factory=list)  # every query received, in order
    replies: list[bytes] = field(default_factory=list)  # every reply sent with status 200

    def reply_to(self, query: bytes) -> bytes:
        """What `openssl ts -reply` answers to a DER TimeStampReq (a rejection, if need be)."""
        with tempfile.TemporaryDirectory(dir=self.directory) as scratch:
            query_file, reply_file = Path(scratch, "query.tsq"), Path(scratch, "reply.tsr")
            query_file.write_bytes(query)
            openssl(
                "ts", "-reply", "-config", "ts.cnf", "-queryfile", query_file,
                "-out", reply_file,
                cwd=self.directory,
            )  # fmt: skip
            return reply_file.read_bytes()


def openssl(*args: str | Path | int, cwd: Path) -> bytes:
    result = subprocess.run(["openssl", *map(str, args)], cwd=cwd, capture_output=True)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.decode(errors='replace')}")
    return result.stdout


def make_ca(directory: Path, name: str = "ca") -> tuple[Path, Path]:
    """A self-signed P-256 CA as (<name>.pem, <name>.key) in `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "extensions.cnf").write_text(CERT_EXTENSIONS)
    cert, key = directory / f"{name}.pem", directory / f"{name}.key"
    openssl(
        "req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
        "-nodes", "-keyout", key, "-out", cert, "-subj", f"/CN=DefPub test {name}",
        "-days", "2", "-config", "extensions.cnf", "-extensions", "ca",
        cwd=directory,
    )  # fmt: skip
    return cert, key


def make_tsa_cert(directory: Path, ca_cert: Path, ca_key: Path) -> tuple[Path, Path]:
    """A P-256 TSA certificate (EKU critical timeStamping) issued by the CA."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "extensions.cnf").write_text(CERT_EXTENSIONS)
    cert, key, csr = directory / "tsa.pem", directory / "tsa.key", directory / "tsa.csr"
    openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", key, "-out", csr, "-subj", "/CN=DefPub test TSA",
        cwd=directory,
    )  # fmt: skip
    openssl(
        "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
        "-set_serial", secrets.randbits(63), "-days", "1",
        "-extfile", "extensions.cnf", "-extensions", "tsa", "-out", cert,
        cwd=directory,
    )  # fmt: skip
    return cert, key


class _Handler(BaseHTTPRequestHandler):
    tsa: LocalTSA  # set on the per-server subclass

    def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
        query = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        self.tsa.queries.append(query)
        if self.tsa.fail_status is not None:
            self._answer(self.tsa.fail_status, "text/plain", b"failing on purpose\n")
            return
        if self.headers.get("Content-Type") != "application/timestamp-query":
            self._answer(415, "text/plain", b"expected application/timestamp-query\n")
            return
        try:
            reply = self.tsa.canned_reply or self.tsa.reply_to(query)
        except RuntimeError as exc:
            self._answer(500, "text/plain", str(exc).encode())
            return
        self.tsa.replies.append(reply)
        self._answer(200, "application/timestamp-reply", reply)

    def _answer(self, status: int, content_type: str, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass  # keep test output quiet


@contextmanager
def local_tsa(directory: Path) -> Iterator[LocalTSA]:
    """Create a CA and a TSA in `directory` and serve RFC 3161 over HTTP until exit."""
    if shutil.which("openssl") is None:
        pytest.skip("the local TSA needs the openssl command-line tool on PATH")
    directory = directory / "tsa"
    ca_cert, ca_key = make_ca(directory)
    tsa_cert, _ = make_tsa_cert(directory, ca_cert, ca_key)
    (directory / "serial").write_text("01\n")
    (directory / "ts.cnf").write_text(TS_CONFIG.format(dir=directory, policy=POLICY_OID))

    handler = type("Handler", (_Handler,), {})
    # One request at a time: openssl ts -reply updates the serial file without locking.
    server = HTTPServer(("127.0.0.1", 0), handler)
    tsa = LocalTSA(
        url=f"http://127.0.0.1:{server.server_address[1]}/",
        directory=directory,
        ca_cert_pem=ca_cert.read_bytes(),
        tsa_cert_pem=tsa_cert.read_bytes(),
    )
    handler.tsa = tsa
    thread = threading.Thread(target=server.serve_forever, name="local-tsa", daemon=True)
    thread.start()
    try:
        yield tsa
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def tsa_server(tmp_path: Path) -> Iterator[LocalTSA]:
    with local_tsa(tmp_path) as tsa:
        yield tsa
