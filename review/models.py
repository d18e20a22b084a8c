"""Foreign filings (published patent applications) and their claims.

A filing is one publication of one application by one office: US 20180000016 A1,
EP 3782854 A1, CN 1xxxxxxxx A. A later kind of the same application (A2, B1) is a new
filing linked to the first one through `first_version`.
"""

from django.db import models


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
