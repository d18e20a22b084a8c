"""C2SP tlog-checkpoint signed notes: exact format, Go interoperability, and forgery checks."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from defpub.ledger import merkle
from defpub.ledger.checkpoint import (
    Checkpoint,
    CheckpointError,
    NoteSignature,
    generate_private_key,
    key_id,
    load_private_key_pem,
    make_vkey,
    parse_signed_note,
    parse_vkey,
    private_key_to_pem,
    sign_checkpoint,
    sign_note,
    split_signed_note,
    verify_checkpoint,
    verify_note,
)

# Example from golang.org/x/mod/sumdb/note (package docs and note_test.go).
GO_SKEY_B64 = "AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"  # 0x01 || Ed25519 seed
GO_VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
GO_TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
GO_NOTE = (
    GO_TEXT + "\n"
    "\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdn"
    "gotpRZb6KE6RyyBwJnAM=\n"
)

ORIGIN = "example.com/defpub"
SEED = bytes(range(32))
ROOT = hashlib.sha256(b"some tree").digest()


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(SEED)


@pytest.fixture
def vkey(key: Ed25519PrivateKey) -> str:
    return make_vkey(ORIGIN, key.public_key())


@pytest.fixture
def note(key: Ed25519PrivateKey) -> str:
    return sign_checkpoint(Checkpoint(ORIGIN, 1234, ROOT), key, ORIGIN)


def go_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(base64.b64decode(GO_SKEY_B64)[1:])


def test_matches_go_sumdb_note_byte_for_byte() -> None:
    assert make_vkey("PeterNeumann", go_key().public_key()) == GO_VKEY
    assert sign_note(GO_TEXT, go_key(), "PeterNeumann") == GO_NOTE
    assert verify_note(GO_NOTE, GO_VKEY) == GO_TEXT
    with pytest.raises(CheckpointError):
        verify_note(GO_NOTE.replace("cryptography", "cryptographY"), GO_VKEY)


def test_known_checkpoint_text(key: Ed25519PrivateKey) -> None:
    public = key.public_key().public_bytes_raw()
    body = f"{ORIGIN}\n1234\n{base64.b64encode(ROOT).decode()}\nextra: one\n"
    key_hash = hashlib.sha256(ORIGIN.encode() + b"\n\x01" + public).digest()[:4]
    signature = base64.b64encode(key_hash + key.sign(body.encode())).decode()
    expected = body + "\n" + "\u2014 " + ORIGIN + " " + signature + "\n"

    cp = Checkpoint(ORIGIN, 1234, ROOT, extensions=("extra: one",))
    assert cp.body() == body
    assert sign_checkpoint(cp, key, ORIGIN) == expected
    typed_key = base64.b64encode(b"\x01" + public).decode()
    assert make_vkey(ORIGIN, key.public_key()) == f"{ORIGIN}+{key_hash.hex()}+{typed_key}"


def test_round_trip(note: str, vkey: str) -> None:
    cp = verify_checkpoint(note, vkey, expected_origin=ORIGIN)
    assert cp == Checkpoint(ORIGIN, 1234, ROOT)
    assert verify_checkpoint(note.encode(), vkey) == cp
    parsed, signatures = parse_signed_note(note)
    assert parsed == cp and [s.key_name for s in signatures] == [ORIGIN]


def test_round_trip_with_fresh_key_extensions_and_empty_tree() -> None:
    key = generate_private_key()
    cp = Checkpoint("log.example/x", 0, merkle.EMPTY_ROOT, extensions=("a", "b c"))
    signed = sign_checkpoint(cp, key, "log.example/x")
    assert verify_checkpoint(signed, make_vkey("log.example/x", key.public_key())) == cp


def test_checkpoint_commits_to_a_real_tree() -> None:
    store = merkle.MemoryNodeStore()
    for i in range(10):
        merkle.append(store, i, merkle.leaf_hash(b"entry %d" % i))
    key = generate_private_key()
    signed = sign_checkpoint(Checkpoint(ORIGIN, 10, merkle.root(store, 10)), key, ORIGIN)
    cp = verify_checkpoint(signed, make_vkey(ORIGIN, key.public_key()))
    proof = merkle.inclusion_proof(store, 7, cp.size)
    assert merkle.verify_inclusion(merkle.leaf_hash(b"entry 7"), 7, cp.size, proof, cp.root)


@pytest.mark.parametrize(
    ("old", "new"),
    [(f"{ORIGIN}\n", "example.com/other\n"), ("\n1234\n", "\n1235\n"), ("\n1234\n", "\n12340\n")],
)
def test_changed_body_line_fails(note: str, vkey: str, old: str, new: str) -> None:
    with pytest.raises(CheckpointError):
        verify_checkpoint(note.replace(old, new, 1), vkey)


def test_changed_root_fails(note: str, vkey: str) -> None:
    other_root = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with pytest.raises(CheckpointError):
        verify_checkpoint(note.replace(base64.b64encode(ROOT).decode(), other_root), vkey)


@pytest.mark.parametrize("position", [0, 3, 4, 30, 67])
def test_changed_signature_byte_fails(note: str, vkey: str, position: int) -> None:
    text, (signature,) = split_signed_note(note)
    raw = bytearray(signature.key_id + signature.signature)
    raw[position] ^= 0x01
    forged = NoteSignature(ORIGIN, bytes(raw[:4]), bytes(raw[4:]))
    with pytest.raises(CheckpointError):
        verify_checkpoint(text + "\n" + forged.line(), vkey)


def test_truncated_signature_fails(note: str, vkey: str) -> None:
    text, (signature,) = split_signed_note(note)
    short = NoteSignature(ORIGIN, signature.key_id, signature.signature[:-1])
    with pytest.raises(CheckpointError):
        verify_checkpoint(text + "\n" + short.line(), vkey)


def test_wrong_key_fails(note: str) -> None:
    other = make_vkey(ORIGIN, generate_private_key().public_key())
    with pytest.raises(CheckpointError, match="no signature"):
        verify_checkpoint(note, other)


def test_wrong_key_name_fails(note: str, key: Ed25519PrivateKey) -> None:
    with pytest.raises(CheckpointError, match="no signature"):
        verify_checkpoint(note, make_vkey("example.com/impostor", key.public_key()))


def test_wrong_origin_fails(note: str, vkey: str) -> None:
    with pytest.raises(CheckpointError, match="origin"):
        verify_checkpoint(note, vkey, expected_origin="example.com/elsewhere")


def test_unknown_cosignatures_are_ignored(note: str, vkey: str) -> None:
    witness = generate_private_key()
    text, _ = split_signed_note(note)
    cosigned = note + sign_note(text, witness, "witness.example").split("\n\n")[-1]
    assert len(split_signed_note(cosigned)[1]) == 2
    assert verify_checkpoint(cosigned, vkey).size == 1234
    assert verify_checkpoint(cosigned, make_vkey("witness.example", witness.public_key()))


@pytest.mark.parametrize(
    "mangle",
    [
        lambda n: n.replace("\n\n", "\n"),  # no blank line
        lambda n: n[:-1],  # no final newline
        lambda n: n.split("\n\u2014")[0] + "\n",  # no signatures
        lambda n: n.split("\u2014")[0],  # blank line but nothing after it
        lambda n: n.replace("\u2014", "-"),  # ASCII hyphen instead of em dash
        lambda n: n.replace("\u2014 ", "\u2014"),  # no space after the dash
        lambda n: n.replace("=\n", "!\n"),  # not base64
        lambda n: n.replace("1234\n", "1234\r\n"),  # control character
        lambda n: n + "\u2014 someone AAAAAAAA\n" * 100,  # too many signatures
        lambda n: n.encode()[:-3] + b"\xff\n",  # invalid UTF-8
        lambda n: n.replace("1234", "1234\udcff"),  # lone surrogate in a str
    ],
)
def test_malformed_envelopes_are_rejected(note: str, vkey: str, mangle) -> None:
    with pytest.raises(CheckpointError):
        verify_checkpoint(mangle(note), vkey)


R = base64.b64encode(ROOT).decode()
NON_CANONICAL_R = R[:42] + "R" + R[43:]  # R[42] is "Q": same bytes, nonzero padding bits


@pytest.mark.parametrize(
    "body",
    [
        f"{ORIGIN}\n01234\n{R}\n",  # leading zero
        f"{ORIGIN}\n+1234\n{R}\n",
        f"{ORIGIN}\n-1\n{R}\n",
        f"{ORIGIN}\n\u0661\u0662\n{R}\n",  # non-ASCII digits
        f"{ORIGIN}\n 1234\n{R}\n",
        f"{ORIGIN}\n1234\n",  # only two lines
        f"\n1234\n{R}\n",  # empty origin
        f"{ORIGIN}\n1234\n{R}\n\nextension after a blank line\n",
        f"{ORIGIN}\n1234\nAAAA\n",  # root too short
        f"{ORIGIN}\n1234\n{base64.b64encode(bytes(33)).decode()}\n",
        f"{ORIGIN}\n1234\n{NON_CANONICAL_R}\n",
    ],
)
def test_malformed_bodies_are_rejected_even_when_signed(
    key: Ed25519PrivateKey, vkey: str, body: str
) -> None:
    assert base64.b64decode(NON_CANONICAL_R) == ROOT
    with pytest.raises(CheckpointError) as excinfo:
        verify_checkpoint(sign_note(body, key, ORIGIN), vkey)
    assert "signature" not in str(excinfo.value)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"origin": "", "size": 1, "root": ROOT},
        {"origin": "two\nlines", "size": 1, "root": ROOT},
        {"origin": ORIGIN, "size": -1, "root": ROOT},
        {"origin": ORIGIN, "size": True, "root": ROOT},
        {"origin": ORIGIN, "size": 1, "root": ROOT[:31]},
        {"origin": ORIGIN, "size": 1, "root": ROOT, "extensions": ("",)},
        {"origin": ORIGIN, "size": 1, "root": ROOT, "extensions": ("tab\there",)},
    ],
)
def test_invalid_checkpoints_cannot_be_built(kwargs: dict) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint(**kwargs)


@pytest.mark.parametrize(
    "name", ["", "has space", "has+plus", "nbsp\u00a0name", "bell\x07", "surrogate\udcff"]
)
def test_invalid_key_names_are_refused(key: Ed25519PrivateKey, name: str) -> None:
    with pytest.raises(CheckpointError):
        sign_checkpoint(Checkpoint(ORIGIN, 1, ROOT), key, name)


def test_vkey_parsing(vkey: str, key: Ed25519PrivateKey) -> None:
    parsed = parse_vkey(vkey)
    assert parsed.key_name == ORIGIN
    assert parsed.key_id == key_id(ORIGIN, key.public_key())
    assert parse_vkey(vkey.replace(parsed.key_id.hex(), parsed.key_id.hex().upper())) == parsed
    name, id_hex, material = vkey.split("+", 2)
    ed25519_material = base64.b64decode(material)
    bad_type = base64.b64encode(b"\x02" + ed25519_material[1:]).decode()
    for bad in [
        f"{name}+{'0' * 8}+{material}",  # key ID does not match
        f"other.example+{id_hex}+{material}",  # name does not match key ID
        f"{name}+{id_hex[:7]}+{material}",
        f"{name}+{id_hex}+{bad_type}",
        f"{name}+{id_hex}+{base64.b64encode(ed25519_material[:-1]).decode()}",
        f"{name}+{id_hex}",
        "",
    ]:
        with pytest.raises(CheckpointError):
            parse_vkey(bad)


@pytest.mark.parametrize("password", [None, b"correct horse"])
def test_private_key_pem_round_trip(password: bytes | None) -> None:
    key = generate_private_key()
    pem = private_key_to_pem(key, password=password)
    assert pem.startswith(b"-----BEGIN ")
    loaded = load_private_key_pem(pem, password=password)
    assert loaded.public_key().public_bytes_raw() == key.public_key().public_bytes_raw()


def test_loading_a_non_ed25519_pem_fails() -> None:
    from cryptography.hazmat.primitives import serialization

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    with pytest.raises(ValueError, match="Ed25519"):
        load_private_key_pem(pem)


def test_checkpoint_error_is_a_value_error() -> None:
    assert issubclass(CheckpointError, ValueError)
