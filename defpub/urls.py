from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from defpub.ledger import views as ledger
from defpub.views import system

urlpatterns = [
    path("", system.home, name="home"),
    path("healthz", system.healthz, name="healthz"),
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
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/redoc/", SpectacularRedocView.as_view(url_name="schema"), name="api-redoc"),
    path("", include("defpub.urls_public")),
    path("", include("defpub.urls_members")),
    path("", include("search.urls")),
]

handler400 = "defpub.views.system.bad_request"
handler404 = "defpub.views.system.not_found"
handler500 = "defpub.views.system.server_error"
