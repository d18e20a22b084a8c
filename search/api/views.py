"""The examiner API, /api/v1/: search, one publication, publications like it, and their
citations (?format=ris|bibtex|csv). Anonymous callers are welcome at a lower rate."""

import hashlib
import json

from django.core import signing
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from defpub.examiners.authentication import ApiKeyAuthentication
from defpub.examiners.quotas import RedisQuota
from defpub.machine_api import NUMBER, MachineView
from defpub.models import Publication
from defpub.parsers import MAX_DEPTH, MAX_NUMBER_CHARS, BoundedJSONParser
from defpub.problems import PROBLEM_TYPE
from defpub.publications import selectors
from search import engine
from search.api import examples
from search.api import serializers as s
from search.api.citations import CITATION_RENDERERS, entry
from search.pieces import Piece
from search.selectors import publication_exists, publications_by_number

CURSOR_SALT = "defpub.api.cursor"
MAX_OFFSET = 1000  # the engine fuses a few hundred candidates; deeper pages are empty


class ApiView(MachineView):
    authentication_classes = [ApiKeyAuthentication]
    permission_classes = [AllowAny]
    throttle_classes = [RedisQuota]
    renderer_classes = [JSONRenderer, *CITATION_RENDERERS]
    parser_classes = [BoundedJSONParser]

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        quota = getattr(request, "quota", None)
        if quota is not None:
            for name, value in quota.headers().items():
                response[name] = value
        response["Access-Control-Allow-Origin"] = "*"
        return response

    def options(self, request, *args, **kwargs):
        """A CORS preflight: browsers may call the API from any page, with a key."""
        response = Response(status=204)
        response["Allow"] = response["Access-Control-Allow-Methods"] = ", ".join(
            self.allowed_methods)
        response["Access-Control-Allow-Headers"] = "Authorization, Content-Type"
        response["Access-Control-Max-Age"] = "86400"
        return response

    def citations(self, request, publications: list[Publication], extras=None, *,
                  name: str = "") -> Response:
        extras = extras or [{} for _ in publications]
        items = [entry(p, request, **extra) for p, extra in zip(publications, extras,
                                                                strict=True)]
        response = Response({"citations": items})
        name = name or publications[0].number
        suffix = {"ris": "ris", "bibtex": "bib", "csv": "csv"}[request.accepted_renderer.format]
        response["Content-Disposition"] = f'attachment; filename="{name}.{suffix}"'
        return response

    def page(self, request, query: dict, results, offset: int, *, page_url: bool,
             pieces: list[Piece] | None = None) -> Response:
        limit = query["limit"]
        more = len(results) > limit and offset + limit < MAX_OFFSET
        results = results[:limit]
        if request.accepted_renderer.format != "json":
            if not results:
                return Response({"citations": []})
            by_number = publications_by_number([r.number for r in results])
            return self.citations(
                request, [by_number[r.number] for r in results],
                [{"rank": offset + i, "score": round(r.fused, 6)}
                 for i, r in enumerate(results, start=1)], name="defpub-results")
        next_cursor = make_cursor(query, offset + limit) if more else None
        next_url = None
        if next_cursor and page_url:
            params = request.query_params.copy()
            params["cursor"] = next_cursor
            next_url = request.build_absolute_uri(request.path) + "?" + params.urlencode()
        body = {
            "results": [result_json(r, offset + i, request, pieces=pieces)
                        for i, r in enumerate(results, start=1)],
            "next_cursor": next_cursor,
            "next": next_url,
        }
        return Response(body)


def problem(status: int, description: str, *examples_) -> dict:
    return {(status, PROBLEM_TYPE): OpenApiResponse(s.ProblemSerializer, description=description,
                                                    examples=list(examples_))}


ERRORS = {
    **problem(400, "Invalid parameters; `errors` names each field.", examples.INVALID),
    **problem(401, "Unknown, revoked or expired key.", examples.UNKNOWN_KEY),
    **problem(429, "Quota used up; see Retry-After and RateLimit.", examples.THROTTLED),
}
NOT_FOUND = problem(404, "No publication has this number, or the cursor is not one DefPub "
                         "made for this query.", examples.NOT_FOUND, examples.BAD_CURSOR)
BAD_CURSOR = problem(404, "The cursor is not one DefPub made for this query.",
                     examples.BAD_CURSOR)
PUBLICATION_NOT_FOUND = problem(404, "No publication has this number.", examples.NOT_FOUND)
BAD_BODY = problem(400, "Invalid parameters (`errors` names each field), or a body that is "
                        "not a JSON object: not UTF-8, not JSON, nested more than "
                        f"{MAX_DEPTH} deep, or a number longer than {MAX_NUMBER_CHARS} "
                        "characters.", examples.INVALID)
CITATION_CONTENT = {(200, r.media_type): OpenApiTypes.STR for r in CITATION_RENDERERS}
FORMAT = OpenApiParameter(
    "format", str, enum=["json", "ris", "bibtex", "csv"],
    description="json (default), or a citation export: RIS, BibTeX or CSV.")


