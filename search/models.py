from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from pgvector.django import VectorField


class Passage(models.Model):
    """A searchable piece of a publication, with where it sits in the record's field."""

    publication = models.ForeignKey(
        "defpub.Publication", on_delete=models.CASCADE, related_name="passages"
    )
    field = models.CharField(max_length=16)  # title, abstract, feature, description
    lang = models.CharField(max_length=2)  # en, zh
    ordinal = models.PositiveIntegerField(default=0)  # feature number, paragraph number
    start = models.PositiveIntegerField()  # offsets in record[field][lang] (or features[n])
    end = models.PositiveIntegerField()
    text = models.TextField()
    tsv = SearchVectorField()
    length = models.PositiveIntegerField(db_default=0)  # tokens in tsv, for BM25's normalisation
    # Copied from the publication so that filters run inside the index scans.
    published_at = models.DateTimeField()
    ipc = ArrayField(models.CharField(max_length=32), default=list)
    source_date = models.DateField(null=True, blank=True)  # record["source_date"], if declared

    class Meta:
        indexes = [
            GinIndex(fields=["tsv"], name="passage_tsv_gin"),
            models.Index(fields=["published_at"], name="passage_published_at"),
        ]

    def __str__(self) -> str:
        return f"{self.publication_id}:{self.field}:{self.lang}:{self.ordinal}"


class PassageVector(models.Model):
    """A passage's embedding by one model; several models can coexist during a reindex."""

    pk = models.CompositePrimaryKey("passage", "model")
    passage = models.ForeignKey(Passage, on_delete=models.CASCADE, related_name="vectors")
    model = models.CharField(max_length=64)
    # Untyped, so models of any dimension fit; each model gets its own partial HNSW index
    # over embedding::vector(<dim>) (see search/vector_index.py).
    embedding = VectorField()
    # Copied from the passage so that filtered nearest-neighbour scans need no join.
    publication = models.ForeignKey("defpub.Publication", on_delete=models.CASCADE,
                                    related_name="+")
    lang = models.CharField(max_length=2)
    published_at = models.DateTimeField()
    ipc = ArrayField(models.CharField(max_length=32), default=list)
    source_date = models.DateField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.passage_id}@{self.model}"


class TermStat(models.Model):
    """How many passages of a language hold a lexeme (BM25's document frequency). Kept exact
    in each indexing transaction (search.services); `rebuild_term_stats` recomputes it."""

    pk = models.CompositePrimaryKey("lang", "lexeme")
    lang = models.CharField(max_length=2)
    lexeme = models.TextField()
    df = models.IntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.lang}:{self.lexeme}={self.df}"


class CorpusStat(models.Model):
    """Passages and tokens per language: BM25's N and average passage length."""

    lang = models.CharField(max_length=2, primary_key=True)
    passages = models.BigIntegerField(default=0)
    tokens = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.lang}: {self.passages} passages"


class IndexStatus(models.TextChoices):
    QUEUED = "queued"
    INDEXED = "indexed"
    FAILED = "failed"


class IndexState(models.Model):
    """Where a publication stands in the indexing pipeline (publications never change)."""

    publication = models.OneToOneField(
        "defpub.Publication", primary_key=True, on_delete=models.CASCADE, related_name="index"
    )
    status = models.CharField(max_length=8, choices=IndexStatus.choices,
                              default=IndexStatus.QUEUED)
    models_done = ArrayField(models.CharField(max_length=64), default=list)
    passages = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)
    queued_at = models.DateTimeField(auto_now_add=True)
    indexed_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "queued_at"], name="indexstate_status")]

    def __str__(self) -> str:
        return f"{self.publication_id}: {self.status}"


class SavedQuery(models.Model):
    """A search submitted from the web page, kept so that its result page has a short
    permanent URL (/search/q/<key>) however long the text. The same text and filters always
    get the same key (by digest)."""

    key = models.CharField(max_length=16, primary_key=True)  # random, unguessable
    digest = models.CharField(max_length=64, unique=True)  # SHA-256 of the text and filters
    text = models.TextField()
    filters = models.JSONField(default=dict)  # before, ipc, lang, date_field as submitted
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
