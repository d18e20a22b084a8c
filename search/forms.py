"""The search page's parameters: q, before, date_field, ipc, lang, like, page."""

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

MAX_QUERY = 20_000
MAX_PAGE = 50  # the engine ranks a few hundred candidates; deeper pages would be empty
PUBLICATION_NUMBER = r"^[Dd][Pp]-\d{4}-\d{6}$"


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Query"),
        required=False,
        widget=forms.Textarea(
            attrs={
                "rows": 2,
                "placeholder": _("Keywords, a sentence, or whole claims (English or Chinese)"),
                "spellcheck": "false",
            }
        ),
    )
    before = forms.DateField(
        label=_("Published before"),
        required=False,
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        help_text=_(
            "Only documents published strictly before this date (UTC), e.g. the priority date."
        ),
        error_messages={"invalid": _("Enter a date as YYYY-MM-DD, e.g. 2024-03-15.")},
    )
    date_field = forms.ChoiceField(
        label=_("Date compared"),
        required=False,
        choices=[
            ("published", _("DefPub publication date")),
            ("source", _("Declared source date")),
        ],
        help_text=_(
            "The declared source date (traditional knowledge, an old catalogue) is the "
            "publisher's statement, not proven by the ledger; records without one are "
            "compared by their publication date."
        ),
    )
    ipc = forms.CharField(
        label=_("IPC/CPC prefix"),
        required=False,
        max_length=16,
        widget=forms.TextInput(
            attrs={
                "placeholder": _("e.g. H04L 9"),
                "autocapitalize": "characters",
                "spellcheck": "false",
            }
        ),
        validators=[
            RegexValidator(
                r"^[A-Za-z0-9 /]*$",
                _("Use only letters, digits, spaces and “/”, e.g. H04L 9/32."),
            )
        ],
        error_messages={"max_length": _("A classification prefix has at most 16 characters.")},
    )
    lang = forms.ChoiceField(
        label=_("Document language"),
        required=False,
        choices=[("", _("Any")), ("en", _("English")), ("zh", _("Chinese"))],
    )
    like = forms.CharField(
        required=False,
        widget=forms.HiddenInput,
        validators=[
            RegexValidator(
                PUBLICATION_NUMBER, _("This is not a publication number (DP-YYYY-NNNNNN).")
            )
        ],
    )
    page = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")  # the labels sit above short inputs
        super().__init__(*args, **kwargs)

    def clean_q(self) -> str:
        # Not max_length: the browser would silently cut a pasted claim set at the limit.
        text = self.cleaned_data["q"]
        if len(text) > MAX_QUERY:
            raise forms.ValidationError(
                _(
                    "The query has %(length)s characters; the limit is %(limit)s. Search one "
                    "claim or one part of the text at a time."
                ),
                code="too_long",
                params={"length": f"{len(text):,}", "limit": f"{MAX_QUERY:,}"},
            )
        return text

    def clean_date_field(self) -> str:
        return self.cleaned_data["date_field"] or "published"

    def clean_ipc(self) -> str:
        return " ".join(self.cleaned_data["ipc"].split()).upper()

    def clean_like(self) -> str:
        return self.cleaned_data["like"].upper()

    def clean_page(self) -> int:
        # A mangled page number in a shared URL falls back to the first page.
        try:
            page = int(self.cleaned_data["page"] or 1)
        except ValueError:
            return 1
        return min(max(page, 1), MAX_PAGE)
