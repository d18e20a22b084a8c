"""Feeds: weekly files dropped in WATCH_FEED_DIR or uploaded by a panelist, imported through
the one pipeline (review.services.filings_import), their new filings screened on the
`screening` queue, and the file moved to processed/ or failed/ (docs/watch.md, "Feeds").

A dropped file is claimed by renaming it into WATCH_FEED_DIR/importing/ inside the
transaction that creates its Feed row. rename() is atomic: when two scans see the same file,
one rename succeeds and the other raises, which rolls its row back, so a file becomes one
feed however many workers scan.
"""

import contextlib
import logging
import os
import time
import unicodedata
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q
from django.utils import timezone

from defpub.audit.services import audit
from defpub.models import AuditAction
from defpub.queueing import enqueue
from review.models import Feed, FeedFiling, Filing, WatchCase
from review.screening import filing_screen
from review.services import ImportFailed, ImportReport, filings_import

log = logging.getLogger(__name__)
IMPORTING, PROCESSED, FAILED = "importing", "processed", "failed"
MAX_ERRORS = 500  # kept on the row; the count is exact beyond it
SAVE_EVERY = 1.0  # seconds between progress writes during an import
RUN_LEASE = timedelta(minutes=2)  # an import silent this long is dead
MAX_NAME_BYTES = 200  # of a stored file's name; file systems allow 255
OFFICE_OF_FORMAT = {"uspto": "US", "epo": "EP", "cnipa": "CN"}
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


def feed_dir(name: str = "") -> Path:
    """WATCH_FEED_DIR or one of its subfolders, created on first use."""
    path = Path(settings.WATCH_FEED_DIR) / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def _queue(name: str, *args) -> None:
    transaction.on_commit(lambda: enqueue(name, *args))


def drops_ready(*, now: float | None = None) -> list[Path]:
    """Files in WATCH_FEED_DIR that are complete: not dotfiles, not *.part, regular files
    (no symlinks), unchanged for WATCH_FEED_SETTLE_SECONDS."""
    settled = (now or time.time()) - settings.WATCH_FEED_SETTLE_SECONDS
    ready = []
    with os.scandir(feed_dir()) as entries:
        for entry in entries:
            if entry.name.startswith(".") or entry.name.endswith(".part"):
                continue
            if entry.is_file(follow_symlinks=False) and entry.stat().st_mtime <= settled:
                ready.append(Path(entry.path))
    return sorted(ready)


def safe_file_name(name: str, *, fallback: str = "feed", prefix: str = "") -> str:
    """A name for people and for the file system: no folders, no control characters, no
    undecodable bytes, no leading dot, and short enough (in bytes) for any file system
    once prefixed; the extension is kept."""
    name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    stem, dot, extension = name.rpartition(".")
    if not dot or len(extension) > 10:
        stem, extension = name, ""
    budget = MAX_NAME_BYTES - len(prefix.encode()) - len(extension.encode()) - 1
    stem = stem.encode()[:budget].decode("utf-8", "ignore").rstrip(" .")
    return prefix + (f"{stem}.{extension}" if extension else stem) if stem else prefix + fallback


def feed_claim_drop(*, path: Path) -> Feed | None:
    """The dropped file as a new feed, or None if another scan claimed it first."""
    # A folder of its own keeps the file's name, which the import's messages quote.
    name = safe_file_name(path.name)
    target = _work_folder() / name
    try:
        with transaction.atomic():
            size = path.stat().st_size
            feed = Feed.objects.create(source=Feed.Source.DROP, file_name=name,
                                       path=str(target), size=size)
            audit(actor=None, action=AuditAction.FEED_RECEIVED, target=feed,
                  file=feed.file_name, source="drop", size=size)
            _queue("review.feed_run", feed.pk)
            os.rename(path, target)  # the claim itself, last: losing it rolls the row back
    except OSError as error:
        target.parent.rmdir()
        if not isinstance(error, FileNotFoundError):  # else another scan claimed it first
            log.warning("feed %s could not be claimed: %s", path.name, error)
        return None
    return feed


def _work_folder() -> Path:
    folder = feed_dir(IMPORTING) / uuid.uuid4().hex[:12]
    folder.mkdir()
    return folder