class SearchView(ApiView):
    @extend_schema(
        operation_id="search", parameters=[s.SearchGetSerializer, FORMAT],
        responses={(200, "application/json"): s.SearchResponseSerializer, **CITATION_CONTENT,
                   **BAD_CURSOR, **ERRORS},
        summary="Search prior art", examples=[examples.RESULTS],
        description="Ranked publications for a short query (up to 600 characters: every "
                    "valid GET fits in a URL; send whole claims with POST), with the "
                    "passages that matched and each retriever's score.",
    )
    def get(self, request):
        return self._search(request, s.SearchGetSerializer, request.query_params,
                            page_url=True)

    @extend_schema(
        operation_id="search_post", request=s.SearchQuerySerializer, parameters=[FORMAT],
        responses={(200, "application/json"): s.SearchResponseSerializer, **CITATION_CONTENT,
                   **BAD_CURSOR, **ERRORS, **BAD_BODY},
        examples=[examples.CLAIMS, examples.CLAIM_RESULTS, examples.RESULTS],
        summary="Search prior art with long text (claims)",
        description="Like GET, for text of any length. Numbered claims (“1. A device … 2. "
                    "The device of claim 1 …”, “1.一种…”) are searched element by element: "
                    "the preamble and limitations of the independent claims, and each "
                    "passage's `query_piece.label` names the element it answers (“claim 1, "
                    "element 2”).",
    )
    def post(self, request):
        if not isinstance(request.data, dict):
            raise exceptions.ParseError(_("Send a JSON object."))
        return self._search(request, s.SearchQuerySerializer, request.data, page_url=False)

    def _search(self, request, serializer_class, data, *, page_url: bool) -> Response:
        query = valid(serializer_class, data)
        offset = cursor_offset(query)
        results = engine.search(query["text"], **engine_filters(query),
                                limit=query["limit"] + 1, offset=offset)
        return self.page(request, query, results, offset, page_url=page_url,
                         pieces=engine.query_plan(query["text"]).pieces)


class PublicationView(ApiView):
    @extend_schema(
        operation_id="publication", parameters=[NUMBER, FORMAT],
        responses={(200, "application/json"): s.PublicationSerializer, **CITATION_CONTENT,
                   **PUBLICATION_NOT_FOUND, **ERRORS},
        summary="One publication: record, digest, ledger proof and citation",
        examples=[examples.PUBLICATION],
    )
    def get(self, request, number: str):
        publication = selectors.publication_by_number(number)
        if request.accepted_renderer.format != "json":
            return self.citations(request, [publication])
        document = selectors.publication_document(publication, request)
        document["citation"] = selectors.citation(publication, request)
        return Response(document)


class SimilarView(ApiView):
    @extend_schema(
        operation_id="publication_similar",
        parameters=[NUMBER, s.FiltersSerializer, FORMAT],
        responses={(200, "application/json"): s.SearchResponseSerializer, **CITATION_CONTENT,
                   **NOT_FOUND, **ERRORS},
        summary="Publications like this one (itself left out)",
        examples=[examples.RESULTS],
    )
    def get(self, request, number: str):
        number = number.upper()
        if not publication_exists(number):
            raise Http404
        query = {**valid(s.FiltersSerializer, request.query_params), "like": number}
        offset = cursor_offset(query)
        results = engine.more_like_this(number, **engine_filters(query),
                                        limit=query["limit"] + 1, offset=offset)
        return self.page(request, query, results, offset, page_url=True)


def valid(serializer_class, data) -> dict:
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def engine_filters(query: dict) -> dict:
    return {"before": query.get("before"), "ipc": query.get("ipc") or None,
            "lang": query.get("lang") or None}


def _fingerprint(query: dict) -> str:
    """Which query a cursor belongs to: everything but the cursor itself."""
    kept = {k: str(v) for k, v in query.items() if k != "cursor"}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()[:16]


def make_cursor(query: dict, offset: int) -> str:
    return signing.dumps({"o": offset, "q": _fingerprint(query)}, salt=CURSOR_SALT,
                         compress=True)


def cursor_offset(query: dict) -> int:
    """The offset a cursor points at. A cursor names a page; one we did not sign, or signed
    for another query, names no page: 404, as DRF's own CursorPagination answers."""
    token = query.get("cursor")
    if not token:
        return 0
    try:
        payload = signing.loads(token, salt=CURSOR_SALT)
    except signing.BadSignature:
        raise exceptions.NotFound(_("This cursor is not valid.")) from None
    if payload.get("q") != _fingerprint(query):
        raise exceptions.NotFound(
            _("This cursor belongs to another query; send the same parameters as for the "
              "page it came from."))
    return min(int(payload["o"]), MAX_OFFSET)


def result_json(result: engine.Result, rank: int, request, *,
                pieces: list[Piece] | None = None) -> dict:
    """One result; with the query's pieces, each passage names the piece (for claims, the
    element) it answers."""
    return {
        "rank": rank,
        "number": result.number,
        "title": result.title,
        "published_at": result.published_at.isoformat().replace("+00:00", "Z"),
        "organisation": result.organisation,
        "ipc": result.ipc,
        "url": selectors.public_url(f"/p/{result.number}", request),
        "scores": {"fused": result.fused, "dense": result.dense, "lexical": result.lexical},
        "passages": [
            {"field": p.field, "ordinal": p.ordinal, "lang": p.lang, "start": p.start,
             "end": p.end, "text": p.text, "highlighted": p.highlighted,
             "scores": {"dense": p.dense, "lexical": p.lexical},
             **({"query_piece": piece_json(pieces, p.piece)} if pieces else {})}
            for p in result.passages
        ],
    }


def piece_json(pieces: list[Piece], index: int) -> dict:
    piece = pieces[index] if 0 <= index < len(pieces) else Piece("")
    return {"index": index, "label": piece.label or None, "text": piece.text,
            "claim": piece.claim, "elements": list(piece.elements)}
