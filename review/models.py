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
