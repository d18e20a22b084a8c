import json

import pytest
from django.core.management import CommandError, call_command

from defpub.filing.models import Status
from defpub.models import AuditEvent, Disclosure, Organisation, Publication

pytestmark = pytest.mark.django_db

GOOD = [
    {"external_id": "tkdl-001", "title": {"zh": "姜黄膏治疗烫伤", "en": "Turmeric paste for burns"},
     "abstract": {"zh": "将姜黄粉与蜂蜜混合外敷。"}, "ipc": ["A61K 36/9066"],
     "keywords": ["turmeric"], "source": "Bhavaprakasha", "source_date": "1600-01-01"},
    {"external_id": "tkdl-002", "title": {"en": "Neem leaf insect repellent"},
     "abstract": {"en": "Dried neem leaves stored with grain repel weevils."}},
    {"external_id": "tkdl-004", "title": {"en": "Ginger tea"}, "abstract": {"en": "Tea."},
     "description": {"en": "Boil **fresh** ginger."}, "features": ["ginger", "water"]},
]


def write_jsonl(path, lines):
    path.write_text("\n".join(json.dumps(x, ensure_ascii=False) if isinstance(x, dict) else x
                              for x in lines) + "\n", encoding="utf-8")
    return path


def run_import(path, *args):
    return call_command("import_disclosures", str(path), "--no-progress", *args)


def test_a_bad_line_is_named_and_the_good_lines_still_load(tmp_path, capsys):
    bad_ipc = {"external_id": "tkdl-003", "title": {"en": "x"}, "abstract": {"en": "y"},
               "ipc": ["not-a-code"]}
    path = write_jsonl(tmp_path / "tkdl.jsonl",
                       [GOOD[0], GOOD[1], "{broken json", bad_ipc, {"title": {}}, GOOD[2]])

    with pytest.raises(CommandError, match="3 line"):
        run_import(path, "--org", "tkdl", "--create-org", "--publish")

    err = capsys.readouterr().err
    assert f"{path}:3: not valid JSON" in err
    assert f"{path}:4: “not-a-code” is not an IPC/CPC symbol" in err
    assert f"{path}:5: unknown" not in err and f"{path}:5: external_id is required" in err
    organisation = Organisation.objects.get(slug="tkdl")
    published = Publication.objects.filter(organisation=organisation).order_by("leaf_index")
    assert [p.record["external_id"] for p in published] == ["tkdl-001", "tkdl-002", "tkdl-004"]
    first = published[0].record
    assert first["title"] == {"zh": "姜黄膏治疗烫伤", "en": "Turmeric paste for burns"}
    assert first["source_date"] == "1600-01-01" and first["ipc"] == ["A61K 36/9066"]
    numbers = [int(p.number[-6:]) for p in published]
    assert numbers == list(range(numbers[0], numbers[0] + 3))


def test_importing_the_same_file_again_changes_nothing(tmp_path, capsys):
    path = write_jsonl(tmp_path / "tkdl.jsonl", GOOD)
    run_import(path, "--org", "tkdl", "--create-org", "--publish")
    snapshot = (list(Disclosure.objects.values()), list(Publication.objects.values()),
                AuditEvent.objects.count())

    run_import(path, "--org", "tkdl")

    assert "0 imported (0 published), 3 already present, 0 bad line(s)" in capsys.readouterr().out
    assert (list(Disclosure.objects.values()), list(Publication.objects.values()),
            AuditEvent.objects.count()) == snapshot


def test_without_publish_records_arrive_as_drafts(tmp_path):
    Organisation.objects.create(slug="acme", name="Acme")
    run_import(write_jsonl(tmp_path / "a.jsonl", GOOD[:2]), "--org", "acme")

    assert set(Disclosure.objects.values_list("status", flat=True)) == {Status.DRAFT}
    assert not Publication.objects.exists()


def test_unknown_organisation_and_missing_file_are_clear_errors(tmp_path):
    with pytest.raises(CommandError, match="no organisation 'ghost'; pass --create-org"):
        run_import(write_jsonl(tmp_path / "a.jsonl", GOOD[:1]), "--org", "ghost")
    with pytest.raises(CommandError, match="no such file"):
        run_import(tmp_path / "missing.jsonl", "--org", "ghost")


def test_a_repeated_external_id_in_one_file_is_reported(tmp_path, capsys):
    path = write_jsonl(tmp_path / "a.jsonl", [GOOD[1], GOOD[1]])
    with pytest.raises(CommandError):
        run_import(path, "--org", "acme", "--create-org")
    assert f"{path}:2: external_id 'tkdl-002' repeats an earlier line" in capsys.readouterr().err
    assert Disclosure.objects.count() == 1


def test_create_org_audits_the_organisation_and_says_it_has_no_owner(tmp_path, capsys):
    path = write_jsonl(tmp_path / "tkdl.jsonl", GOOD[:1])
    run_import(path, "--org", "tkdl", "--create-org")

    organisation = Organisation.objects.get(slug="tkdl")
    event = AuditEvent.objects.get(action="organisation.create", organisation=organisation)
    assert event.data == {"via": "import_disclosures", "owner": None} and event.actor is None
    assert not organisation.memberships.exists()
    assert "with NO owner" in capsys.readouterr().err


def test_create_org_with_an_owner(tmp_path, capsys, django_user_model):
    owner = django_user_model.objects.create_user(username="ravi", email="ravi@example.org")
    path = write_jsonl(tmp_path / "tkdl.jsonl", GOOD[:1])
    with pytest.raises(CommandError, match="no user 'nobody'"):
        run_import(path, "--org", "tkdl", "--create-org", "--owner", "nobody")
    assert not Organisation.objects.filter(slug="tkdl").exists()

    run_import(path, "--org", "tkdl", "--create-org", "--owner", "ravi")

    organisation = Organisation.objects.get(slug="tkdl")
    assert organisation.memberships.get().user == owner
    assert organisation.memberships.get().role == "owner"
    event = AuditEvent.objects.get(action="organisation.create", organisation=organisation)
    assert event.actor == owner and event.data["owner"] == "ravi"
    assert "owned by ravi" in capsys.readouterr().out
