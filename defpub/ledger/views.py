"""Public ledger endpoints: checkpoints, inclusion proofs, consistency proofs, the key."""

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from defpub.ledger import keys
from defpub.ledger.selectors import (
    b64,
    checkpoint_covering,
    consistency,
    latest_checkpoint,
    publication_by_number,
    publication_proof,
)
from defpub.models import LedgerCheckpoint

SIZE = OpenApiParameter("size", int, description="a checkpoint's tree size; default: latest")
NOTE = OpenApiResponse(OpenApiTypes.STR, description="C2SP tlog-checkpoint signed note")


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
    raw = request.query_params.get(name)
    if raw is None:
        if required:
            raise ValidationError({name: ["This parameter is required."]})
        return None
    if not raw.isdigit():
        raise ValidationError({name: ["A tree size: a whole number."]})
    return int(raw)


class CheckpointView(APIView):
    """The latest signed checkpoint, or the one of `size`: text/plain, or JSON (?format=json)."""

    @extend_schema(parameters=[SIZE, OpenApiParameter("format", str, enum=["json"])],
                   responses={200: CheckpointSerializer, 404: OpenApiResponse(description="none")})
    def get(self, request):
        size = _size_param(request, "size")
        checkpoint = (LedgerCheckpoint.objects.filter(size=size).first() if size is not None
                      else latest_checkpoint())
        if checkpoint is None:
            raise NotFound("No checkpoint of that size." if size is not None
                           else "Nothing has been published yet.")
        if request.query_params.get("format") == "json":
            return Response(CheckpointSerializer({
                "size": checkpoint.size, "root": b64(bytes(checkpoint.root)),
                "note": checkpoint.note, "created_at": checkpoint.created_at,
                "timestamp_token": b64(bytes(checkpoint.timestamp_token))
                if checkpoint.timestamp_token else None,
            }).data)
        return HttpResponse(checkpoint.note, content_type="text/plain; charset=utf-8")


class ProofView(APIView):
    """Inclusion proof of a publication in a checkpoint (default: the latest)."""

    @extend_schema(parameters=[SIZE], responses={200: ProofSerializer})
    def get(self, request, number: str):
        publication = publication_by_number(number)
        size = _size_param(request, "size")
        checkpoint = checkpoint_covering(publication.leaf_index, size)
        if size is None and (checkpoint is None or checkpoint.size <= publication.leaf_index):
            # A GET never signs: the task queued after publishing (and beat) signs the next one.
            raise NotFound(f"Pending: no signed checkpoint holds leaf {publication.leaf_index} "
                           "yet; try again shortly.")
        if checkpoint is None:
            raise NotFound("No checkpoint of that size.")
        if checkpoint.size <= publication.leaf_index:
            raise ValidationError({"size": [f"Checkpoint {checkpoint.size} predates leaf "
                                            f"{publication.leaf_index}."]})
        return Response({"number": publication.number,
                         **publication_proof(publication, checkpoint)})


class ConsistencyView(APIView):
    """Consistency proof between two checkpoints: the older tree is a prefix of the newer."""

    @extend_schema(parameters=[
        OpenApiParameter("first", int, required=True),
        OpenApiParameter("second", int, description="default: the latest checkpoint"),
    ], responses={200: ConsistencySerializer})
    def get(self, request):
        first = _size_param(request, "first", required=True)
        second = _size_param(request, "second")
        latest = latest_checkpoint()
        if latest is None:
            raise NotFound("Nothing has been published yet.")
        second = latest.size if second is None else second
        if not 0 < first <= second:
            raise ValidationError({"first": ["Need 0 < first <= second."]})
        for size in (first, second):
            if not LedgerCheckpoint.objects.filter(size=size).exists():
                raise NotFound(f"No checkpoint of size {size}.")
        return Response(consistency(first, second))


class PublicKeyView(APIView):
    """The ledger's Ed25519 verifier key in note format (`<origin>+<key id>+<base64 key>`).

    With `all`, also the retired keys that signed older checkpoints, one per line.
    """

    include_retired = False

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.STR)})
    def get(self, request):
        lines = keys.all_verifier_keys() if self.include_retired else [keys.verifier_key()]
        return HttpResponse("\n".join(lines) + "\n", content_type="text/plain; charset=utf-8")
