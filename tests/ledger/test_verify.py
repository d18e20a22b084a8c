"""The offline verifier, run as an examiner would: a fresh process, three files, no Django.

The inputs are real: 50 canonical records in an RFC 9162 tree, an Ed25519 log key,
signed checkpoints, publication JSON in the /p/<number>.json format and a rendered PDF.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import rfc8785

from defpub.ledger import merkle
from defpub.ledger.checkpoint import (
    Checkpoint,
    generate_private_key,
    make_vkey,
    sign_checkpoint,
)
from defpub.publications.pdf import render_publication_pdf
from defpub.verify import Report, UnreadableInputError, verify_document

REPO = Path(__file__).resolve().parents[2]
# Everything the verifier needs; docs/verify.md promises this list.
VERIFIER_FILES = [
    "defpub/__init__.py",
    "defpub/verify.py",
    "defpub/ledger/__init__.py",
    "defpub/ledger/merkle.py",
    "defpub/ledger/checkpoint.py",
    "defpub/ledger/verifier.py",
    "defpub/ledger/verifier_inputs.py",
]
ORIGIN = "defpub.example.org/ledger"
LEAVES = 50
LEAF = 41  # DP-2026-000042
OLD, NEW = 45, 50  # the document's own checkpoint, and "today's"
NUMBER = "DP-2026-000042"


def make_record(index: int) -> dict:
    number = f"DP-2026-{index + 1:06d}"
    return {
        "format": "defpub-record/1",
        "number": number,
        "published_at": f"2026-11-{1 + index // 2:02d}T23:30:{index:02d}Z",
        "organisation": {"slug": "acme-robotics", "name": "Acme Robotics Ltd"},
        "title": {
            "en": f"Torque-limited gripper, variant {index}",
            "zh": f"带磁流变离合器的限扭夹持器 {index}",
        },
        "abstract": {"en": "A gripper whose clutch limits the torque. " * 3},
        "description": {"en": "## Construction\n\nA rotor, a stator coil and MR fluid."},
        "technical_field": "Robotics; end effectors",
        "ipc": ["B25J 15/00"],
        "keywords": ["gripper", "clutch"],
        "inventors": ["Ada Example", "王小明"],
        "features": ["a magnetorheological clutch on the drive shaft"],
        "attachments": [],
        "corrects": None,
    }


class Log:
    """A real log of canonical records, signed by a real key."""

    def __init__(self) -> None:
        self.records = [make_record(i) for i in range(LEAVES)]
        self.store = merkle.MemoryNodeStore()
        for size, record in enumerate(self.records):
            merkle.append(self.store, size, merkle.leaf_hash(rfc8785.dumps(record)))
        self.key = generate_private_key()
        self.vkey = make_vkey(ORIGIN, self.key.public_key())

    def checkpoint(self, size: int, *, key=None, root: bytes | None = None) -> str:
        body = Checkpoint(origin=ORIGIN, size=size, root=root or merkle.root(self.store, size))
        return sign_checkpoint(body, key or self.key, ORIGIN)

    def proof(self, index: int, size: int) -> list[str]:
        return [b64(node) for node in merkle.inclusion_proof(self.store, index, size)]

    def ledger(self, index: int, size: int | None) -> dict:
        return {
            "origin": ORIGIN,
            "leaf_index": index,
            "leaf_hash": b64(merkle.leaf_hash(rfc8785.dumps(self.records[index]))),
            "checkpoint": self.checkpoint(size) if size else None,
            "tree_size": size,
            "inclusion_proof": self.proof(index, size) if size else None,
        }

    def document(self, index: int = LEAF, size: int | None = OLD) -> dict:
        """A fresh copy each time: tests tamper with it."""
        record = copy.deepcopy(self.records[index])
        return {
            "number": record["number"],
            "url": f"https://defpub.example.org/p/{record['number']}",
            "published_at": record["published_at"],
            "digest": {
                "algorithm": "sha256",
                "canonicalization": "RFC 8785",
                "value": hashlib.sha256(rfc8785.dumps(record)).hexdigest(),
            },
            "record": record,
            "ledger": self.ledger(index, size),
        }

    def proof_file(self, index: int, size: int) -> dict:
        """What /ledger/proof/<number>?size=N serves."""
        ledger = self.ledger(index, size)
        return {"number": self.records[index]["number"], **ledger}

    def consistency_file(self, first: int, second: int) -> dict:
        proof = merkle.consistency_proof(self.store, first, second)
        return {"first": first, "second": second, "proof": [b64(node) for node in proof]}


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def flip(encoded: str) -> str:
    raw = bytearray(base64.b64decode(encoded))
    raw[7] ^= 0x01
    return b64(bytes(raw))


def digest_of(record: dict) -> str:
    return hashlib.sha256(rfc8785.dumps(record)).hexdigest()


@pytest.fixture(scope="module")
def log() -> Log:
    return Log()


@pytest.fixture(scope="module")
def bare(tmp_path_factory) -> Path:
    """Only the verifier's files, so a run proves it needs nothing else of the project."""
    folder = tmp_path_factory.mktemp("bare")
    for name in VERIFIER_FILES:
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / name, folder / name)
    return folder


