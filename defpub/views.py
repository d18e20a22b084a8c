from pathlib import Path

from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.cache import patch_vary_headers
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from defpub import health
from defpub.problems import problem_response


@require_GET
def home(request):
    return render(request, "defpub/home.html")


@require_GET
def about(request):
    return render(request, "defpub/about.html")


FAVICON = Path(__file__).resolve().parent / "static" / "defpub" / "favicon.ico"


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page says; pages link the SVG."""
    response = HttpResponse(FAVICON.read_bytes(), content_type="image/x-icon")
    response["Cache-Control"] = "public, max-age=86400"
    return response


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
    return render(request, "404.html", {"missing_number": _publication_number(request.path)},
                  status=404)


def _publication_number(path: str) -> str | None:
    """The number a visitor typed after /p/, shown back to them (the template escapes it)."""
    if not path.startswith("/p/"):
        return None
    return path[3:].split("/")[0].removesuffix(".json").removesuffix(".pdf")[:40] or None


def server_error(request):
    if _machine(request):
        return problem_response(status=500, title="Internal Server Error",
                                detail="Something failed on our side; it has been logged.")
    # No RequestContext: a failing context processor (database, session) must not break
    # the page that reports the failure. The language LocaleMiddleware chose still applies.
    try:
        body = loader.get_template("500.html").render()
    except Exception:  # the last resort must answer something
        return defaults.server_error(request)
    return HttpResponseServerError(body)
