"""Feeds for panelists: upload a weekly file, follow its progress (docs/watch.md, "Feeds").
Every page answers 404 to anyone outside the panel, before anything else."""

from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods

from review.access import panel_required
from review.feed_forms import FeedUploadForm, too_large
from review.feed_selectors import feed_get, feeds_recent, feeds_running
from review.feeds import feed_create_upload


@panel_required
@require_GET
def feeds(request):
    recent = list(feeds_recent())
    context = {"feeds": recent, "feeds_running": feeds_running(recent)}
    fragment = request.headers.get("HX-Request") and not request.headers.get(
        "HX-History-Restore-Request")
    template = "review/_feeds_progress.html" if fragment else "review/feeds.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@panel_required
@require_GET
def feed(request, pk: int):
    return render(request, "review/feed.html", {"feed": feed_get(pk=pk)})


@panel_required
@require_GET
def feed_progress(request, pk: int):
    return render(request, "review/feed_progress.html", {"feed": feed_get(pk=pk)})


@panel_required
@require_http_methods(["GET", "POST"])
def feed_upload(request):
    if request.method == "POST" and too_large(request):  # refused before it is read
        refused = FeedUploadForm.too_large_error()
        return render(request, "review/feed_upload.html",
                      {"form": FeedUploadForm(), "refused": refused.messages}, status=400)
    form = FeedUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        created = feed_create_upload(
            name=form.cleaned_data["display_name"], chunks=upload.chunks(), size=upload.size,
            fmt=form.cleaned_data["fmt"], screen=form.cleaned_data["screen"], by=request.user,
            language=translation.get_language() or "en",
            extension=".jsonl" if form.cleaned_data["kind"] == "jsonl" else ".xml")
        return redirect("review:feed", pk=created.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "review/feed_upload.html", {"form": form}, status=status)
