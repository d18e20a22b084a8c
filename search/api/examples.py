"""Examples shown in the OpenAPI documentation (Swagger UI and Redoc)."""

from drf_spectacular.utils import OpenApiExample

CLAIMS = OpenApiExample(
    "Claims in English", request_only=True,
    value={"text": "1. A heat pipe comprising a sealed tube and a sintered wick, wherein the "
                   "porosity of the wick decreases from the condenser to the evaporator.",
           "before": "2026-01-01", "ipc": "F28D", "limit": 10})

RESULTS = OpenApiExample(
    "An English query finding a Chinese disclosure", response_only=True, status_codes=["200"],
    value={
        "results": [{
            "rank": 1, "number": "DP-2026-000002", "title": {"zh": "超声波自清洁过滤膜"},
            "published_at": "2026-11-24T23:30:05Z", "organisation": "demo-lab",
            "ipc": ["B01D 65/02"], "url": "https://defpub.example.org/p/DP-2026-000002",
            "scores": {"fused": 0.0328, "dense": 0.8712, "lexical": 7.4118},
            "passages": [{
                "field": "abstract", "ordinal": 0, "lang": "zh", "start": 0, "end": 30,
                "text": "一种通过压电换能器发出超声脉冲来清除孔隙堵塞的陶瓷过滤膜。",
                "highlighted": "一种通过压电换能器发出<mark>超声</mark>脉冲来清除孔隙堵塞的陶瓷"
                               "<mark>过滤</mark>膜。",
                "scores": {"dense": 0.8712, "lexical": 7.4118},
            }],
        }],
        "next_cursor": "eJyrVspXsjIw0FEqBFI...:1vH4mX:abc",
        "next": "https://defpub.example.org/api/v1/search?text=ultrasonic+filter&cursor=...",
    })

CLAIM_RESULTS = OpenApiExample(
    "Claims: each passage names the element it answers", response_only=True,
    status_codes=["200"],
    value={
        "results": [{
            "rank": 1, "number": "DP-2026-000001",
            "title": {"en": "Graded-porosity heat pipe wick", "zh": "梯度孔隙热管吸液芯"},
            "published_at": "2026-11-24T23:30:05Z", "organisation": "demo-lab",
            "ipc": ["F28D 15/04"], "url": "https://defpub.example.org/p/DP-2026-000001",
            "scores": {"fused": 3.9121, "dense": 0.9312, "lexical": 11.204},
            "passages": [{
                "field": "abstract", "ordinal": 0, "lang": "en", "start": 0, "end": 81,
                "text": "A sintered copper wick whose porosity falls from the condenser to the "
                        "evaporator.",
                "highlighted": "A <mark>sintered</mark> copper <mark>wick</mark> whose "
                               "<mark>porosity</mark> falls from the <mark>condenser</mark> "
                               "to the <mark>evaporator</mark>.",
                "scores": {"dense": 0.9312, "lexical": 11.204},
                "query_piece": {
                    "index": 1, "label": "claim 1, element 2",
                    "text": "wherein the porosity of the wick decreases from the condenser "
                            "to the evaporator.",
                    "claim": 1, "elements": [2]},
            }, {
                "field": "title", "ordinal": 0, "lang": "zh", "start": 0, "end": 9,
                "text": "梯度孔隙热管吸液芯", "highlighted": "梯度孔隙<mark>热管</mark>吸液芯",
                "scores": {"dense": 0.8907, "lexical": 2.113},
                "query_piece": {
                    "index": 0, "label": "claim 1, element 1",
                    "text": "A heat pipe comprising a sealed tube and a sintered wick,",
                    "claim": 1, "elements": [1]},
            }],
        }],
        "next_cursor": None, "next": None,
    })

INVALID = OpenApiExample(
    "Invalid parameters", response_only=True, status_codes=["400"],
    value={"type": "about:blank", "title": "Bad Request", "status": 400,
           "detail": "The request has invalid parameters.",
           "errors": {"limit": ["Ensure this value is less than or equal to 100."]}})

UNKNOWN_KEY = OpenApiExample(
    "A revoked key", response_only=True, status_codes=["401"],
    value={"type": "about:blank", "title": "Unauthorized", "status": 401,
           "detail": "This API key is unknown or was revoked."})

THROTTLED = OpenApiExample(
    "Over the quota", response_only=True, status_codes=["429"],
    value={"type": "about:blank", "title": "Too Many Requests", "status": 429,
           "detail": "Request was throttled. Expected available in 37 seconds."})

NOT_FOUND = OpenApiExample(
    "No such number", response_only=True, status_codes=["404"],
    value={"type": "about:blank", "title": "Not Found", "status": 404,
           "detail": "Not found."})

BAD_CURSOR = OpenApiExample(
    "A cursor from another query", response_only=True, status_codes=["404"],
    value={"type": "about:blank", "title": "Not Found", "status": 404,
           "detail": "This cursor belongs to another query; send the same parameters as for "
                     "the page it came from."})

PUBLICATION = OpenApiExample(
    "A publication", response_only=True, status_codes=["200"],
    value={
        "number": "DP-2026-000001", "url": "https://defpub.example.org/p/DP-2026-000001",
        "published_at": "2026-11-24T23:30:05Z",
        "digest": {"algorithm": "sha256", "canonicalization": "RFC 8785",
                   "value": "5d41402abc4b2a76b9719d911017c592e6e4f1a1b2c3d4e5f60718293a4b5c6d"},
        "record": {"format": "defpub-record/1", "number": "DP-2026-000001",
                   "title": {"en": "Graded-porosity heat pipe wick", "zh": "梯度孔隙热管吸液芯"},
                   "abstract": {"en": "A sintered copper wick whose porosity falls from the "
                                      "condenser to the evaporator."},
                   "ipc": ["F28D 15/04"]},
        "ledger": {"origin": "defpub.example.org/ledger", "leaf_index": 0,
                   "leaf_hash": "q1J0...=", "checkpoint": None, "tree_size": None,
                   "inclusion_proof": None},
        "corrects": None, "corrected_by": [], "files": [],
        "links": {"html": "https://defpub.example.org/p/DP-2026-000001",
                  "json": "https://defpub.example.org/p/DP-2026-000001.json",
                  "pdf": "https://defpub.example.org/p/DP-2026-000001.pdf"},
        "citation": "demo-lab: “Graded-porosity heat pipe wick”. DefPub defensive publication "
                    "DP-2026-000001, 24 November 2026 (2026-11-24), [online]. Retrieved from "
                    "the Internet: <URL: https://defpub.example.org/p/DP-2026-000001>. "
                    "SHA-256 5d41402a….",
    })
