from django.http import JsonResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from defpub import health
from defpub.problems import problem_response


@require_GET
def home(request):
    return render(request, "defpub/home.html")


@never_cache
@require_GET
def healthz(request):
    healthy, report = health.system_health()
    body = report if health.for_operators(request) else health.public(report)
    response = JsonResponse(
        body, status=200 if healthy else 503, json_dumps_params={"ensure_ascii": False}
    )
    patch_vary_headers(response, ["Authorization"])
    return response


# Django's error pages; under /api/ (and other machine endpoints) they are problem+json.
MACHINE_PREFIXES = ("/api/", "/ledger/", "/.well-known/")


def _machine(request) -> bool:
    return request.path.startswith(MACHINE_PREFIXES)


def bad_request(request, exception=None):
    if _machine(request):
        return problem_response(status=400, title="Bad Request",
                                detail="The request could not be understood.")
    return defaults.bad_request(request, exception)


def not_found(request, exception=None):
    if _machine(request):
        return problem_response(status=404, title="Not Found",
                                detail=f"Nothing is at {request.path}.")
    return defaults.page_not_found(request, exception)


def server_error(request):
    if _machine(request):
        return problem_response(status=500, title="Internal Server Error",
                                detail="Something failed on our side; it has been logged.")
    return defaults.server_error(request)
