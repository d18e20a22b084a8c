"""Public ledger endpoints: checkpoints, inclusion proofs, consistency proofs, the key.
Errors are problem+json (defpub/machine_api.py); the OpenAPI schema documents each answer."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from defpub.ledger import keys
from defpub.ledger.selectors import (
    b64,
    checkpoint_covering,
    checkpoint_of_size,
    consistency,
    latest_checkpoint,
    publication_by_number,
    publication_proof,
)
from defpub.machine_api import (
    NUMBER,
    MachineView,
    PlainTextRenderer,
    ProblemSerializer,
    once,
)
from defpub.problems import PROBLEM_TYPE

MAX_SIZE = 2**63 - 1  # a tree size is a bigint
SIZE_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_SIZE}
SIZE = OpenApiParameter("size", SIZE_SCHEMA,
                        description="a checkpoint's tree size; default: latest")
NOTE = OpenApiResponse(OpenApiTypes.STR, description="C2SP tlog-checkpoint signed note")
INVALID = {(400, PROBLEM_TYPE): OpenApiResponse(
    ProblemSerializer, description="Invalid parameters; `errors` names each field.")}


def not_found(description: str) -> dict:
    return {(404, PROBLEM_TYPE): OpenApiResponse(ProblemSerializer, description=description)}


class CheckpointSerializer(serializers.Serializer):
    size = serializers.IntegerField()
    root = serializers.CharField(help_text="base64 Merkle tree hash (RFC 9162)")
    note = serializers.CharField(help_text="the signed note, as served in text/plain")
    created_at = serializers.DateTimeField()
    timestamp_token = serializers.CharField(allow_null=True,
                                            help_text="base64 RFC 3161 token over the note")


class ProofSerializer(serializers.Serializer):
    number = serializers.CharField()
    origin = serializers.CharField()
    leaf_index = serializers.IntegerField()
    leaf_hash = serializers.CharField()
    tree_size = serializers.IntegerField()
    inclusion_proof = serializers.ListField(child=serializers.CharField())
    checkpoint = serializers.CharField()


class ConsistencySerializer(serializers.Serializer):
    first = serializers.IntegerField()
    second = serializers.IntegerField()
    proof = serializers.ListField(child=serializers.CharField())


def _size_param(request, name: str, *, required: bool = False) -> int | None:
    raw = once(request.query_params, name)
    if raw is None:
        if required:
            raise ValidationError({name: [_("This parameter is required.")]})
        return None
    digits = raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_SIZE))
    if not digits or not 1 <= int(raw) <= MAX_SIZE:
        raise ValidationError({name: [_("A tree size: a whole number from 1.")]})
    return int(raw)


class LedgerView(MachineView):
    """Public and the same for everyone: no session, no quota."""

    authentication_classes = []
    permission_classes = [AllowAny]
    renderer_classes = [JSONRenderer]


class CheckpointView(LedgerView):
    """The latest signed checkpoint, or the one of `size`: text/plain, or JSON (?format=json)."""

    renderer_classes = [PlainTextRenderer, JSONRenderer]

    @extend_schema(
        parameters=[SIZE, OpenApiParameter(
            "format", str, enum=["text", "json"],
            description="text (default): the signed note as text/plain; json: the note with "
                        "its root, date and RFC 3161 token.")],
        responses={(200, "text/plain"): NOTE, (200, "application/json"): CheckpointSerializer,
                   **INVALID,
                   **not_found("Nothing has been published yet, or no checkpoint has this "
                               "size.")})
    def get(self, request):
        size = _size_param(request, "size")
        checkpoint = (checkpoint_of_size(size) if size is not None
                      else latest_checkpoint())
        if checkpoint is None:
            raise NotFound(_("No checkpoint of that size.") if size is not None
                           else _("Nothing has been published yet."))
        if request.accepted_renderer.format == "json":
            return Response(CheckpointSerializer({
                "size": checkpoint.size, "root": b64(bytes(checkpoint.root)),
                "note": checkpoint.note, "created_at": checkpoint.created_at,
                "timestamp_token": b64(bytes(checkpoint.timestamp_token))
                if checkpoint.timestamp_token else None,
            }).data)
        return Response(checkpoint.note)


class ProofView(LedgerView):
    """Inclusion proof of a publication in a checkpoint (default: the latest)."""

    @extend_schema(parameters=[NUMBER, SIZE], responses={
        200: ProofSerializer, **INVALID,
        **not_found("No publication has this number, no checkpoint has this size, or the "
                    "checkpoint predates the publication.")})
    def get(self, request, number: str):
        publication = publication_by_number(number)
        size = _size_param(request, "size")
        checkpoint = checkpoint_covering(publication.leaf_index, size)
        if size is None and (checkpoint is None or checkpoint.size <= publication.leaf_index):
            # A GET never signs: the task queued after publishing (and beat) signs the next one.
            raise NotFound(f"Pending: no signed checkpoint holds leaf {publication.leaf_index} "
                           "yet; try again shortly.")
        if checkpoint is None:
            raise NotFound(_("No checkpoint of that size."))
        if checkpoint.size <= publication.leaf_index:
            # A proof that cannot exist: the resource is missing, not the request malformed.
            raise NotFound(_("Checkpoint %(size)s predates leaf %(leaf)s; ask for a later one.")
                           % {"size": checkpoint.size, "leaf": publication.leaf_index})
        return Response({"number": publication.number,
                         **publication_proof(publication, checkpoint)})


class ConsistencyView(LedgerView):
    """Consistency proof between two checkpoints: the older tree is a prefix of the newer."""

    @extend_schema(parameters=[
        OpenApiParameter("first", SIZE_SCHEMA, required=True,
                         description="the older checkpoint's tree size"),
        OpenApiParameter("second", SIZE_SCHEMA,
                         description="the newer one's; default: the latest checkpoint"),
    ], responses={200: ConsistencySerializer, **INVALID,
                  **not_found("Nothing has been published yet, no checkpoint has one of these "
                              "sizes, or first is larger than second (no proof runs "
                              "backwards).")})
    def get(self, request):
        first = _size_param(request, "first", required=True)
        second = _size_param(request, "second")
        latest = latest_checkpoint()
        if latest is None:
            raise NotFound(_("Nothing has been published yet."))
        second = latest.size if second is None else second
        for size in (first, second):
            if checkpoint_of_size(size) is None:
                raise NotFound(_("No checkpoint of size %(size)s.") % {"size": size})
        if first > second:
            raise NotFound(_("No consistency proof runs from a larger tree to a smaller one; "
                             "first must not exceed second."))
        return Response(consistency(first, second))


class PublicKeyView(LedgerView):
    """The ledger's Ed25519 verifier key in note format (`<origin>+<key id>+<base64 key>`).

    With `all`, also the retired keys that signed older checkpoints, one per line.
    """

    include_retired = False
    renderer_classes = [PlainTextRenderer]

    @extend_schema(responses={(200, "text/plain"): OpenApiResponse(
        OpenApiTypes.STR, description="One verifier key per line.")})
    def get(self, request):
        lines = keys.all_verifier_keys() if self.include_retired else [keys.verifier_key()]
        return Response("\n".join(lines) + "\n")