@pytest.fixture
def files(tmp_path, log):
    """Writes inputs to disk; returns a function name -> path."""

    def write(name: str, content) -> str:
        path = tmp_path / name
        if isinstance(content, dict):
            content = json.dumps(content, ensure_ascii=False, indent=1)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        return str(path)

    write("key.pub", log.vkey + "\n")
    write(f"checkpoint-{OLD}.txt", log.checkpoint(OLD))
    write(f"checkpoint-{NEW}.txt", log.checkpoint(NEW))
    return write


def run_verify(bare: Path, *args: str) -> subprocess.CompletedProcess:
    """A fresh interpreter, in a folder holding only the verifier, without Django settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "REDIS_URL", "PYTHONPATH")
    }
    return subprocess.run(
        [sys.executable, "-m", "defpub.verify", *args],
        cwd=bare,
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
    )


def verified_line(log: Log, size: int) -> str:
    record = log.records[LEAF]
    return (
        f"VERIFIED {NUMBER}: content digest {digest_of(record)[:8]}… matches; leaf {LEAF} "
        f"is in checkpoint {size} signed by {ORIGIN}; published {record['published_at']}"
    )


def test_good_json_verifies_in_a_fresh_process_without_django(bare, files, log):
    document = files("publication.json", log.document())
    common = (document, "--checkpoint", files(f"checkpoint-{OLD}.txt", log.checkpoint(OLD)))
    result = run_verify(bare, *common, "--pubkey", files("key.pub", log.vkey), "-v")
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == verified_line(log, OLD)
    assert all(line.startswith(("✓", "–")) for line in lines[1:])
    assert any(line.startswith("✓ inclusion: leaf 41 is in checkpoint 45") for line in lines)
    assert result.stderr == ""


def test_verifier_imports_nothing_of_django_celery_or_the_database(bare):
    probe = (
        "import sys, defpub.verify as v;"
        "print(v.__file__);"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'django', 'celery', 'psycopg',"
        " 'psycopg2', 'redis', 'valkey', 'weasyprint'}))"
    )
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=bare, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    where, imported = result.stdout.splitlines()
    assert Path(where).is_relative_to(bare)
    assert imported == "[]"


@pytest.fixture(scope="module")
def pdf(log) -> bytes:
    record = log.records[LEAF]
    return render_publication_pdf(
        publication={
            "number": NUMBER,
            "published_at": record["published_at"],
            "digest": digest_of(record),
            "url": f"https://defpub.example.org/p/{NUMBER}",
            "organisation": "Acme Robotics Ltd",
            "corrects": None,
            "ledger": log.ledger(LEAF, OLD),
        },
        record=record,
        canonical_json=rfc8785.dumps(record),
        figures=[],
    )


def test_good_pdf_verifies_from_its_embedded_files(bare, files, log, pdf):
    # A misleading name: the kind is taken from the content.
    document = files("publication.json", pdf)
    result = run_verify(
        bare, document, "--checkpoint", files("cp.txt", log.checkpoint(OLD)),
        "--pubkey", files("key.pub", log.vkey),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    digest = digest_of(log.records[LEAF])
    assert result.stdout == (
        f"VERIFIED {NUMBER}: content digest {digest[:8]}… recomputed from the PDF's embedded "
        f"record; leaf {LEAF} is in checkpoint {OLD} signed by {ORIGIN}; "
        f"published {log.records[LEAF]['published_at']}\n"
    )


def test_pdf_with_a_non_canonical_record_fails(bare, files, log):
    record = log.records[LEAF]
    loose = json.dumps(record, ensure_ascii=False, indent=2).encode()
    pdf = render_publication_pdf(
        publication={
            "number": NUMBER,
            "published_at": record["published_at"],
            "digest": hashlib.sha256(loose).hexdigest(),
            "url": f"https://defpub.example.org/p/{NUMBER}",
            "organisation": "Acme Robotics Ltd",
            "corrects": None,
            "ledger": None,  # as a PDF made before any checkpoint: --proof supplies it
        },
        record=record,
        canonical_json=loose,
        figures=[],
    )
    result = run_verify(
        bare, files("p.pdf", pdf), "--checkpoint", files("cp.txt", log.checkpoint(NEW)),
        "--pubkey", files("key.pub", log.vkey),
        "--proof", files("proof.json", log.proof_file(LEAF, NEW)),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout.startswith(f"FAILED {NUMBER}: the embedded {NUMBER}.json is not in")
    assert "RFC 8785 canonical form" in result.stdout


def tamper_record(document: dict) -> None:
    document["record"]["title"]["en"] = "Torque-limited gripper, improved"


def tamper_digest(document: dict) -> None:
    document["digest"]["value"] = "0" * 64


def tamper_proof(document: dict) -> None:
    proof = document["ledger"]["inclusion_proof"]
    proof[2] = flip(proof[2])


def tamper_index(document: dict) -> None:
    document["ledger"]["leaf_index"] = LEAF - 1


def tamper_rehashed(document: dict) -> None:
    """The forger's best move: change the record and restate every hash to match."""
    record = document["record"]
    record["features"].append("a second clutch")
    document["digest"]["value"] = digest_of(record)
    document["ledger"]["leaf_hash"] = b64(merkle.leaf_hash(rfc8785.dumps(record)))


