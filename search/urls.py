from django.urls import path

from search import views, web_exports

urlpatterns = [
    path("search", views.search_page, name="search"),
    path("search/export.<str:fmt>", web_exports.search_export, name="search-export"),
    path("search/quota", web_exports.quota_page, name="search-quota"),
]
