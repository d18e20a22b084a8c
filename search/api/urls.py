from django.urls import path

from search.api import views

urlpatterns = [
    path("search", views.SearchView.as_view(), name="api-search"),
    path("publications/<str:number>", views.PublicationView.as_view(), name="api-publication"),
    path("publications/<str:number>/similar", views.SimilarView.as_view(),
         name="api-similar"),
]
