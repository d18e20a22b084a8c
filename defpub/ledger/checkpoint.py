"""C2SP tlog-checkpoint bodies inside C2SP signed notes, signed with Ed25519.

Kept byte-compatible with golang.org/x/mod/sumdb/note so that existing witnesses and
verifiers (and their `name+keyid+key` verifier strings) work against our checkpoints.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519_TYPE = b"\x01"
SIGNATURE_PREFIX = "\u2014 "  # em dash, space
MAX_SIGNATURES = 100  # spec asks for at least 16; matches the Go implementation
ROOT_SIZE = 32
_DECIMAL = re.compile(r"0|[1-9][0-9]*")


class CheckpointError(ValueError):
    """A note or checkpoint is malformed, unsigned by the expected key, or forged."""


def _b64decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise CheckpointError(f"invalid base64: {text!r}") from exc


def _check_text(text: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:  # lone surrogates
        raise CheckpointError("notes must be valid UTF-8") from exc
    if any(ord(char) < 0x20 and char != "\n" for char in text):
        raise CheckpointError("notes must not contain control characters other than newline")


def _check_key_name(name: str) -> None:
    if not name or "+" in name or any(char.isspace() for char in name):
        raise CheckpointError(f"invalid key name {name!r}: must be non-empty, no spaces or '+'")
    _check_text(name)


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        lines = (self.origin, *self.extensions)
        if any(not line or "\n" in line for line in lines):
            raise CheckpointError("origin and extension lines must be non-empty single lines")
        _check_text("".join(lines))
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise CheckpointError("size must be a non-negative int")
        if not isinstance(self.root, bytes) or len(self.root) != ROOT_SIZE:
            raise CheckpointError("root must be 32 bytes")

    def body(self) -> str:
        """The signed note text; every line, including the last, ends with a newline."""
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode("ascii")]
        return "".join(line + "\n" for line in [*lines, *self.extensions])

    @classmethod
    def from_body(cls, text: str) -> Checkpoint:
        if not text.endswith("\n"):
            raise CheckpointError("checkpoint body must end with a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3 or any(not line for line in lines):
            raise CheckpointError("checkpoint body needs at least three non-empty lines")
        origin, size_line, root_line, *extensions = lines
        if not _DECIMAL.fullmatch(size_line):
            raise CheckpointError(f"tree size is not canonical decimal: {size_line!r}")
        root = _b64decode(root_line)
        if base64.b64encode(root).decode("ascii") != root_line:
            raise CheckpointError("root hash is not canonical base64")
        return cls(origin=origin, size=int(size_line), root=root, extensions=tuple(extensions))


@dataclass(frozen=True)
class NoteSignature:
    key_name: str
    key_id: bytes  # 4 bytes, big-endian uint32 in the Go API
    signature: bytes

    def line(self) -> str:
        encoded = base64.b64encode(self.key_id + self.signature).decode("ascii")
        return f"{SIGNATURE_PREFIX}{self.key_name} {encoded}\n"


@dataclass(frozen=True)
class VerifierKey:
    key_name: str
    key_id: bytes
    public_key: Ed25519PublicKey


def _raw_public(public_key: Ed25519PublicKey) -> bytes:
    return public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """SHA-256(name || 0x0A || 0x01 || pubkey)[:4]: lets verifiers pick the key to try."""
    material = key_name.encode() + b"\n" + ED25519_TYPE + _raw_public(public_key)
    return hashlib.sha256(material).digest()[:4]


def make_vkey(key_name: str, public_key: Ed25519PublicKey) -> str:
    """Verifier string `<name>+<hex key ID>+<base64(0x01 || pubkey)>` as in sumdb/note."""
    _check_key_name(key_name)
    encoded = base64.b64encode(ED25519_TYPE + _raw_public(public_key)).decode("ascii")
    return f"{key_name}+{key_id(key_name, public_key).hex()}+{encoded}"


def parse_vkey(vkey: str) -> VerifierKey:
    parts = vkey.split("+", 2)  # the base64 key may itself contain '+'
    if len(parts) != 3 or not re.fullmatch(r"[0-9a-fA-F]{8}", parts[1]):
        raise CheckpointError("vkey must look like <name>+<8 hex digits>+<base64 key>")
    name, id_hex, key_b64 = parts
    _check_key_name(name)
    key_bytes = _b64decode(key_b64)
    if len(key_bytes) != 33 or key_bytes[:1] != ED25519_TYPE:
        raise CheckpointError("vkey is not an Ed25519 (type 0x01) key")
    try:
        public_key = Ed25519PublicKey.from_public_bytes(key_bytes[1:])
    except ValueError as exc:
        raise CheckpointError("vkey holds an invalid Ed25519 public key") from exc
    if key_id(name, public_key) != bytes.fromhex(id_hex):
        raise CheckpointError("vkey key ID does not match its name and key")
    return VerifierKey(key_name=name, key_id=bytes.fromhex(id_hex), public_key=public_key)


def sign_note(text: str, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """Any signed note; the text must be non-empty and end with a newline."""
    _check_key_name(key_name)
    _check_text(text)
    if not text.endswith("\n"):
        raise CheckpointError("note text must end with a newline")
    signature = NoteSignature(
        key_name=key_name,
        key_id=key_id(key_name, private_key.public_key()),
        signature=private_key.sign(text.encode("utf-8")),
    )
    return text + "\n" + signature.line()


def sign_checkpoint(cp: Checkpoint, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """The log's key name should normally equal the checkpoint origin."""
    return sign_note(cp.body(), private_key, key_name)


