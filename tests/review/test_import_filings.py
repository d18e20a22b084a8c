"""import_filings and filings --json against the real office samples (tests/review/data)."""

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from review.models import Claim, Filing

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"


def concatenated(tmp_path, *names, middle: bytes | None = None) -> Path:
    parts = [(DATA / name).read_bytes() for name in names]
    if middle is not None:
        parts.insert(1, middle)
    path = tmp_path / "weekly.xml"
    path.write_bytes(b"".join(part if part.endswith(b"\n") else part + b"\n" for part in parts))
    return path


def filings_json(capsys, *numbers) -> dict:
    capsys.readouterr()
    call_command("filings", "--json", *numbers)
    return {item["number"]: item for item in json.loads(capsys.readouterr().out)}


def shape(filing: dict) -> tuple:
    claims = filing["claims"]
    return (
        len(claims),
        [c["number"] for c in claims if c["independent"]],
        {c["number"]: c["parents"] for c in claims if not c["independent"]},
    )


def test_a_weekly_uspto_file_of_two_documents(tmp_path, capsys):
    call_command(
        "import_filings", str(concatenated(tmp_path, "ipa20180000016.xml", "ipa20200022300.xml"))
    )
    assert "2 document(s): 2 imported" in capsys.readouterr().out
    filings = filings_json(capsys)
    first, second = filings["20180000016"], filings["20200022300"]
    assert shape(first) == (
        11,
        [1, 10, 11],
        {2: [1], 3: [2], 4: [2], 5: [2], 6: [2], 7: [1], 8: [1], 9: [1]},
    )
    assert [c["references"] for c in first["claims"] if c["number"] in (10, 11)] == [[1], [2]]
    assert (first["earliest_date"], first["earliest_reason"]) == (
        "2016-06-29",
        "priority JP 2016-128835 of 2016-06-29",
    )
    assert first["kind"] == "A1" and first["filing_date"] == "2017-06-27"
    assert first["publication_date"] == "2018-01-04"
    assert first["cpc"][0] == "A01G 7/045" and "H01L 33/50" in first["ipc"]
    claim1 = first["claims"][0]
    assert claim1["elements"][0] == "A light emitting device comprising:"
    assert len(claim1["elements"]) == 7 and claim1["text"].startswith("A light emitting device")
    assert shape(second) == (
        19,
        [1, 8, 15],
        {
            2: [1],
            3: [1],
            4: [3],
            5: [1],
            6: [1],
            7: [1],
            9: [8],
            10: [8],
            11: [10],
            12: [8],
            13: [8],
            14: [8],
            16: [15],
            17: [15],
            18: [15],
            19: [18],
        },
    )
    assert (second["earliest_date"], second["earliest_reason"]) == (
        "2018-07-19",
        "filing date 2018-07-19",
    )
    assert second["applicants"] == ["CNH Industrial Canada, Ltd."]


def test_the_epo_documents(tmp_path, capsys):
    call_command(
        "import_filings",
        str(concatenated(tmp_path, "ep-v1-5-A1.xml", "ep-v1-5-1-A1-1.xml")),
        "--format",
        "epo",
    )
    filings = filings_json(capsys)
    display, tractor = filings["3782854"], filings["4090146"]
    assert shape(display) == (
        12,
        [1, 11],
        {2: [1], 3: [2], 4: [3], 5: [4], 6: [4], 7: [6], 8: [1], 9: [1], 10: [1], 12: [11]},
    )
    assert display["claims"][10]["references"] == list(range(1, 11))
    assert (display["earliest_date"], display["earliest_reason"]) == (
        "2018-04-20",
        "priority CN 201810358967 of 2018-04-20",
    )
    assert display["title"]["en"] == "VEHICLE-MOUNTED DISPLAY ASSEMBLY AND VEHICLE"
    assert display["pct"] == {
        "number": "CN2018112487",
        "date": "2018-10-29",
        "publication": "WO2019200885",
    }
    assert display["claims"][0]["elements"][:2] == [
        "A vehicular display assembly, comprising:",
        "a storage box; and",
    ]
    assert shape(tractor) == (0, [], {})
    assert tractor["earliest_date"] == "2020-01-17"
    assert tractor["earliest_reason"] == "priority US 202062962762 P of 2020-01-17"
    assert "F16D 48/06" in tractor["cpc"]


def test_a_us_application_takes_its_provisional_date(tmp_path, capsys):
    call_command("import_filings", str(DATA / "us-benefit.xml"), "--format", "uspto")
    filings = filings_json(capsys)
    old, new = filings["20050123456"], filings["20160234567"]
    assert (old["earliest_date"], old["earliest_reason"]) == (
        "2003-11-14",
        "provisional US 60520111 of 2003-11-14",
    )
    assert old["ipc"] == ["A23F 3/16", "A23F 3/34"] and old["applicants"] == ["Mei Chen"]
    assert (
        "60° C." in old["claims"][0]["elements"][1] and "10 μm" in old["claims"][0]["elements"][2]
    )
    assert "angle θ" in old["claims"][3]["text"]
    assert shape(old) == (5, [1, 5], {2: [1], 3: [1, 2], 4: [1, 2, 3]})
    assert old["claims"][4]["references"] == [1]
    assert (new["earliest_date"], new["earliest_reason"]) == (
        "2013-05-02",
        "provisional US 61818000 of 2013-05-02",
    )
    assert {b["relation"] for b in new["benefit_claims"]} == {"continuation", "provisional"}
    assert shape(new) == (4, [1, 4], {2: [1], 3: [1, 2]})
    assert new["claims"][3]["references"] == [1]


