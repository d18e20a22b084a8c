"""Foreign filings (published patent applications) and their claims.

A filing is one publication of one application by one office: US 20180000016 A1,
EP 3782854 A1, CN 1xxxxxxxx A. A later kind of the same application (A2, B1) is a new
filing linked to the first one through `first_version`.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Filing(models.Model):
    office = models.CharField(max_length=4)  # US, EP, CN, WO ...
    number = models.CharField(max_length=40)  # publication number, no office/kind
    kind = models.CharField(max_length=4, blank=True)  # A1, A2, B1, A ...
    application_number = models.CharField(max_length=60, blank=True)
    filing_date = models.DateField(null=True, blank=True)
    publication_date = models.DateField(null=True, blank=True)
    language = models.CharField(max_length=8, blank=True)
    title = models.JSONField(default=dict, blank=True)  # {lang: text}
    abstract = models.JSONField(default=dict, blank=True)  # {lang: text}
    applicants = models.JSONField(default=list, blank=True)
    ipc = models.JSONField(default=list, blank=True)
    cpc = models.JSONField(default=list, blank=True)
    # [{"country", "number", "date"}]
    priority_claims = models.JSONField(default=list, blank=True)
    # [{"relation": "provisional"|"continuation"|..., "country", "number", "date"}]
    benefit_claims = models.JSONField(default=list, blank=True)
    # {"number", "date", "publication"?} or {}
    pct = models.JSONField(default=dict, blank=True)
    earliest_date = models.DateField(null=True, blank=True, db_index=True)
    earliest_reason = models.CharField(max_length=200, blank=True)
    first_version = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="later_versions"
    )
    source = models.CharField(max_length=300, blank=True)  # file and position it came from
    problems = models.JSONField(default=list, blank=True)  # import warnings, kept for review
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["office", "number", "kind"], name="review_filing_unique_publication"
            ),
        ]
        indexes = [models.Index(fields=["office", "application_number"])]
        ordering = ["office", "number", "kind"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return " ".join(part for part in (self.office, self.number, self.kind) if part)


class Claim(models.Model):
    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="claims")
    number = models.PositiveIntegerField()
    text = models.TextField()
    independent = models.BooleanField()
    parents = models.JSONField(default=list, blank=True)  # claim numbers it depends on
    # an independent claim in another category referring to other claims ("a vehicle
    # comprising the display assembly according to claim 1")
    references = models.JSONField(default=list, blank=True)
    elements = models.JSONField(default=list, blank=True)  # [{"text", "start", "end"}]
    problems = models.JSONField(default=list, blank=True)  # unresolved references

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["filing", "number"], name="review_claim_unique_number"),
        ]
        ordering = ["filing", "number"]

    def __str__(self) -> str:
        return f"{self.filing.label} claim {self.number}"


class ScreeningResult(models.Model):
    """The last screening of one independent claim: its ranked candidates. Re-screening
    replaces the candidates of the same row (one per claim)."""

    claim = models.OneToOneField(Claim, on_delete=models.CASCADE, related_name="screening")
    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="screenings")
    cutoff = models.DateField(null=True, blank=True)  # the filing's earliest date then
    model = models.CharField(max_length=100, blank=True)  # the embedding model used
    # [{"publication", "score", "coverage", "elements": [{"element", "score", "passage"}]}]
    candidates = models.JSONField(default=list, blank=True)
    pair = models.JSONField(default=dict, blank=True)  # the best Y/Y pair, or {}
    # publications after the cut-off that declare an earlier source date (not proven)
    earlier_sources = models.JSONField(default=list, blank=True)
    suspected = models.BooleanField(default=False)  # one candidate covers enough elements
    screened_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["filing", "claim__number"]

    def __str__(self) -> str:
        return f"screening of {self.claim}"


class WatchCase(models.Model):
    """The panel's case on one filing: opened by screening (a suspected copy) or by hand."""

    class Status(models.TextChoices):
        NEW = "new", "new"
        TRIAGED = "triaged", "triaged"
        UNDER_REVIEW = "under_review", "under review"
        REPORT_ISSUED = "report_issued", "report issued"
        SUBMITTED = "submitted", "submitted"
        OUTCOME_RECORDED = "outcome_recorded", "outcome recorded"
        DISMISSED = "dismissed", "dismissed"

    filing = models.OneToOneField(Filing, on_delete=models.CASCADE, related_name="watch_case")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW,
                              db_index=True)
    dismissed_reason = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    opened_by = models.CharField(max_length=20, default="screening")  # or "panel"
    opened_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "pk"]

    def __str__(self) -> str:
        return f"case {self.pk}: {self.filing.label} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status not in (self.Status.DISMISSED, self.Status.OUTCOME_RECORDED)


class Feed(models.Model):
    """One weekly file, dropped in WATCH_FEED_DIR or uploaded by a panelist, and how far its
    import and screening have gone (review/feeds.py). The counts move while it runs."""

    class Source(models.TextChoices):
        DROP = "drop", _("dropped in the feed folder")
        UPLOAD = "upload", _("uploaded")

    class Status(models.TextChoices):
        WAITING = "waiting", _("waiting")
        IMPORTING = "importing", _("importing")
        SCREENING = "screening", _("screening")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    source = models.CharField(max_length=10, choices=Source.choices)
    file_name = models.CharField(max_length=255)  # as dropped or uploaded, for people
    path = models.CharField(max_length=1000, unique=True)  # where the file is now
    size = models.BigIntegerField(default=0)
    fmt = models.CharField(max_length=8, default="auto")  # as asked: auto, jsonl, uspto ...
    office = models.CharField(max_length=4, blank=True)  # of the filings it held
    screen = models.BooleanField(default=True)  # screen the new filings after the import
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING,
                              db_index=True)
    documents = models.PositiveIntegerField(default=0)
    imported = models.PositiveIntegerField(default=0)
    already_present = models.PositiveIntegerField(default=0)
    failed_documents = models.PositiveIntegerField(default=0)
    screened = models.PositiveIntegerField(default=0)
    screen_failures = models.PositiveIntegerField(default=0)
    cases_opened = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)  # "FILE: document N (line L): why"
    error = models.TextField(blank=True)  # why the file as a whole could not be read
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True,
                                    on_delete=models.SET_NULL, related_name="+")
    language = models.CharField(max_length=10, blank=True)  # the uploader's, for the mail
    mailed_to = models.JSONField(default=list, blank=True)  # user ids already told
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"feed {self.pk}: {self.file_name} ({self.status})"

    @property
    def is_running(self) -> bool:
        return self.status not in (self.Status.DONE, self.Status.FAILED)


class FeedFiling(models.Model):
    """A filing a feed imported (new, so screened for it): counted once when screened."""

    feed = models.ForeignKey(Feed, on_delete=models.CASCADE, related_name="items")
    filing = models.ForeignKey(Filing, on_delete=models.CASCADE, related_name="feed_items")
    screened_at = models.DateTimeField(null=True, blank=True)
    screen_error = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["feed", "filing"], name="review_feed_filing_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.filing} in feed {self.feed_id}"
