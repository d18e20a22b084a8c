"""The panel's pages, under /review/ (every view is panel_required: 404 for anyone else)."""

from django.urls import path

from review import feed_views, views

app_name = "review"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("cases/<int:pk>/", views.case_page, name="case"),
    path("cases/<int:pk>/status", views.case_status, name="case-status"),
    path("cases/<int:pk>/notes", views.case_notes, name="case-notes"),
    path("filings/", views.filing_list, name="filings"),
    path("filings/<int:pk>/", views.filing_page, name="filing"),
    path("filings/<int:pk>/open-case", views.filing_open_case, name="filing-open-case"),
    path("filings/<int:pk>/rescreen", views.filing_rescreen, name="filing-rescreen"),
    path("upload/", feed_views.feed_upload, name="feed-upload"),
    path("feeds/", feed_views.feeds, name="feeds"),
    path("feeds/<int:pk>/", feed_views.feed, name="feed"),
    path("feeds/<int:pk>/progress", feed_views.feed_progress, name="feed-progress"),
]
