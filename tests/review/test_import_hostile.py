"""Hostile files get a clear error, never a crash, and never fetch anything."""

import http.server
import threading
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from review.models import Filing

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
GOOD = (DATA / "ipa20200022300.xml").read_bytes() + b"\n"


def test_an_empty_file(tmp_path):
    (tmp_path / "empty.xml").write_bytes(b"")
    with pytest.raises(CommandError, match="the file is empty"):
        call_command("import_filings", str(tmp_path / "empty.xml"))
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_filings", str(tmp_path / "missing.xml"))


def test_binary_junk(tmp_path, capsys):
    junk = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 50
    (tmp_path / "junk.bin").write_bytes(junk)
    with pytest.raises(CommandError, match="neither JSON lines nor XML"):
        call_command("import_filings", str(tmp_path / "junk.bin"))
    (tmp_path / "junk.xml").write_bytes(
        GOOD + b'<?xml version="1.0"?>\n<a>\x00\xff\xfe</a>\n' + junk
    )
    with pytest.raises(CommandError, match="1 document"):
        call_command("import_filings", str(tmp_path / "junk.xml"))
    assert "document 2 (line" in capsys.readouterr().err
    assert Filing.objects.count() == 1


def test_billion_laughs_and_external_entities_are_refused(tmp_path, capsys):
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
        + b"".join(
            b' <!ENTITY lol%d "%s">\n' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10)
            for i in range(1, 10)
        )
        + b"]>\n<us-patent-application>&lol9;</us-patent-application>\n"
    )
    external = (
        b'<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        b"<us-patent-application>&xxe;</us-patent-application>\n"
    )
    (tmp_path / "evil.xml").write_bytes(laughs + GOOD + external)
    with pytest.raises(CommandError, match="2 document"):
        call_command("import_filings", str(tmp_path / "evil.xml"))
    err = capsys.readouterr().err
    assert "document 1 (line 2): the document declares its own entities; refused" in err
    assert "document 3 (line" in err and err.count("declares its own entities") == 2
    assert "root:" not in err
    assert Filing.objects.count() == 1


def test_a_dtd_is_never_fetched_and_unknown_entities_are_named(tmp_path, capsys):
    fetched = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            fetched.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY foozle "FETCHED">')

        def log_message(self, *args):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/us-patent-application.dtd".encode()
        document = GOOD.replace(
            b'SYSTEM "us-patent-application-v44-2014-04-03.dtd" [ ]', b'SYSTEM "' + url + b'"'
        )
        document = document.replace(
            b"SYSTEM FOR CONTROLLING", b"SYSTEM &foozle; FOR &deg; CONTROLLING"
        )
        (tmp_path / "dtd.xml").write_bytes(document)
        call_command("import_filings", str(tmp_path / "dtd.xml"))
    finally:
        server.shutdown()
    assert fetched == []
    assert "unknown entity &foozle; kept as text" in capsys.readouterr().err
    assert Filing.objects.get().title["en"].startswith("SYSTEM &foozle; FOR ° CONTROLLING")


def test_a_huge_document_is_skipped_and_the_next_one_loads(tmp_path, capsys, settings):
    settings.WATCH_MAX_DOCUMENT_BYTES = 1_000_000
    huge = b'<?xml version="1.0"?>\n<us-patent-application>\n' + (b"x" * 1000 + b"\n") * 2000
    one_line = b'<?xml version="1.0"?>\n<us-patent-application>' + b"y" * 3_000_000 + b"\n"
    (tmp_path / "huge.xml").write_bytes(huge + one_line + GOOD)
    with pytest.raises(CommandError, match="2 document"):
        call_command("import_filings", str(tmp_path / "huge.xml"))
    err = capsys.readouterr().err
    assert "document 1 (line 1): document larger than 1,000,000 bytes; skipped" in err
    assert "document 2 (line 2003): document larger than" in err
    assert Filing.objects.count() == 1