def feed_create_upload(*, name: str, chunks, size: int, fmt: str, screen: bool, by,
                       language: str, extension: str) -> Feed:
    """A panelist's upload as a new feed; its file is written under importing/, named as
    uploaded as far as it is safe."""
    name = safe_file_name(name, fallback=f"upload{extension}")
    target = _work_folder() / name
    partial = target.with_name(f".{name}.part")
    with transaction.atomic():
        feed = Feed.objects.create(source=Feed.Source.UPLOAD, file_name=name,
                                   path=str(target), size=size, fmt=fmt, screen=screen,
                                   uploaded_by=by, language=language[:10])
        audit(actor=by, action=AuditAction.FEED_RECEIVED, target=feed, file=feed.file_name,
              source="upload", size=size, format=fmt)
        try:
            with open(partial, "wb") as handle:
                for chunk in chunks:
                    handle.write(chunk)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            target.parent.rmdir()
            raise
        _queue("review.feed_run", feed.pk)
    return feed


def feed_scan() -> list[int]:
    """Beat's job: claim every ready file, and queue again the feeds whose messages were
    lost. Returns the new feeds' ids."""
    claimed = []
    for path in drops_ready():
        try:
            if feed := feed_claim_drop(path=path):
                claimed.append(feed.pk)
        except Exception:  # noqa: BLE001 - one odd file must not keep the others waiting
            log.exception("feed %r could not be claimed", path.name)
    feeds_resume_stale()
    return claimed


def feeds_resume_stale() -> None:
    """A feed with no progress for WATCH_FEED_STALE_MINUTES lost its message (a broker outage
    when it was queued). Screening counts as stalled only when no feed's filing was screened
    meanwhile: a long queue of another feed's filings is not a loss."""
    stale = timezone.now() - timedelta(minutes=settings.WATCH_FEED_STALE_MINUTES)
    importing = Feed.objects.filter(status__in=[Feed.Status.WAITING, Feed.Status.IMPORTING],
                                    updated_at__lt=stale)
    for feed_id in importing.values_list("pk", flat=True):
        Feed.objects.filter(pk=feed_id).update(updated_at=timezone.now())
        enqueue("review.feed_run", feed_id)
    if FeedFiling.objects.filter(screened_at__gte=stale).exists():
        return
    screening = Feed.objects.filter(status=Feed.Status.SCREENING, updated_at__lt=stale)
    for feed_id in screening.values_list("pk", flat=True):
        Feed.objects.filter(pk=feed_id).update(updated_at=timezone.now())
        pending = FeedFiling.objects.filter(feed_id=feed_id, screened_at__isnull=True)
        for filing_id in pending.values_list("filing_id", flat=True):
            enqueue("review.screen_feed_filing", feed_id, filing_id)


def feed_run(*, feed_id: int) -> Feed | None:
    """Import the feed's file, counting as it goes; then queue its new filings' screening.
    A redelivered run imports again: what the first run saved is already present, and its
    new filings were recorded as they were saved, so none is lost to screening."""
    # One run at a time: a run keeps its lease by saving progress; another message for the
    # same feed (redelivered, or queued again by the sweeper) starts only once it lapsed.
    now = timezone.now()
    runnable = Q(status=Feed.Status.WAITING) | Q(status=Feed.Status.IMPORTING,
                                                 updated_at__lt=now - RUN_LEASE)
    if not Feed.objects.filter(runnable, pk=feed_id).update(status=Feed.Status.IMPORTING,
                                                             updated_at=now):
        return Feed.objects.filter(pk=feed_id).first()
    feed = Feed.objects.get(pk=feed_id)
    report = ImportReport()
    recorded, saved_at = [0], [time.monotonic()]

    def progress(_documents: int) -> None:
        recorded[0] = _record_new(feed, report, recorded[0])
        if time.monotonic() - saved_at[0] >= SAVE_EVERY:
            _save_counts(feed, report)
            saved_at[0] = time.monotonic()

    path = Path(feed.path)
    try:
        filings_import(path=path, fmt=feed.fmt, progress=progress, report=report)
    except (ImportFailed, OSError, UnicodeError) as error:
        return feed_fail(feed=feed, error=str(error).replace(str(path), feed.file_name))
    _record_new(feed, report, recorded[0])
    return feed_imported(feed=feed, report=report)


def _record_new(feed: Feed, report: ImportReport, recorded: int) -> int:
    new = report.created_ids[recorded:]
    if new:
        FeedFiling.objects.bulk_create([FeedFiling(feed=feed, filing_id=pk) for pk in new],
                                       ignore_conflicts=True)
    return len(report.created_ids)


def _save_counts(feed: Feed, report: ImportReport) -> None:
    """The counts so far. Filings a redelivered run finds present were new to this feed."""
    feed.documents = report.documents
    feed.imported = feed.items.count()
    feed.failed_documents = len(report.errors)
    feed.already_present = max(0, report.created + report.unchanged - feed.imported)
    feed.errors = report.errors[:MAX_ERRORS]
    feed.save(update_fields=["documents", "imported", "failed_documents", "already_present",
                             "errors", "updated_at"])


