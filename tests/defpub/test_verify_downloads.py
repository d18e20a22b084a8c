"""The offline verifier on documents downloaded from the running site."""

import os
import subprocess
import sys

import pytest
from django.core.cache import cache

from defpub.ledger.services import checkpoint_issue
from defpub.publications.documents import publication_pdf_make
from tests.conftest import REPO
from tests.factories import PublicationFactory

pytestmark = pytest.mark.django_db


def verify(tmp_path, document: bytes, name: str, checkpoint: str, vkey: str, *extra):
    (tmp_path / name).write_bytes(document)
    (tmp_path / "checkpoint.txt").write_text(checkpoint)
    (tmp_path / "key.txt").write_text(vkey)
    env = {"PATH": os.environ["PATH"]}  # no Django settings, no database, no broker
    return subprocess.run(
        [sys.executable, "-m", "defpub.verify", str(tmp_path / name),
         "--checkpoint", str(tmp_path / "checkpoint.txt"), "--pubkey", str(tmp_path / "key.txt"),
         *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )


@pytest.fixture
def published(org, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    publications = PublicationFactory.create_batch(3, organisation=org)
    checkpoint_issue()
    publication_pdf_make(publication_id=publications[1].pk)  # the worker's step
    return publications[1]


def test_downloaded_json_and_pdf_verify_in_a_fresh_process(client, published, tmp_path):
    checkpoint = client.get("/ledger/checkpoint").content.decode()
    vkey = client.get("/.well-known/defpub-ledger-key").content.decode()

    for suffix in ("json", "pdf"):
        document = client.get(f"/p/{published.number}.{suffix}").content
        result = verify(tmp_path, document, f"doc.{suffix}", checkpoint, vkey)
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.startswith(f"VERIFIED {published.number}: content digest "
                                        f"{published.digest[:8]}")


def test_a_later_checkpoint_verifies_with_the_served_proof(client, published, org, tmp_path):
    document = client.get(f"/p/{published.number}.json").content
    PublicationFactory(organisation=org)
    latest = checkpoint_issue()
    (tmp_path / "proof.json").write_bytes(
        client.get(f"/ledger/proof/{published.number}?size={latest.size}").content)

    result = verify(tmp_path, document, "doc.json", latest.note,
                    client.get("/.well-known/defpub-ledger-key").content.decode(),
                    "--proof", str(tmp_path / "proof.json"))

    assert result.returncode == 0, result.stdout + result.stderr


def test_a_record_altered_behind_the_triggers_fails_verification(
        client, published, tmp_path, owner_sql):
    checkpoint = client.get("/ledger/checkpoint").content.decode()
    vkey = client.get("/.well-known/defpub-ledger-key").content.decode()
    owner_sql(  # what a rogue superuser could do; the application's role cannot
        "SET session_replication_role = replica; "
        "UPDATE defpub_publication SET record = jsonb_set(record, "
        "'{abstract,en}', '\"Something else entirely.\"') WHERE id = %s", [published.pk])
    cache.clear()

    document = client.get(f"/p/{published.number}.json").content
    result = verify(tmp_path, document, "doc.json", checkpoint, vkey)

    assert result.returncode == 1
    assert result.stdout.startswith(f"FAILED {published.number}")
    assert "digest" in result.stdout.splitlines()[0]
