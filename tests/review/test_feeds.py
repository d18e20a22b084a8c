"""Feeds: weekly files dropped in WATCH_FEED_DIR or uploaded, imported, screened, counted,
moved to processed/ or failed/, and the panel mailed (docs/watch.md, "Feeds")."""

import json
import os
import smtplib
import threading
import time
from pathlib import Path

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

import review.tasks  # noqa: F401  (registers the feed tasks)
from defpub.celery import app as celery_app
from defpub.models import AuditEvent
from review.access import panel_group
from review.feed_mail import feed_mail_send
from review.feeds import drops_ready, feed_claim_drop, feed_scan
from review.models import Feed, FeedFiling, Filing, WatchCase
from tests.factories import UserFactory
from tests.review.test_screening import CONTROL, COPY, corpus  # noqa: F401  (a fixture)

pytestmark = pytest.mark.django_db

DATA = Path(__file__).parent / "data"
AN_HOUR_AGO = time.time() - 3600


def uspto_weekly(middle: bytes = b"") -> bytes:
    parts = [(DATA / name).read_bytes() for name in ("ipa20180000016.xml", "ipa20200022300.xml")]
    return parts[0].rstrip() + b"\n" + middle + parts[1]


@pytest.fixture
def folder(settings, tmp_path) -> Path:
    settings.WATCH_FEED_DIR = tmp_path / "feeds"
    settings.WATCH_FEED_DIR.mkdir()
    return settings.WATCH_FEED_DIR


def drop(folder: Path, name: str, content: bytes, *, settled: bool = True) -> Path:
    path = folder / name
    path.write_bytes(content)
    if settled:
        os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    return path


@pytest.fixture
def screened(monkeypatch):
    """Screening without the models: the filings numbered in `copies` get a case, as a
    suspected copy would (the real screening is tested in test_screening.py, and once here
    in the mail test)."""
    from review.cases import case_open_for_screening

    calls, copies = [], set()

    def fake(*, filing):
        calls.append(filing.number)
        if filing.number in copies:
            case_open_for_screening(filing=filing)
        return []

    monkeypatch.setattr("review.feeds.filing_screen", fake)
    fake.calls, fake.copies = calls, copies
    return fake


@pytest.fixture
def worker(monkeypatch, django_capture_on_commit_callbacks):
    """worker(call): run call(), then every task it queued (by name, in this process, with
    their own on_commit callbacks), as a worker would, until none is left."""
    queued = []
    monkeypatch.setattr("review.feeds.enqueue", lambda name, *args: queued.append((name, args)))

    def run(call):
        with django_capture_on_commit_callbacks(execute=True):
            result = call()
        while queued:
            name, args = queued.pop(0)
            run.names.append(name)
            with django_capture_on_commit_callbacks(execute=True):
                celery_app.tasks[name](*args)
        return result

    run.names, run.queued = [], queued
    return run


def panelist(**fields):
    user = UserFactory(**fields)
    user.groups.add(panel_group())
    return user


def test_a_dropped_uspto_file_is_imported_screened_and_moved_to_processed(
        folder, worker, screened):
    drop(folder, "ipa-weekly.xml", uspto_weekly())

    claimed = worker(feed_scan)

    feed = Feed.objects.get()
    assert claimed == [feed.pk] and feed.source == "drop" and feed.file_name == "ipa-weekly.xml"
    assert (feed.status, feed.office, feed.error) == ("done", "US", "")
    assert (feed.documents, feed.imported, feed.already_present, feed.failed_documents) == (
        2, 2, 0, 0)
    assert (feed.screened, feed.cases_opened) == (2, 0)
    assert sorted(screened.calls) == ["20180000016", "20200022300"]
    assert worker.names.count("review.screen_feed_filing") == 2
    assert not (folder / "ipa-weekly.xml").exists()
    assert not list((folder / "importing").iterdir())
    assert Path(feed.path).parent == folder / "processed" and Path(feed.path).exists()
    actions = AuditEvent.objects.filter(target_type="review.feed").values_list("action", flat=True)
    assert sorted(actions) == ["feed.finished", "feed.received"]


def test_a_second_scan_does_nothing_and_a_redropped_file_changes_nothing(
        folder, worker, screened):
    drop(folder, "weekly.xml", uspto_weekly())
    worker(feed_scan)
    filings = list(Filing.objects.values_list("pk", "imported_at"))

    assert worker(feed_scan) == []
    assert Feed.objects.count() == 1

    drop(folder, "weekly.xml", uspto_weekly())  # the same file again
    worker(feed_scan)
    again = Feed.objects.order_by("pk").last()
    assert (again.status, again.documents, again.imported, again.already_present) == (
        "done", 2, 0, 2)
    assert again.screened == 0 and len(screened.calls) == 2  # nothing new to screen
    assert list(Filing.objects.values_list("pk", "imported_at")) == filings
    assert len(list((folder / "processed").iterdir())) == 2  # neither overwrote the other