def test_a_chinese_st36_application(capsys):
    call_command("import_filings", str(DATA / "cn-st36-A.xml"))
    filing = filings_json(capsys, "CN110123456A")["110123456"]
    assert shape(filing) == (6, [1, 6], {2: [1], 3: [1, 2], 4: [1, 2, 3], 5: [4]})
    assert filing["claims"][5]["references"] == [1, 2, 3, 4, 5]
    assert (filing["earliest_date"], filing["earliest_reason"]) == (
        "2018-06-23",
        "priority CN 201810654321.0 of 2018-06-23",
    )
    assert filing["title"] == {"zh": "一种低温提取茶多酚的方法及茶饮料"}
    assert filing["applicants"] == ["某某茶业科技有限公司"] and filing["ipc"] == [
        "A23F 3/16",
        "A23F 3/34",
    ]
    assert filing["claims"][0]["elements"][:2] == [
        "一种低温提取茶多酚的方法，",
        "其特征在于，包括以下步骤：",
    ]


def test_a_malformed_document_in_the_middle_is_reported_and_the_rest_load(tmp_path, capsys):
    broken = (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<us-patent-application>\n'
        b"<us-bibliographic-data-application>\n<oops></us-bibliographic-data-application>\n"
        b"</us-patent-application>\n"
    )
    path = concatenated(tmp_path, "ipa20180000016.xml", "ipa20200022300.xml", middle=broken)
    content = path.read_bytes()
    line = content[: content.index(b"<oops>")].count(b"\n") + 1
    start = content[: content.index(b"<?xml", 10)].count(b"\n") + 1
    with pytest.raises(CommandError, match="1 document"):
        call_command("import_filings", str(path))
    err = capsys.readouterr().err
    assert f"weekly.xml: document 2 (line {line}): malformed XML: mismatched tag" in err
    assert line == start + 3
    assert Filing.objects.count() == 2 and Claim.objects.count() == 30


def test_a_reimport_changes_nothing_and_a_new_kind_links_to_the_first(tmp_path, capsys):
    call_command("import_filings", str(DATA / "ep-v1-5-A1.xml"))
    before = list(Filing.objects.values_list("pk", "imported_at"))
    call_command("import_filings", str(DATA / "ep-v1-5-A1.xml"))
    assert "0 imported, 1 already present" in capsys.readouterr().out
    assert list(Filing.objects.values_list("pk", "imported_at")) == before
    b1 = (
        (DATA / "ep-v1-5-A1.xml")
        .read_text(encoding="utf-8")
        .replace("<B130>A1</B130>", "<B130>B1</B130>")
    )
    (tmp_path / "b1.xml").write_text(b1, encoding="utf-8")
    call_command("import_filings", str(tmp_path / "b1.xml"))
    a1, granted = Filing.objects.get(kind="A1"), Filing.objects.get(kind="B1")
    assert granted.first_version == a1 and a1.first_version is None


def test_jsonl_in_the_design_form(tmp_path, capsys):
    lines = [
        {
            "office": "US",
            "number": "20990000001",
            "kind": "A1",
            "title": {"en": "A cup"},
            "abstract": "A cup.",
            "claims": ["1. A cup comprising a handle.", "2. The cup of claim 1, red."],
            "priority_date": "2020-01-02",
            "filing_date": "2021-01-02",
        },
        "{not json",
        {"office": "CN", "number": "1", "title": "t", "claims": ["1. A.", "2. The A of claim 3."]},
        {"office": "US", "number": "x", "title": "t", "priority_date": "soon"},
    ]
    path = tmp_path / "f.jsonl"
    path.write_text(
        "\n".join(json.dumps(x) if isinstance(x, dict) else x for x in lines), encoding="utf-8"
    )
    with pytest.raises(CommandError):
        call_command("import_filings", str(path), "--screen")
    err = capsys.readouterr().err
    assert "f.jsonl: line 2: not JSON" in err and "f.jsonl: line 4: priority_date" in err
    assert "screened 2/2" in err  # the two new filings were screened
    assert "f.jsonl: line 3: claim 2 refers to claim 3, which does not exist" in err
    filing = filings_json(capsys)["20990000001"]
    assert shape(filing) == (2, [1], {2: [1]}) and filing["earliest_date"] == "2020-01-02"
    assert filing["earliest_reason"] == "priority of 2020-01-02"


def test_the_admin_shows_filings_read_only(admin_client):
    call_command("import_filings", str(DATA / "ep-v1-5-A1.xml"))
    filing = Filing.objects.get()
    assert admin_client.get("/admin/review/filing/").status_code == 200
    page = admin_client.get(f"/admin/review/filing/{filing.pk}/change/")
    assert page.status_code == 200 and "3782854" in page.content.decode()
    assert admin_client.get("/admin/review/filing/add/").status_code == 403
    assert (
        admin_client.post(f"/admin/review/filing/{filing.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Filing.objects.count() == 1
