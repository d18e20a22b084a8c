"""What the examiner API accepts and returns. The response serializers also document the
JSON in the OpenAPI schema; field names are a contract (docs/api.md)."""

from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from defpub.machine_api import ProblemSerializer  # noqa: F401  (part of this module's API)
from search.forms import MAX_QUERY

MAX_LIMIT = 100
# Any GET within these bounds stays under MAX_URI_BYTES however it is percent-encoded (a
# character is at most 12 bytes: %F0%9F%98%80), so only an invalid GET can be too long.
MAX_GET_TEXT = 600
MAX_CURSOR = 200
# DRF refuses NUL in text; as a pattern the schema says so too.
NO_NUL = RegexValidator(r"^[^\x00]*$", _("Null characters are not allowed."))
CURSOR_CHARS = RegexValidator(r"^[A-Za-z0-9_.:-]+$", _("This is not a cursor DefPub made."))
IPC_PREFIX = RegexValidator(r"^[A-Za-z0-9 /]*$",
                            _("Use only letters, digits, spaces and “/”, e.g. H04L 9/32."))


def encodable(text: str) -> None:
    """JSON may carry lone surrogates (\\ud800); no database or model takes them."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise serializers.ValidationError(_("The text is not valid Unicode.")) from None


class Strict:
    """A query parameter given empty (`?before=`) is an invalid value, not an absent one
    (DRF's default for form input), so the API answers what the schema says."""

    def get_value(self, dictionary):
        return dictionary.get(self.field_name, serializers.empty)


class DateField(Strict, serializers.DateField):
    pass


class IntegerField(Strict, serializers.IntegerField):
    pass


class ChoiceField(Strict, serializers.ChoiceField):
    pass


class TextField(Strict, serializers.CharField):
    """A string, strictly: JSON numbers and booleans are refused rather than turned into text,
    and lengths count what was sent (not trimmed first), as the schema's maxLength does."""

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)
        if NO_NUL in self.validators:  # one message for a NUL, not DRF's as well
            self.validators = [v for v in self.validators
                               if not isinstance(v, ProhibitNullCharactersValidator)]

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class FiltersSerializer(serializers.Serializer):
    before = DateField(
        required=False,
        help_text="Only documents published strictly before this date (UTC), e.g. the "
                  "priority date: YYYY-MM-DD.")
    ipc = TextField(
        required=False, max_length=16, validators=[IPC_PREFIX],
        help_text="An IPC/CPC prefix: H04L, H04L 9, H04L 9/32.")
    lang = ChoiceField(
        choices=["en", "zh"], required=False,
        help_text="Only passages in this language: en or zh.")
    limit = IntegerField(
        required=False, default=20, min_value=1, max_value=MAX_LIMIT,
        help_text=f"Results per page, 1–{MAX_LIMIT}.")
    cursor = TextField(
        required=False, max_length=MAX_CURSOR, validators=[CURSOR_CHARS],
        help_text="`next_cursor` from the previous page, sent with the same query. One "
                  "that DefPub did not make, or made for another query, gets a 404.")

    def to_internal_value(self, data):
        if hasattr(data, "getlist"):  # a query string: ?limit=500&limit=5 is not half-read
            repeated = {name: [_("Give this parameter only once.")]
                        for name in self.fields if len(data.getlist(name)) > 1}
            if repeated:
                raise serializers.ValidationError(repeated)
        return super().to_internal_value(data)

    def validate_ipc(self, value: str) -> str:
        return " ".join(value.split()).upper()


class SearchQuerySerializer(FiltersSerializer):
    text = TextField(
        max_length=MAX_QUERY, validators=[NO_NUL, encodable],
        help_text="A short query or whole claims, in English or Chinese "
                  f"(at most {MAX_QUERY:,} characters; long text is split and merged).")


class SearchGetSerializer(SearchQuerySerializer):
    text = TextField(
        max_length=MAX_GET_TEXT, validators=[NO_NUL, encodable],
        error_messages={"max_length": _("At most {max_length} characters in a GET; send "
                                        "longer text with POST.")},
        help_text=f"A short query, in English or Chinese (at most {MAX_GET_TEXT} characters "
                  f"in a GET; POST takes up to {MAX_QUERY:,}).")