@transaction.atomic
def feed_imported(*, feed: Feed, report: ImportReport) -> Feed:
    feed = Feed.objects.select_for_update().get(pk=feed.pk)
    if feed.status != Feed.Status.IMPORTING:  # another run finished it meanwhile
        return feed
    _save_counts(feed, report)
    offices = Counter(Filing.objects.filter(feed_items__feed=feed).values_list("office",
                                                                                flat=True))
    feed.office = (offices.most_common(1)[0][0] if offices
                   else OFFICE_OF_FORMAT.get(feed.fmt, ""))
    pending = list(feed.items.filter(screened_at__isnull=True).values_list("filing_id",
                                                                           flat=True))
    if feed.screen and pending:
        feed.status = Feed.Status.SCREENING
        feed.save(update_fields=["office", "status", "updated_at"])
        for filing_id in pending:
            _queue("review.screen_feed_filing", feed.pk, filing_id)
        return feed
    feed.save(update_fields=["office", "updated_at"])
    return _finish(feed, Feed.Status.DONE)


@transaction.atomic
def feed_fail(*, feed: Feed, error: str) -> Feed:
    """The file as a whole could not be read: the feed fails and the file goes to failed/."""
    feed = Feed.objects.select_for_update().get(pk=feed.pk)
    if feed.status != Feed.Status.IMPORTING:
        return feed
    feed.error = error[:2000]
    feed.save(update_fields=["error", "updated_at"])
    return _finish(feed, Feed.Status.FAILED)


def feed_filing_screen(*, feed_id: int, filing_id: int) -> bool:
    """Screen one of the feed's new filings and count it, once (a redelivered message finds
    it counted). A failure other than a lost connection is recorded, not retried, so the
    feed still finishes. Returns whether this call screened it."""
    item = (FeedFiling.objects.select_related("filing")
            .filter(feed_id=feed_id, filing_id=filing_id, screened_at__isnull=True).first())
    if item is None:
        return False
    error = ""
    try:
        filing_screen(filing=item.filing)
    except TRANSIENT:
        raise  # the task retries
    except Exception as exc:  # noqa: BLE001 - one filing's failure must not stall the feed
        log.exception("feed %s: screening %s failed", feed_id, item.filing.label)
        error = f"{item.filing.label}: not screened ({exc.__class__.__name__}: {exc})"
    return feed_filing_screened(item=item, error=error)


@transaction.atomic
def feed_filing_screened(*, item: FeedFiling, error: str = "") -> bool:
    # The feed's row is locked first: the one call that screens the last filing finishes it.
    feed = Feed.objects.select_for_update().get(pk=item.feed_id)
    if not FeedFiling.objects.filter(pk=item.pk, screened_at__isnull=True).update(
            screened_at=timezone.now(), screen_error=error[:2000]):
        return False
    if error:
        feed.screen_failures += 1
        feed.errors = [*feed.errors, error][-MAX_ERRORS:]
    else:
        feed.screened += 1
        feed.cases_opened += WatchCase.objects.filter(filing_id=item.filing_id,
                                                      opened_by="screening").exists()
    feed.save(update_fields=["screened", "screen_failures", "cases_opened", "errors",
                             "updated_at"])
    if feed.status == Feed.Status.SCREENING and not feed.items.filter(
            screened_at__isnull=True).exists():
        _finish(feed, Feed.Status.DONE)
    return True


def _finish(feed: Feed, status: str) -> Feed:
    """Inside the caller's transaction: the status, the audit row, the file moved (last, so
    a failed move rolls back) and the panel's mail queued after commit."""
    feed.status, feed.finished_at = status, timezone.now()
    feed.save(update_fields=["status", "finished_at", "updated_at"])
    audit(actor=None, action=AuditAction.FEED_FINISHED, target=feed, status=status,
          documents=feed.documents, imported=feed.imported, screened=feed.screened,
          cases_opened=feed.cases_opened, failed_documents=feed.failed_documents,
          error=feed.error)
    _queue("review.feed_mail", feed.pk)
    source = Path(feed.path)
    folder = PROCESSED if status == Feed.Status.DONE else FAILED
    target = feed_dir(folder) / safe_file_name(source.name, prefix=f"{feed.pk}-")
    try:
        os.rename(source, target)
    except OSError as error:  # the feed is finished all the same; the file stays put
        log.warning("feed %s: %s not moved to %s/: %s", feed.pk, source.name, folder, error)
        return feed
    feed.path = str(target)
    feed.save(update_fields=["path"])
    with contextlib.suppress(OSError):
        source.parent.rmdir()
    return feed
