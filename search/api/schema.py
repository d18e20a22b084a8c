"""OpenAPI post-processing: the errors any machine operation can return, which views do not
declare (405, 406, 414; 413 and 415 where a body is taken), and for /api/v1/ the quota
headers every response carries."""

from defpub.machine_api import MAX_URI_BYTES
from defpub.parsers import MAX_BODY_BYTES
from defpub.problems import PROBLEM_TYPE

API_PREFIX = "/api/v1/"
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
QUOTA_HEADERS = {
    "RateLimit-Policy": {
        "description": 'The quota: `"key";q=600;w=60` (requests per window of w seconds; '
                       "`anonymous` without a key). draft-ietf-httpapi-ratelimit-headers.",
        "schema": {"type": "string"}},
    "RateLimit": {
        "description": 'What is left: `"key";r=599;t=42` (r requests left, t seconds until '
                       "the window ends).",
        "schema": {"type": "string"}},
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait before the next request.",
                               "schema": {"type": "integer"}}}
COMMON_ERRORS = {
    "405": "This method is not allowed here.",
    "406": "None of the Accept media types can be served.",
    "414": f"The URL (path and query) is longer than {MAX_URI_BYTES:,} bytes. Send long text "
           "with POST /api/v1/search; a GET within its parameters' limits always fits.",
}
BODY_ERRORS = {
    "413": f"The body is larger than {MAX_BODY_BYTES:,} bytes.",
    "415": "The body is not application/json.",
}


def api_responses(result, generator, request, public):
    for path, operations in result.get("paths", {}).items():
        for operation in operations.values():
            responses = operation["responses"]
            errors = {**COMMON_ERRORS, **(BODY_ERRORS if "requestBody" in operation else {})}
            for status, description in errors.items():
                responses.setdefault(status, {
                    "description": description,
                    "content": {PROBLEM_TYPE: {"schema": PROBLEM_REF}},
                })
            if not path.startswith(API_PREFIX):
                continue
            for status, response in responses.items():
                headers = response.setdefault("headers", {})
                headers.update(QUOTA_HEADERS)
                if status == "429":
                    headers.update(RETRY_AFTER)
    return result
