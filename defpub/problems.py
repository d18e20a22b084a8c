"""RFC 9457 problem details for every error of the JSON endpoints."""

from django.http import Http404, JsonResponse
from rest_framework import exceptions
from rest_framework.response import Response
from rest_framework.views import exception_handler

PROBLEM_TYPE = "application/problem+json"


def problem_response(*, status: int, title: str, detail: str = "", **extra) -> JsonResponse:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return JsonResponse(body, status=status, content_type=PROBLEM_TYPE,
                        json_dumps_params={"ensure_ascii": False})


def problem_exception_handler(exc, context):
    """DRF's handler, reshaped as problem+json; field errors go in `errors`."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        return None
    status = response.status_code
    data = response.data
    body = {"type": "about:blank", "title": _title(exc, status), "status": status}
    if isinstance(data, dict) and set(data) == {"detail"}:
        body["detail"] = str(data["detail"])
    else:
        body["detail"] = "The request has invalid parameters."
        body["errors"] = data if isinstance(data, dict) else {"non_field_errors": data}
    problem = Response(body, status=status, headers=dict(response.items()))
    problem.content_type = PROBLEM_TYPE
    return problem


def _title(exc, status: int) -> str:
    from http import HTTPStatus

    if isinstance(exc, exceptions.APIException):
        return HTTPStatus(status).phrase
    return "Error"