def tamper_date(document: dict) -> None:
    document["published_at"] = "2025-01-01T00:00:00Z"  # outside the hashed record


@pytest.mark.parametrize(
    ("tamper", "failure", "still_holds"),
    [
        (tamper_record, "content digest does not match", "checkpoint 45 is signed"),
        (tamper_digest, "content digest does not match", "leaf 41 is in checkpoint 45"),
        (tamper_proof, "the document's proof does not put leaf 41 in checkpoint 45", "content"),
        (tamper_index, "the document's proof does not put leaf 40 in checkpoint 45", "content"),
        (tamper_rehashed, "the document's proof does not put leaf 41 in", "leaf hash matches"),
        (tamper_date, "the document says published_at '2025-01-01T00:00:00Z'", "leaf 41 is in"),
    ],
    ids=["record-field", "digest", "proof-byte", "leaf-index", "rehashed-record", "outer-date"],
)
def test_tampered_document_fails_and_says_what(bare, files, log, tamper, failure, still_holds):
    document = log.document()
    tamper(document)
    result = run_verify(
        bare, files("p.json", document), "--checkpoint", files("cp.txt", log.checkpoint(OLD)),
        "--pubkey", files("key.pub", log.vkey), "-v",
    )  # fmt: skip
    summary = result.stdout.splitlines()[0]
    assert result.returncode == 1, result.stdout + result.stderr
    assert summary.startswith(f"FAILED DP-2026-0000{LEAF + 1}: ")
    assert failure in summary
    assert still_holds in summary.partition("; holds: ")[2]
    assert any(line.startswith("✗") for line in result.stdout.splitlines()[1:])
    assert "Traceback" not in result.stderr