def split_signed_note(note: str | bytes) -> tuple[str, list[NoteSignature]]:
    """Separate note text from its signature lines without verifying anything."""
    if isinstance(note, bytes):
        try:
            note = note.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise CheckpointError("note is not valid UTF-8") from exc
    _check_text(note)
    split = note.rfind("\n\n")
    if split < 0:
        raise CheckpointError("note has no blank line before its signatures")
    text, signature_block = note[: split + 1], note[split + 2 :]
    if not signature_block.endswith("\n"):
        raise CheckpointError("note has no signatures or lacks a final newline")
    lines = signature_block[:-1].split("\n")
    if len(lines) > MAX_SIGNATURES:
        raise CheckpointError("note has too many signatures")
    signatures = []
    for line in lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError(f"malformed signature line: {line!r}")
        name, _, encoded = line[len(SIGNATURE_PREFIX) :].partition(" ")
        _check_key_name(name)
        raw = _b64decode(encoded)
        if not encoded or len(raw) < 5:
            raise CheckpointError(f"signature too short in line: {line!r}")
        signatures.append(NoteSignature(key_name=name, key_id=raw[:4], signature=raw[4:]))
    return text, signatures


def parse_signed_note(note: str | bytes) -> tuple[Checkpoint, list[NoteSignature]]:
    """Parse without verifying; only for display or debugging, never for trust decisions."""
    text, signatures = split_signed_note(note)
    return Checkpoint.from_body(text), signatures


def verify_note(note: str | bytes, vkey: str) -> str:
    """Return the note text iff the key in `vkey` signed it; other signers are ignored."""
    verifier = parse_vkey(vkey)
    text, signatures = split_signed_note(note)
    ours = [
        sig
        for sig in signatures
        if sig.key_name == verifier.key_name and sig.key_id == verifier.key_id
    ]
    if not ours:
        raise CheckpointError(f"note carries no signature from {verifier.key_name}")
    for sig in ours:
        try:
            verifier.public_key.verify(sig.signature, text.encode("utf-8"))
        except InvalidSignature as exc:
            raise CheckpointError(f"bad signature from {verifier.key_name}") from exc
    return text


def verify_checkpoint(
    note: str | bytes, vkey: str, *, expected_origin: str | None = None
) -> Checkpoint:
    """The checkpoint, only if `vkey` signed it (and it names `expected_origin`, if given)."""
    checkpoint = Checkpoint.from_body(verify_note(note, vkey))
    if expected_origin is not None and checkpoint.origin != expected_origin:
        raise CheckpointError(f"checkpoint origin {checkpoint.origin!r} != {expected_origin!r}")
    return checkpoint


def generate_private_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def private_key_to_pem(private_key: Ed25519PrivateKey, *, password: bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted when a password is given, so the key can live in a file."""
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    return private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def load_private_key_pem(pem: bytes, *, password: bytes | None = None) -> Ed25519PrivateKey:
    key = serialization.load_pem_private_key(pem, password=password)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError("PEM does not hold an Ed25519 private key")
    return key
