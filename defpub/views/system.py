from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from defpub.health import system_health


@require_GET
def home(request):
    return render(request, "defpub/home.html")


@never_cache
@require_GET
def healthz(request):
    healthy, report = system_health()
    return JsonResponse(
        report, status=200 if healthy else 503, json_dumps_params={"ensure_ascii": False}
    )