def test_a_malformed_document_is_recorded_with_its_position_and_the_rest_load(
        folder, worker, screened):
    broken = b'<?xml version="1.0"?>\n<us-patent-application><oops></us-patent-application>\n'
    drop(folder, "weekly.xml", uspto_weekly(middle=broken))

    worker(feed_scan)

    feed = Feed.objects.get()
    assert (feed.status, feed.documents, feed.imported, feed.failed_documents) == (
        "done", 3, 2, 1)
    assert len(feed.errors) == 1 and feed.errors[0].startswith("weekly.xml: document 2 (line")
    assert Path(feed.path).parent.name == "processed"


@pytest.mark.parametrize("content, why", [
    (b"PK\x03\x04" + bytes(range(256)) * 4, "neither JSON lines nor XML"),
    (b"", "the file is empty"),
])
def test_an_unreadable_file_goes_to_failed_with_the_error_recorded(
        folder, worker, screened, content, why):
    panelist(email="p@example.org")
    drop(folder, "weekly.xml", content)

    worker(feed_scan)

    feed = Feed.objects.get()
    assert feed.status == "failed" and why in feed.error
    assert str(folder) not in feed.error  # the file's name, never the server's paths
    assert (feed.documents, feed.imported, feed.screened) == (0, 0, 0)
    assert Path(feed.path).parent == folder / "failed" and Path(feed.path).exists()
    assert [m.subject for m in mail.outbox] == ["DefPub watch: weekly.xml could not be read"]


def test_files_still_being_written_are_left_alone(folder, worker, screened):
    weekly = uspto_weekly()
    drop(folder, ".weekly.xml", weekly)
    drop(folder, "weekly.xml.part", weekly)
    drop(folder, "fresh.xml", weekly, settled=False)  # changed within the settle time
    (folder / "a-folder").mkdir()
    (folder / "link.xml").symlink_to(drop(folder, ".target", weekly))

    assert worker(feed_scan) == []
    assert not Feed.objects.exists()
    assert {p.name for p in folder.iterdir()} >= {".weekly.xml", "weekly.xml.part", "fresh.xml",
                                                   "link.xml"}


def test_two_scans_that_saw_the_same_file_claim_it_once(folder, worker):
    drop(folder, "weekly.xml", uspto_weekly())
    first, second = drops_ready(), drops_ready()  # both listed it before either claimed

    claims = [worker(lambda p=path: feed_claim_drop(path=p)) for path in (*first, *second)]

    assert [claim is not None for claim in claims] == [True, False]
    assert Feed.objects.count() == 1
    assert not AuditEvent.objects.filter(action="feed.received").count() > 1


