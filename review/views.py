"""The panel's pages (docs/watch.md, "The panel's pages"). Every view is wrapped first by
`panel_required`, so anyone who is not a panelist gets 404 whatever the method or the id.
htmx requests to the actions get the section they change; plain form posts are redirected
back to the page (or get it whole with the refusal, 409)."""

from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from review import panel_selectors as panel
from review.access import panel_required
from review.cases import CaseError, case_open, case_set_notes, case_set_status
from review.feed_selectors import feeds_recent, feeds_running
from review.forms import CaseFilterForm, FilingFilterForm, NotesForm, StatusForm
from review.services import filing_screen_queue

PER_PAGE = 25


def _htmx(request) -> bool:
    return bool(request.headers.get("HX-Request"))


def _vary(response):
    patch_vary_headers(response, ["HX-Request"])
    return response


@panel_required
@require_GET
def dashboard(request):
    filters = CaseFilterForm(request.GET)
    values = filters.values()
    page = Paginator(panel.cases_for_dashboard(**values), PER_PAGE).get_page(
        request.GET.get("page"))
    rows = [(case, panel.best_candidate(case.filing), panel.status_label(case.status))
            for case in page]
    feeds = list(feeds_recent(limit=5))
    return render(request, "review/dashboard.html", {
        "filters": filters, "page": page, "rows": rows, "counts": panel.case_counts(),
        "offices": panel.case_offices(), "statuses": panel.STATUS_LABELS.items(),
        "query": _query(values), "feeds": feeds, "feeds_running": feeds_running(feeds)})


def _query(values: dict) -> str:
    """The valid filters, for the page links (garbage in the address is not carried on)."""
    return urlencode({name: value for name, value in values.items() if value})


@panel_required
@require_GET
def case_page(request, pk: int):
    case = panel.case_for_panel(pk=pk)
    return _case_response(request, case)


def _case_response(request, case, *, section="review/case.html", status=200, **extra):
    """The case page, or one of its sections for htmx; `extra` carries a form with its
    errors, a refusal (status_refusal, notes_refusal) or notes_saved."""
    context = {
        "case": case, "filing": case.filing, "status_label": panel.status_label(case.status),
        "next_statuses": panel.next_statuses(case), "status_form": StatusForm(),
        "notes_form": NotesForm(initial={"notes": case.notes}), "back": "case", **extra}
    if section == "review/case.html":
        context["evidence"] = panel.case_evidence(case)
    return _vary(render(request, section, context, status=status))


@panel_required
@require_POST
def case_status(request, pk: int):
    case = panel.case_for_panel(pk=pk)
    form = StatusForm(request.POST)
    section = "review/_case_status.html" if _htmx(request) else "review/case.html"
    if not form.is_valid():
        return _case_response(request, case, status_form=form, status=400, section=section)
    try:
        case = case_set_status(case=case, status=form.cleaned_data["status"], actor=request.user,
                               reason=form.cleaned_data["reason"])
    except CaseError as error:
        return _case_response(request, case, status_form=form, status_refusal=str(error),
                              status=409, section=section)
    if _htmx(request):
        return _case_response(request, case, section=section)
    messages.success(request, _("The case is now %(status)s.")
                     % {"status": panel.status_label(case.status)})
    return redirect("review:case", pk=case.pk)


@panel_required
@require_POST
def case_notes(request, pk: int):
    case = panel.case_for_panel(pk=pk)
    form = NotesForm(request.POST)
    section = "review/_case_notes.html" if _htmx(request) else "review/case.html"
    if not form.is_valid():
        return _case_response(request, case, notes_form=form, status=400, section=section)
    try:
        case = case_set_notes(case=case, notes=form.cleaned_data["notes"], actor=request.user)
    except CaseError as error:
        return _case_response(request, case, notes_form=form, notes_refusal=str(error),
                              status=409, section=section)
    if _htmx(request):
        return _case_response(request, case, section=section, notes_saved=True)
    messages.success(request, _("Notes saved."))
    return redirect("review:case", pk=case.pk)


@panel_required
@require_GET
def filing_list(request):
    filters = FilingFilterForm(request.GET)
    values = filters.values()
    page = Paginator(panel.filings_for_panel(number=values["q"], office=values["office"]),
                     PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "review/filings.html", {
        "filters": filters, "page": page, "offices": panel.filing_offices(),
        "query": _query(values)})


@panel_required
@require_GET
def filing_page(request, pk: int):
    filing = panel.filing_for_panel(pk=pk)
    return render(request, "review/filing.html", {
        "filing": filing, "case": panel.filing_case(filing),
        "claims": panel.filing_claims(filing)})


@panel_required
@require_POST
def filing_open_case(request, pk: int):
    filing = panel.filing_for_panel(pk=pk)
    case = case_open(filing=filing, actor=request.user)
    return redirect("review:case", pk=case.pk)


@panel_required
@require_POST
def filing_rescreen(request, pk: int):
    filing = panel.filing_for_panel(pk=pk)
    filing_screen_queue(filing=filing, by=request.user)
    if _htmx(request):
        return _vary(render(request, "review/_rescreen.html", {
            "filing": filing, "queued": True, "back": request.POST.get("back", "")[:10]}))
    messages.success(request, _("Re-screening queued. The evidence updates when it is done; "
                                "the case's status and notes stay as they are."))
    case = panel.filing_case(filing)
    if case and request.POST.get("back") == "case":
        return redirect("review:case", pk=case.pk)
    return redirect("review:filing", pk=pk)