class ScoresSerializer(serializers.Serializer):
    fused = serializers.FloatField(required=False, help_text=(
        "What ranks the results: its best passage's score, on one scale for both languages "
        "(a record gains nothing from a second language or more passages)."))
    dense = serializers.FloatField(allow_null=True, help_text="Cosine similarity, −1 to 1.")
    lexical = serializers.FloatField(
        allow_null=True, help_text="Okapi BM25 score, 0 up (compare within one answer).")


class QueryPieceSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="Which piece of the query, from 0.")
    label = serializers.CharField(
        allow_null=True, help_text="For claims, the element the passage answers, in the "
                                   "claims' language: “claim 1, element 2”, “权利要求1，要素2”; "
                                   "null when the query was not claims.")
    text = serializers.CharField(help_text="The piece of the query as searched.")
    claim = serializers.IntegerField(allow_null=True, help_text="The claim's number, or null.")
    elements = serializers.ListField(
        child=serializers.IntegerField(),
        help_text="The element numbers within the claim, from 1 (two or more when a long "
                  "first claim's neighbouring elements were searched together); [] when the "
                  "query was not claims.")


class PassageSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="title, abstract, feature or description.")
    ordinal = serializers.IntegerField(help_text="Which feature or paragraph, from 0.")
    lang = serializers.CharField()
    start = serializers.IntegerField(help_text="Offsets of the passage in that field's text.")
    end = serializers.IntegerField()
    text = serializers.CharField()
    highlighted = serializers.CharField(
        help_text="The passage as HTML-escaped text with matches in <mark>…</mark>.")
    scores = ScoresSerializer()
    query_piece = QueryPieceSerializer(
        required=False,
        help_text="The piece of the query this passage answers best (search only). Numbered "
                  "claims are searched element by element, so for claims it names the "
                  "element.")


class TitleSerializer(serializers.Serializer):
    en = serializers.CharField(required=False)
    zh = serializers.CharField(required=False)


class ResultSerializer(serializers.Serializer):
    rank = serializers.IntegerField()
    number = serializers.CharField(help_text="DP-YYYY-NNNNNN")
    title = TitleSerializer()
    published_at = serializers.DateTimeField()
    organisation = serializers.CharField()
    ipc = serializers.ListField(child=serializers.CharField())
    url = serializers.URLField(help_text="The permanent page, /p/<number>.")
    scores = ScoresSerializer()
    passages = PassageSerializer(many=True)


class SearchResponseSerializer(serializers.Serializer):
    results = ResultSerializer(many=True)
    next_cursor = serializers.CharField(
        allow_null=True, help_text="Send it back with the same query for the next page.")
    next = serializers.URLField(allow_null=True, help_text="The next page (GET only).")


class DigestSerializer(serializers.Serializer):
    algorithm = serializers.CharField()
    canonicalization = serializers.CharField()
    value = serializers.CharField(help_text="Lowercase hex SHA-256 of the canonical record.")


class LedgerSerializer(serializers.Serializer):
    origin = serializers.CharField()
    leaf_index = serializers.IntegerField()
    leaf_hash = serializers.CharField()
    checkpoint = serializers.CharField(
        allow_null=True, help_text="The signed checkpoint note; null until the next one.")
    tree_size = serializers.IntegerField(allow_null=True)
    inclusion_proof = serializers.ListField(child=serializers.CharField(), allow_null=True)


class FileSerializer(serializers.Serializer):
    sha256 = serializers.CharField()
    name = serializers.CharField()
    url = serializers.URLField()


class LinksSerializer(serializers.Serializer):
    html = serializers.URLField()
    json = serializers.URLField()
    pdf = serializers.URLField()


class PublicationSerializer(serializers.Serializer):
    number = serializers.CharField()
    url = serializers.URLField()
    published_at = serializers.CharField(help_text="UTC, RFC 3339: 2026-11-24T23:30:05Z.")
    digest = DigestSerializer()
    record = serializers.DictField(
        help_text="The canonical record (docs/canonical-form.md); SHA-256 of its RFC 8785 "
                  "bytes is `digest.value`.")
    ledger = LedgerSerializer()
    corrects = serializers.CharField(allow_null=True)
    corrected_by = serializers.ListField(child=serializers.CharField())
    files = FileSerializer(many=True)
    links = LinksSerializer()
    citation = serializers.CharField(help_text="A WIPO ST.14-style NPL citation.")
