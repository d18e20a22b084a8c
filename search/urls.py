from django.urls import path, re_path

from search import views

urlpatterns = [
    path("search", views.search_page, name="search"),
    re_path(r"^search/q/(?P<key>[0-9a-z]{1,16})$", views.saved_search_page, name="search-saved"),
]