def test_a_wrong_format_is_named(tmp_path, capsys):
    with pytest.raises(CommandError, match="1 document"):
        call_command("import_filings", str(DATA / "ep-v1-5-A1.xml"), "--format", "uspto")
    assert "<ep-patent-document> is not a uspto document" in capsys.readouterr().err


def test_a_declared_legacy_encoding_is_honoured(tmp_path, capsys):
    text = (DATA / "cn-st36-A.xml").read_text(encoding="utf-8")
    gbk = text.replace('encoding="UTF-8"', 'encoding="GBK"').encode("gbk")
    (tmp_path / "cn-gbk.xml").write_bytes(gbk)
    call_command("import_filings", str(tmp_path / "cn-gbk.xml"), "--format", "cnipa")
    assert Filing.objects.get().title == {"zh": "一种低温提取茶多酚的方法及茶饮料"}
    (tmp_path / "latin.xml").write_bytes(GOOD.replace(b"Saskatoon", b"Saskatoon\xe9"))
    with pytest.raises(CommandError):
        call_command("import_filings", str(tmp_path / "latin.xml"))
    assert "not utf-8 (invalid continuation byte)" in capsys.readouterr().err


def test_a_huge_jsonl_line_is_skipped(tmp_path, capsys):
    good = '{"office": "US", "number": "1", "title": "A cup", "claims": ["1. A cup."]}\n'
    huge = '{"office": "US", "number": "2", "title": "' + "x" * 17_000_000 + '"}\n'
    (tmp_path / "huge.jsonl").write_text(good + huge + good.replace('"1"', '"3"'))
    with pytest.raises(CommandError, match="1 document"):
        call_command("import_filings", str(tmp_path / "huge.jsonl"))
    assert "huge.jsonl: line 2: line too long; skipped" in capsys.readouterr().err
    assert sorted(Filing.objects.values_list("number", flat=True)) == ["1", "3"]


def test_odd_jsonl_values_are_reported(tmp_path, capsys):
    lines = [
        '{"office": "US", "number": "' + "9" * 41 + '", "title": "t"}',
        '{"office": "US", "number": "1", "title": "a\\u0000b"}',
        '{"office": "US", "number": "2", "title": {"en": 3}}',
        '{"office": "US", "number": "3", "title": "t", "claims": [1, 2]}',
        "[1, 2]",
        "[" * 100_000 + "]" * 100_000,
        '{"office": "US", "number": "5", "title": "t", "x": ' + "[" * 60 + "]" * 60 + "}",
        '{"office": "US", "number": "4", "title": "fine"}',
    ]
    (tmp_path / "odd.jsonl").write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError, match="7 document"):
        call_command("import_filings", str(tmp_path / "odd.jsonl"))
    err = capsys.readouterr().err
    assert "line 1: number longer than 40 characters" in err
    assert "line 2: NUL characters are not allowed" in err
    assert "line 3: title must be a string or {lang: text}" in err
    assert "line 4: claims must be a list of strings" in err
    assert "line 5: a line must be a JSON object" in err
    assert "line 6: not JSON (nested too deeply)" in err and "line 7: nested too deeply" in err
    assert list(Filing.objects.values_list("number", flat=True)) == ["4"]


def test_absurdly_deep_claims_cost_only_their_document(tmp_path, capsys):
    depth = 5000
    deep = GOOD.replace(
        b'<claim id="CLM-00002"',
        b'<claim id="CLM-09999" num="09999">'
        + b"<claim-text>x" * depth
        + b"</claim-text>" * depth
        + b'</claim>\n<claim id="CLM-00002"',
    )
    (tmp_path / "deep.xml").write_bytes(deep + (DATA / "ep-v1-5-A1.xml").read_bytes())
    with pytest.raises(CommandError, match="1 document"):
        call_command("import_filings", str(tmp_path / "deep.xml"))
    assert "document 1 (line 1): elements nested too deeply" in capsys.readouterr().err
    assert list(Filing.objects.values_list("number", flat=True)) == ["3782854"]
