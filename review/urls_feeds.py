"""Feed pages under /review/ (the lead joins these into review/urls.py)."""

from django.urls import path

from review import feed_views

urlpatterns = [
    path("upload/", feed_views.feed_upload, name="feed_upload"),
    path("feeds/", feed_views.feeds, name="feeds"),
    path("feeds/<int:pk>/", feed_views.feed, name="feed"),
    path("feeds/<int:pk>/progress", feed_views.feed_progress, name="feed_progress"),
]
