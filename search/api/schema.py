"""OpenAPI post-processing for /api/v1/: the quota headers every response carries, and the
problem+json errors any operation can return (405, 406), which views do not declare."""

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
    "406": "None of the Accept media types can be served (use JSON or a citation format).",
}


def api_responses(result, generator, request, public):
    for path, operations in result.get("paths", {}).items():
        if not path.startswith(API_PREFIX):
            continue
        for operation in operations.values():
            responses = operation["responses"]
            for status, description in COMMON_ERRORS.items():
                responses.setdefault(status, {
                    "description": description,
                    "content": {PROBLEM_TYPE: {"schema": PROBLEM_REF}},
                })
            for status, response in responses.items():
                headers = response.setdefault("headers", {})
                headers.update(QUOTA_HEADERS)
                if status == "429":
                    headers.update(RETRY_AFTER)
    return result
