"""The ledger as served: checkpoints, proofs, consistency, and tampering caught."""

import base64
import hashlib

import pytest
import rfc8785

from defpub.ledger import merkle
from defpub.ledger.checkpoint import verify_checkpoint
from defpub.ledger.services import checkpoint_issue
from defpub.models import LedgerCheckpoint, Publication
from defpub.tasks import ledger_checkpoint_task
from tests.factories import PublicationFactory

pytestmark = pytest.mark.django_db


def b64d(values):
    return [base64.b64decode(v) for v in values]


def test_checkpoints_proofs_and_consistency_verify_end_to_end(client, org):
    first_batch = PublicationFactory.create_batch(5, organisation=org)
    first = checkpoint_issue()
    PublicationFactory.create_batch(6, organisation=org)
    second = checkpoint_issue()
    vkey = client.get("/.well-known/defpub-ledger-key").content.decode().strip()

    note = client.get("/ledger/checkpoint").content.decode()
    head = verify_checkpoint(note, vkey)
    assert head.size == second.size == first.size + 6
    old_note = client.get(f"/ledger/checkpoint?size={first.size}").content.decode()
    old_head = verify_checkpoint(old_note, vkey)

    target = first_batch[2]
    proof = client.get(f"/ledger/proof/{target.number}").json()
    leaf = merkle.leaf_hash(rfc8785.dumps(target.record))
    assert proof["leaf_hash"] == base64.b64encode(leaf).decode()
    assert merkle.verify_inclusion(leaf, target.leaf_index, head.size,
                                   b64d(proof["inclusion_proof"]), head.root)

    link = client.get(f"/ledger/consistency?first={first.size}&second={second.size}").json()
    assert merkle.verify_consistency(first.size, second.size, b64d(link["proof"]),
                                     old_head.root, head.root)


def test_publication_json_carries_a_proof_that_never_changes(client, org):
    [publication] = PublicationFactory.create_batch(1, organisation=org)
    ledger_checkpoint_task()  # what beat (and the task queued after publishing) runs
    document = client.get(f"/p/{publication.number}.json").json()
    PublicationFactory.create_batch(3, organisation=org)
    checkpoint_issue()

    again = client.get(f"/p/{publication.number}.json").json()
    assert again == document  # cites its first checkpoint, not the moving head
    ledger = document["ledger"]
    assert ledger["tree_size"] == publication.leaf_index + 1
    page = client.get(f"/p/{publication.number}").content.decode()
    assert f"Verified in ledger at checkpoint {ledger['tree_size']}" in page


def test_a_get_never_signs_a_checkpoint_the_page_says_pending(client, org):
    [publication] = PublicationFactory.create_batch(1, organisation=org)

    document = client.get(f"/p/{publication.number}.json").json()
    page = client.get(f"/p/{publication.number}").content.decode()
    chinese = client.get(f"/p/{publication.number}", HTTP_ACCEPT_LANGUAGE="zh-hans")
    proof = client.get(f"/ledger/proof/{publication.number}")
    api = client.get("/ledger/checkpoint")

    assert not LedgerCheckpoint.objects.exists()  # no GET wrote
    assert document["ledger"]["checkpoint"] is None
    assert document["ledger"]["inclusion_proof"] is None
    assert "awaiting the next signed checkpoint" in page
    assert "等待下一个已签名检查点" in chinese.content.decode()
    assert proof.status_code == 404 and "Pending" in proof.json()["detail"]
    assert api.status_code == 404
    ledger_checkpoint_task()  # beat signs it
    signed = client.get(f"/p/{publication.number}").content.decode()
    assert "Verified in ledger at checkpoint 1" in signed
    assert client.get(f"/ledger/proof/{publication.number}").status_code == 200


def test_a_row_forced_past_the_triggers_is_caught(client, org, django_user_model, owner_sql):
    [publication] = PublicationFactory.create_batch(1, organisation=org)
    checkpoint_issue()
    owner_sql(  # a superuser bypasses triggers this way; the application's role cannot
        "SET session_replication_role = replica; "
        "UPDATE defpub_publication SET record = jsonb_set(record, '{title,en}', "
        "'\"A different invention\"') WHERE id = %s", [publication.pk])

    tampered = Publication.objects.get(pk=publication.pk)
    assert tampered.record["title"]["en"] == "A different invention"
    recomputed = hashlib.sha256(rfc8785.dumps(tampered.record)).hexdigest()
    assert recomputed != tampered.digest
    page = client.get(f"/p/{publication.number}").content.decode()
    assert "does NOT match leaf" in page and "Verified in ledger" not in page


