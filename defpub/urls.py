from csp.decorators import csp_update
from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)

from defpub import views as system
from defpub.ledger import views as ledger

urlpatterns = [
    path("", system.home, name="home"),
    path("healthz", system.healthz, name="healthz"),
    path("about", system.about, name="about"),
    path("favicon.ico", system.favicon, name="favicon"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("ledger/checkpoint", ledger.CheckpointView.as_view(), name="ledger-checkpoint"),
    path("ledger/proof/<str:number>", ledger.ProofView.as_view(), name="ledger-proof"),
    path("ledger/consistency", ledger.ConsistencyView.as_view(), name="ledger-consistency"),
    path(".well-known/defpub-ledger-key", ledger.PublicKeyView.as_view(), name="ledger-key"),
    path(".well-known/defpub-ledger-keys",
         ledger.PublicKeyView.as_view(include_retired=True), name="ledger-keys"),
    path("api/v1/", include("search.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up script as a file (?script), so no inline
    # script is needed; Swagger UI and Redoc still write inline styles, and Redoc starts a
    # worker from a blob: URL, so these two pages alone relax style-src (and worker-src).
    path("api/docs/", csp_update({"style-src": ["'unsafe-inline'"]})(
        SpectacularSwaggerSplitView.as_view(url_name="schema")), name="api-docs"),
    path("api/redoc/", csp_update({"style-src": ["'unsafe-inline'"], "worker-src": ["blob:"]})(
        SpectacularRedocView.as_view(url_name="schema")), name="api-redoc"),
    path("", include("defpub.urls_public")),
    path("", include("defpub.urls_members")),
    path("", include("search.urls")),
    path("review/", include("review.urls")),
]

handler400 = "defpub.views.bad_request"
handler404 = "defpub.views.not_found"
handler500 = "defpub.views.server_error"
