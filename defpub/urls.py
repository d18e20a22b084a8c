from django.contrib import admin
from django.urls import include, path

from defpub.views import system

urlpatterns = [
    path("", system.home, name="home"),
    path("healthz", system.healthz, name="healthz"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", include("defpub.urls_public")),
    path("", include("defpub.urls_members")),
]
