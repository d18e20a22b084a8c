from django.urls import path, re_path

from search import views, web_exports

urlpatterns = [
    path("search", views.search_page, name="search"),
    re_path(r"^search/q/(?P<key>[0-9a-z]{1,16})$", views.saved_search_page, name="search-saved"),
    path("search/export.<str:fmt>", web_exports.search_export, name="search-export"),
    path("search/quota", web_exports.quota_page, name="search-quota"),
]