def test_bad_ledger_queries_are_problem_json_not_500(client, org):
    assert client.get("/ledger/checkpoint").status_code == 404
    PublicationFactory.create_batch(2, organisation=org)
    checkpoint_issue()
    for url in ("/ledger/consistency", "/ledger/consistency?first=x",
                "/ledger/consistency?first=5&second=1", "/ledger/proof/DP-1999-000001",
                "/ledger/checkpoint?size=999", "/ledger/consistency?first=1&second=999"):
        response = client.get(url)
        assert 400 <= response.status_code < 500, url
        assert response["Content-Type"] == "application/problem+json", url
        assert response.json()["status"] == response.status_code


def test_checkpoints_carry_an_rfc3161_token_from_the_configured_tsa(client, org, settings,
                                                                    tmp_path):
    import shutil

    from defpub.ledger.timestamps import verify_timestamp
    from tests.ledger.tsa import local_tsa

    if shutil.which("openssl") is None:
        pytest.skip("the local TSA needs the openssl command-line tool")
    with local_tsa(tmp_path) as tsa:
        roots = tmp_path / "roots.pem"
        roots.write_bytes(tsa.ca_cert_pem)
        settings.DEFPUB_TSA_URL, settings.DEFPUB_TSA_ROOTS = tsa.url, str(roots)
        PublicationFactory.create_batch(1, organisation=org)
        checkpoint = checkpoint_issue()

    served = client.get(f"/ledger/checkpoint?size={checkpoint.size}&format=json").json()
    token = base64.b64decode(served["timestamp_token"])
    when = verify_timestamp(token, served["note"].encode(), roots_pem=[tsa.ca_cert_pem])
    assert abs((when - checkpoint.created_at).total_seconds()) < 60


def test_a_tsa_outage_does_not_stop_checkpoints(org, settings):
    settings.DEFPUB_TSA_URL = "http://127.0.0.1:9/"  # discard port: nothing answers
    PublicationFactory.create_batch(1, organisation=org)
    checkpoint = checkpoint_issue()
    assert checkpoint is not None and checkpoint.timestamp_token is None


def test_the_note_and_the_key_are_text_and_json_is_there_for_the_asking(client, org):
    PublicationFactory.create_batch(1, organisation=org)
    checkpoint = checkpoint_issue()

    note = client.get("/ledger/checkpoint")
    asked_text = client.get("/.well-known/defpub-ledger-key", HTTP_ACCEPT="text/plain")
    asked_json = client.get("/ledger/checkpoint", HTTP_ACCEPT="application/json")
    by_format = client.get("/ledger/checkpoint?format=json")
    refused = client.get("/.well-known/defpub-ledger-key", HTTP_ACCEPT="application/xml")

    assert note["Content-Type"] == "text/plain; charset=utf-8"
    assert note.content.decode() == checkpoint.note
    assert asked_text.status_code == 200  # was a 406: only JSON could be negotiated
    assert asked_text["Content-Type"] == "text/plain; charset=utf-8"
    assert asked_json.json()["size"] == by_format.json()["size"] == checkpoint.size
    assert refused.status_code == 406 and refused["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("query", ["size=0", "size=" + "9" * 5000, "size=1&size=1", "size=+1",
                                   "size=١"])
def test_a_malformed_tree_size_is_a_400_problem(client, org, query):
    PublicationFactory.create_batch(1, organisation=org)
    checkpoint_issue()

    response = client.get(f"/ledger/checkpoint?{query}")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "size" in response.json()["errors"]


def test_proofs_that_cannot_exist_are_404_problems(client, org):
    first_batch = PublicationFactory.create_batch(2, organisation=org)
    checkpoint_issue()
    later = PublicationFactory.create_batch(1, organisation=org)[0]
    checkpoint_issue()

    backwards = client.get("/ledger/consistency?first=3&second=2")
    predates = client.get(f"/ledger/proof/{later.number}?size=2")
    lowercase = client.get(f"/ledger/proof/{first_batch[0].number.lower()}?size=2")

    assert backwards.status_code == 404 and "first must not exceed" in backwards.json()["detail"]
    assert predates.status_code == 404 and "predates" in predates.json()["detail"]
    assert predates["Content-Type"] == "application/problem+json"
    assert lowercase.status_code == 200