def test_changed_record_also_breaks_leaf_hash_and_inclusion(log):
    document = log.document()
    tamper_record(document)
    report = verify_document(json.dumps(document).encode(), log.checkpoint(OLD), log.vkey)
    failed = {check.name for check in report.checks if check.passed is False}
    assert failed == {"content digest", "leaf hash", "inclusion"}
    assert not report.verified


def test_checkpoint_signed_by_another_key_fails(bare, files, log):
    impostor = log.checkpoint(OLD, key=generate_private_key())  # same name, other key
    result = run_verify(
        bare, files("p.json", log.document()), "--checkpoint", files("cp.txt", impostor),
        "--pubkey", files("key.pub", log.vkey),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout.startswith(
        f"FAILED {NUMBER}: the checkpoint is not trusted: note carries no signature from {ORIGIN}"
    )


def test_checkpoint_with_an_edited_root_fails_its_signature(bare, files, log):
    note = log.checkpoint(OLD)
    lines = note.split("\n")
    lines[2] = b64(merkle.root(log.store, OLD - 1))  # a real root, of another tree
    result = run_verify(
        bare, files("p.json", log.document()), "--checkpoint", files("cp.txt", "\n".join(lines)),
        "--pubkey", files("key.pub", log.vkey),
    )  # fmt: skip
    assert result.returncode == 1
    assert result.stdout.startswith(
        f"FAILED {NUMBER}: the checkpoint is not trusted: bad signature from {ORIGIN}"
    )


def test_newer_checkpoint_verifies_with_proof(bare, files, log):
    result = run_verify(
        bare, files("p.json", log.document()),
        "--checkpoint", files("cp.txt", log.checkpoint(NEW)),
        "--pubkey", files("key.pub", log.vkey),
        "--proof", files("proof.json", log.proof_file(LEAF, NEW)), "-v",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == verified_line(log, NEW)
    assert "✓ inclusion: leaf 41 is in checkpoint 50 by the --proof" in result.stdout


def test_newer_checkpoint_verifies_with_consistency(bare, files, log):
    result = run_verify(
        bare, files("p.json", log.document()),
        "--checkpoint", files("cp.txt", log.checkpoint(NEW)),
        "--pubkey", files("key.pub", log.vkey),
        "--consistency", files("c.json", log.consistency_file(OLD, NEW)), "-v",
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[0] == verified_line(log, NEW)
    assert "✓ consistency: checkpoint 50 extends checkpoint 45" in result.stdout


def test_bad_consistency_proof_fails(bare, files, log):
    consistency = log.consistency_file(OLD, NEW)
    consistency["proof"][0] = flip(consistency["proof"][0])
    result = run_verify(
        bare, files("p.json", log.document()),
        "--checkpoint", files("cp.txt", log.checkpoint(NEW)),
        "--pubkey", files("key.pub", log.vkey),
        "--consistency", files("c.json", consistency),
    )  # fmt: skip
    assert result.returncode == 1
    assert "the --consistency does not hold: it does not show that checkpoint 50 extends 45" in (
        result.stdout
    )


def test_consistency_between_other_sizes_fails(log):
    report = verify_document(
        json.dumps(log.document()).encode(),
        log.checkpoint(NEW),
        log.vkey,
        consistency=log.consistency_file(OLD - 1, NEW),
    )
    assert not report.verified
    assert "it starts at size 44, the document's checkpoint is 45" in report.summary()


def test_newer_checkpoint_alone_fails_with_where_to_get_the_proof(bare, files, log):
    result = run_verify(
        bare, files("p.json", log.document()),
        "--checkpoint", files("cp.txt", log.checkpoint(NEW)),
        "--pubkey", files("key.pub", log.vkey),
    )  # fmt: skip
    assert result.returncode == 1
    assert f"pass --proof from /ledger/proof/{NUMBER}?size=50" in result.stdout
    assert "/ledger/consistency?first=45&second=50" in result.stdout


def test_proof_for_another_size_or_leaf_fails(log):
    proof = log.proof_file(LEAF - 1, NEW)
    report = verify_document(
        json.dumps(log.document()).encode(), log.checkpoint(NEW), log.vkey, proof=proof
    )
    assert not report.verified
    assert "the --proof does not hold: it is for 'DP-2026-000041'" in report.summary()


def test_document_without_a_checkpoint_yet_verifies_with_a_later_proof(log):
    document = log.document(size=None)
    report = verify_document(
        json.dumps(document).encode(),
        log.checkpoint(NEW).encode(),
        log.vkey,
        proof=json.dumps(log.proof_file(LEAF, NEW)).encode(),
    )
    assert report.verified, report.summary()
    assert [check.passed for check in report.checks if check.name == "document checkpoint"] == [
        None
    ]


def test_forged_embedded_checkpoint_is_caught_even_when_the_given_one_holds(log):
    """A log that signs two different trees of one size has forked; the verifier says so."""
    document = log.document(size=OLD)
    forked_root = hashlib.sha256(b"another history").digest()
    document["ledger"]["checkpoint"] = log.checkpoint(OLD, root=forked_root)
    report = verify_document(json.dumps(document).encode(), log.checkpoint(OLD), log.vkey)
    assert not report.verified
    assert "the log forked" in report.summary()


def test_embedded_checkpoint_by_another_key_fails(log):
    document = log.document(size=OLD)
    document["ledger"]["checkpoint"] = log.checkpoint(OLD, key=generate_private_key())
    report = verify_document(json.dumps(document).encode(), log.checkpoint(OLD), log.vkey)
    assert not report.verified
    assert "document checkpoint" in {c.name for c in report.checks if c.passed is False}


def test_checkpoint_copied_with_crlf_and_no_final_newline_still_verifies(log):
    copied = log.checkpoint(OLD).rstrip("\n").replace("\n", "\r\n")
    report = verify_document(
        json.dumps(log.document()).encode(), copied.encode(), "\ufeff" + log.vkey + "\r\n"
    )
    assert isinstance(report, Report)
    assert report.verified, report.summary()


def test_duplicate_keys_are_refused(log):
    text = json.dumps(log.document())
    duplicated = text.replace('"record": {', '"record": {"number": "DP-2026-999999", ', 1)
    with pytest.raises(UnreadableInputError, match="duplicate key 'number'"):
        verify_document(duplicated.encode(), log.checkpoint(OLD), log.vkey)


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("missing", "document '{missing}': cannot read it: No such file or directory"),
        ("text", "neither a publication's JSON nor its PDF"),
        ("broken-json", "not valid JSON"),
        ("bad-key", "pubkey '{key}': not a note verifier key"),
        ("bad-checkpoint", "checkpoint '{checkpoint}': not a signed checkpoint"),
    ],
)
def test_unreadable_input_exits_2_naming_the_file(bare, files, log, tmp_path, case, message):
    document = files("p.json", log.document())
    checkpoint = files("cp.txt", log.checkpoint(OLD))
    key = files("key.pub", log.vkey)
    if case == "missing":
        document = str(tmp_path / "nowhere.json")
    elif case == "text":
        document = files("p.json", "Published on 24 November 2026.\n")
    elif case == "broken-json":
        document = files("p.json", json.dumps(log.document())[:-10])
    elif case == "bad-key":
        key = files("key.pub", "-----BEGIN PUBLIC KEY-----\n")
    elif case == "bad-checkpoint":
        checkpoint = files("cp.txt", "defpub.example.org/ledger\n45\n")
    result = run_verify(bare, document, "--checkpoint", checkpoint, "--pubkey", key)
    assert result.returncode == 2
    assert result.stdout == ""
    assert message.format(missing=document, key=key, checkpoint=checkpoint) in result.stderr
    assert "Traceback" not in result.stderr


def test_usage_error_exits_2_with_usage(bare):
    result = run_verify(bare, "p.json")
    assert result.returncode == 2
    assert result.stderr.startswith("usage: python -m defpub.verify PUBLICATION.json|.pdf")
    assert "--checkpoint" in result.stderr and "Traceback" not in result.stderr


def test_key_string_may_be_given_instead_of_a_key_file(bare, files, log):
    result = run_verify(
        bare, files("p.json", log.document()), "--checkpoint", files("cp.txt", log.checkpoint(OLD)),
        "--pubkey", log.vkey,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [verified_line(log, OLD)]