@pytest.mark.django_db(transaction=True)
def test_two_scans_at_the_same_moment_in_two_threads_claim_a_file_once(folder, monkeypatch):
    monkeypatch.setattr("review.feeds.enqueue", lambda *args: None)
    drop(folder, "weekly.xml", uspto_weekly())
    both_listed = threading.Barrier(2)
    listed = drops_ready

    def listing_then_wait(**kwargs):
        paths = listed(**kwargs)
        both_listed.wait(timeout=10)
        return paths

    monkeypatch.setattr("review.feeds.drops_ready", listing_then_wait)
    results = []

    def scan():
        try:
            results.append(feed_scan())
        finally:
            connection.close()

    threads = [threading.Thread(target=scan) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(len(claimed) for claimed in results) == [0, 1]
    assert Feed.objects.count() == 1
    assert AuditEvent.objects.filter(action="feed.received").count() == 1
    claimed = Path(Feed.objects.get().path)
    assert [p.name for p in (folder / "importing").iterdir()] == [claimed.parent.name]


def test_counts_are_exact_when_a_screening_message_comes_twice(folder, worker, screened):
    drop(folder, "weekly.xml", uspto_weekly())
    screened.copies.add("20180000016")
    worker(feed_scan)
    feed = Feed.objects.get()

    for item in FeedFiling.objects.filter(feed=feed):  # redelivered after a lost ack
        worker(lambda i=item: celery_app.tasks["review.screen_feed_filing"](feed.pk, i.filing_id))

    feed.refresh_from_db()
    assert (feed.screened, feed.cases_opened) == (2, 1)
    assert len(screened.calls) == 2
    assert AuditEvent.objects.filter(action="feed.finished").count() == 1


def test_a_filing_whose_screening_fails_is_recorded_and_the_feed_still_finishes(
        folder, worker, monkeypatch):
    def broken(*, filing):
        raise ValueError("the model file is damaged")

    monkeypatch.setattr("review.feeds.filing_screen", broken)
    drop(folder, "weekly.xml", uspto_weekly())
    worker(feed_scan)

    feed = Feed.objects.get()
    assert (feed.status, feed.screened, feed.screen_failures) == ("done", 0, 2)
    assert any("not screened (ValueError: the model file is damaged)" in e for e in feed.errors)


def test_the_panel_is_mailed_the_count_of_new_cases(corpus, folder, worker, settings):  # noqa: F811
    settings.DEFPUB_PUBLIC_URL = "https://defpub.example"
    first, second = panelist(email="a@example.org"), panelist(email="b@example.org")
    UserFactory(email="stranger@example.org")  # not on the panel
    panelist(email="gone@example.org", is_active=False)
    panelist(email="")  # no address
    drop(folder, "us.jsonl", "\n".join(json.dumps(f) for f in (COPY, CONTROL)).encode())

    worker(feed_scan)  # the real screening

    feed = Feed.objects.get()
    assert (feed.status, feed.imported, feed.screened, feed.cases_opened) == ("done", 2, 2, 1)
    assert list(WatchCase.objects.values_list("filing__number", flat=True)) == ["20260100001"]
    assert sorted(m.to[0] for m in mail.outbox) == [first.email, second.email]
    for message in mail.outbox:
        assert message.subject == "DefPub watch: us.jsonl screened, 1 new case(s)"
        assert "New watch cases: 1." in message.body
        assert "https://defpub.example/review/" in message.body


def test_a_mail_failure_fails_no_feed_and_a_retry_mails_only_the_rest(
        folder, worker, screened, monkeypatch):
    first, second = panelist(email="a@example.org"), panelist(email="b@example.org")
    real = mail.send_mail
    refused = {second.email}

    def flaky(*args, recipient_list, **kwargs):
        if set(recipient_list) & refused:
            raise smtplib.SMTPServerDisconnected("the mail server went away")
        return real(*args, recipient_list=recipient_list, **kwargs)

    monkeypatch.setattr("review.feed_mail.send_mail", flaky)
    drop(folder, "weekly.xml", uspto_weekly())
    with pytest.raises(smtplib.SMTPServerDisconnected):  # the task retries it later
        worker(feed_scan)

    feed = Feed.objects.get()
    assert feed.status == "done" and feed.mailed_to == [first.pk]
    refused.clear()
    assert feed_mail_send(feed_id=feed.pk) == 1  # the retry
    assert [m.to for m in mail.outbox] == [[first.email], [second.email]]


def test_the_uploader_is_mailed_in_the_language_they_uploaded_in(folder, worker, screened,
                                                                  client):
    uploader, other = panelist(email="zh@example.org"), panelist(email="en@example.org")
    client.force_login(uploader)
    upload = SimpleUploadedFile("weekly.xml", uspto_weekly())
    worker(lambda: client.post("/review/upload/", {"file": upload, "fmt": "auto",
                                                   "screen": "on"},
                               HTTP_ACCEPT_LANGUAGE="zh-hans"))

    by_address = {m.to[0]: m for m in mail.outbox}
    assert by_address[other.email].subject.startswith("DefPub watch: weekly.xml screened")
    assert "weekly.xml" in by_address[uploader.email].subject
    assert "新的监视案件" in by_address[uploader.email].body


def test_a_lost_message_is_queued_again_by_the_next_scan(folder, worker, screened, settings):
    drop(folder, "weekly.xml", uspto_weekly())
    with pytest.MonkeyPatch.context() as patch:  # the broker was down: the message is lost
        patch.setattr("review.feeds.enqueue", lambda *args: None)
        feed_scan()
    feed = Feed.objects.get()
    assert feed.status == "waiting"

    settings.WATCH_FEED_STALE_MINUTES = 0
    worker(feed_scan)

    feed.refresh_from_db()
    assert (feed.status, feed.imported, feed.screened) == ("done", 2, 2)


# -- the pages: /review/upload/, /review/feeds/, /review/feeds/<id>/ and its progress ---------

FEED_URLS = ["/review/upload/", "/review/feeds/", "/review/feeds/{pk}/",
             "/review/feeds/{pk}/progress"]


@pytest.fixture
def panel_client(client):
    client.force_login(panelist())
    return client


def upload(client, content: bytes, name: str = "weekly.xml", **fields):
    data = {"fmt": "auto", "screen": "on", **fields}
    if content is not None:
        data["file"] = SimpleUploadedFile(name, content)
    return client.post("/review/upload/", data)


@pytest.mark.parametrize("who", ["anonymous", "member"])
def test_feed_pages_are_404_to_everyone_outside_the_panel(client, folder, who):
    feed = Feed.objects.create(source="drop", file_name="w.xml", path=str(folder / "w.xml"))
    if who == "member":
        client.force_login(UserFactory())
    for url in FEED_URLS:
        url = url.format(pk=feed.pk)
        assert client.get(url).status_code == 404, url
        assert client.post(url, {"fmt": "auto"}).status_code == 404, url
    response = upload(client, uspto_weekly())
    assert response.status_code == 404
    assert Feed.objects.count() == 1 and not (folder / "importing").exists()


def test_a_panelist_uploads_a_weekly_file_and_follows_its_progress(
        panel_client, folder, worker, screened):
    response = worker(lambda: upload(panel_client, uspto_weekly(), fmt="uspto"))

    feed = Feed.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/review/feeds/{feed.pk}/"
    assert (feed.source, feed.fmt, feed.uploaded_by.groups.get().name) == ("upload", "uspto",
                                                                          "panel")
    assert (feed.status, feed.documents, feed.imported, feed.screened) == ("done", 2, 2, 2)
    assert Path(feed.path).read_bytes() == uspto_weekly()
    assert Path(feed.path).parent == folder / "processed"
    page = panel_client.get(f"/review/feeds/{feed.pk}/").content.decode()
    assert "weekly.xml" in page and 'hx-trigger="every 2s"' not in page  # done: no polling


def test_an_upload_without_screening_is_done_after_the_import(panel_client, folder, worker,
                                                              screened):
    worker(lambda: upload(panel_client, uspto_weekly(), screen=""))
    feed = Feed.objects.get()
    assert (feed.status, feed.imported, feed.screened, feed.screen) == ("done", 2, 0, False)
    assert screened.calls == []


@pytest.mark.parametrize("content, name, fields, error", [
    (bytes(range(256)) * 8, "weekly.xml", {}, "neither XML nor JSON lines"),
    (b"PK\x03\x04" + b"<xml>" * 100, "weekly.xml", {}, "neither XML nor JSON lines"),
    (b"\x00<us-patent-application/>", "weekly.xml", {}, "neither XML nor JSON lines"),
    (b"", "weekly.xml", {}, "neither XML nor JSON lines"),
    (None, "", {}, "This field is required"),
    (b"<us-patent-application/>", "weekly.xml", {"fmt": "pdf"}, "Select a valid choice"),
    (b"<us-patent-application/>", "weekly.xml", {"fmt": "jsonl"}, "The content is XML"),
    (b'{"office": "US"}\n', "weekly.jsonl", {"fmt": "epo"}, "The content is JSON lines"),
])
def test_hostile_uploads_get_a_form_error_and_store_nothing(panel_client, folder, worker,
                                                            content, name, fields, error):
    response = worker(lambda: upload(panel_client, content, name, **fields))
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not Feed.objects.exists() and worker.names == []
    assert not (folder / "importing").exists() or not list((folder / "importing").iterdir())


def test_an_oversized_upload_gets_a_form_error(panel_client, folder, settings):
    settings.WATCH_FEED_MAX_UPLOAD_BYTES = 1000
    for size in (1001, 200_000):  # the second is refused before its body is read
        response = upload(panel_client, b"<a>" + b" " * (size - 7) + b"</a>")
        assert response.status_code == 400
        assert "larger than the limit of 1000" in response.content.decode()
    assert not Feed.objects.exists()


def test_a_hostile_file_name_is_shown_cleaned_and_never_used_as_a_path(panel_client, folder,
                                                                       worker, screened):
    worker(lambda: upload(panel_client, uspto_weekly(), name="../../etc/..\u202e.xml"))
    feed = Feed.objects.get()
    assert "/" not in feed.file_name and "\u202e" not in feed.file_name
    assert Path(feed.path).resolve().is_relative_to(folder.resolve())


def test_bad_feed_ids_are_404(panel_client):
    for url in ("/review/feeds/999999/", "/review/feeds/999999/progress",
                "/review/feeds/abc/", "/review/feeds/-1/", "/review/feeds/1e3/progress"):
        assert panel_client.get(url).status_code == 404, url


@pytest.mark.parametrize("language, words", [
    ("en", ["Status", "importing", "Documents", "Imported", "Screened", "Cases opened",
            "document 2 (line 9)"]),
    ("zh-hans", ["状态", "导入中", "文档", "已导入", "已筛查", "已立案", "document 2 (line 9)"]),
])
def test_the_progress_fragment_polls_while_running_in_english_and_chinese(
        panel_client, folder, language, words):
    feed = Feed.objects.create(
        source="drop", file_name="w.xml", path=str(folder / "w.xml"), status="importing",
        documents=3, imported=2, failed_documents=1,
        errors=["w.xml: document 2 (line 9): malformed XML: mismatched tag"])

    response = panel_client.get(f"/review/feeds/{feed.pk}/progress",
                                HTTP_ACCEPT_LANGUAGE=language)

    body = response.content.decode()
    assert response.status_code == 200 and "<html" not in body
    assert 'hx-trigger="every 2s"' in body and f"/review/feeds/{feed.pk}/progress" in body
    for word in words:
        assert word in body, word
    Feed.objects.filter(pk=feed.pk).update(status="done")
    done = panel_client.get(f"/review/feeds/{feed.pk}/progress").content.decode()
    assert "hx-trigger" not in done


def test_the_feeds_list_and_its_htmx_fragment(panel_client, folder):
    running = Feed.objects.create(source="drop", file_name="running.xml",
                                  path=str(folder / "a"), status="screening", imported=5,
                                  screened=3)
    page = panel_client.get("/review/feeds/").content.decode()
    assert "running.xml" in page and "<html" in page and 'hx-trigger="every 2s"' in page
    fragment = panel_client.get("/review/feeds/", HTTP_HX_REQUEST="true")
    assert "<html" not in fragment.content.decode() and "running.xml" in fragment.content.decode()
    assert "HX-Request" in fragment["Vary"]
    Feed.objects.filter(pk=running.pk).update(status="done")
    assert "hx-trigger" not in panel_client.get("/review/feeds/").content.decode()


def test_a_second_run_of_a_feed_being_imported_waits_for_the_first(folder, worker, screened):
    from review.feeds import RUN_LEASE, feed_run

    drop(folder, "weekly.xml", uspto_weekly())
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("review.feeds.enqueue", lambda *args: None)
        feed_scan()
    feed = Feed.objects.get()
    Feed.objects.filter(pk=feed.pk).update(status="importing")  # a live run holds it

    assert feed_run(feed_id=feed.pk).status == "importing"
    assert not Filing.objects.exists()

    from django.utils import timezone

    Feed.objects.filter(pk=feed.pk).update(updated_at=timezone.now() - RUN_LEASE * 2)  # died
    worker(lambda: feed_run(feed_id=feed.pk))
    feed.refresh_from_db()
    assert (feed.status, feed.imported, feed.screened) == ("done", 2, 2)


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_dropped_feed_runs_through_a_real_worker_and_broker(
        corpus, folder, celery_worker, mailoutbox):  # noqa: F811
    assert celery_app.amqp.router.route({}, "review.screen_feed_filing")["queue"].name == \
        "screening"
    panelist(email="a@example.org")
    drop(folder, "us.jsonl", "\n".join(json.dumps(f) for f in (COPY, CONTROL)).encode())

    celery_app.send_task("review.feed_scan").get(timeout=60)

    deadline = time.monotonic() + 300
    while Feed.objects.get().is_running and time.monotonic() < deadline:
        time.sleep(0.5)
    feed = Feed.objects.get()
    assert (feed.status, feed.imported, feed.screened, feed.cases_opened) == ("done", 2, 2, 1)
    assert Path(feed.path).parent == folder / "processed"
    while not mailoutbox and time.monotonic() < deadline:
        time.sleep(0.2)
    assert [m.subject for m in mailoutbox] == ["DefPub watch: us.jsonl screened, 1 new case(s)"]


def test_odd_file_names_are_taken_with_a_safe_name(folder, worker, screened):
    drop(folder, os.fsdecode(b"week\xff01.xml"), uspto_weekly())
    drop(folder, "周" * 83 + ".xml", uspto_weekly())  # 253 bytes: near the file system's limit

    assert len(worker(feed_scan)) == 2

    for feed in Feed.objects.all():
        assert feed.status == "done" and feed.file_name.endswith(".xml")
        assert Path(feed.path).parent == folder / "processed" and Path(feed.path).exists()
    assert "week\ufffd01.xml" in set(Feed.objects.values_list("file_name", flat=True))
