"""Filing a disclosure: its fields, attachments, and the review steps."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from defpub.filing.classification import normalise_symbol
from defpub.filing.models import AttachmentRole

_LINES = re.compile(r"\s*\n\s*")
_LIST = re.compile(r"\s*[\n,;，；、]\s*")  # Chinese punctuation too: people type it in IPC lists


class ListField(forms.CharField):
    """A textarea holding a list: one item per line (or per `separator`)."""

    widget = forms.Textarea(attrs={"rows": 3})

    def __init__(self, *, separator: re.Pattern = _LINES, joiner: str = "\n", **kwargs):
        kwargs.setdefault("required", False)
        self.separator, self.joiner = separator, joiner
        super().__init__(**kwargs)

    def prepare_value(self, value):
        return self.joiner.join(value) if isinstance(value, list | tuple) else value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return [item for item in self.separator.split(text.strip()) if item] if text else []


class ClassificationField(ListField):
    """IPC/CPC symbols; every bad one is named in the error."""

    def to_python(self, value) -> list[str]:
        symbols, errors = [], []
        for item in super().to_python(value):
            try:
                symbol = normalise_symbol(item)
            except ValidationError as error:
                errors.extend(error.error_list)
                continue
            if symbol not in symbols:
                symbols.append(symbol)
        if errors:
            raise ValidationError(errors)
        return symbols


class DisclosureForm(forms.Form):
    """Every field a filer edits. Each field is checked on its own, so that one bad field
    never stops the others from being saved."""

    title_en = forms.CharField(label=_("Title (English)"), max_length=500, required=False)
    title_zh = forms.CharField(label=_("Title (Chinese)"), max_length=500, required=False)
    abstract_en = forms.CharField(
        label=_("Abstract (English)"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    abstract_zh = forms.CharField(
        label=_("Abstract (Chinese)"), required=False, widget=forms.Textarea(attrs={"rows": 6})
    )
    description_en = forms.CharField(
        label=_("Description (English)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Markdown: # headings, *emphasis*, lists, tables, `code`. No HTML."),
    )
    description_zh = forms.CharField(
        label=_("Description (Chinese)"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Markdown: # headings, *emphasis*, lists, tables, `code`. No HTML."),
    )
    technical_field = forms.CharField(
        label=_("Technical field"),
        max_length=300,
        required=False,
        help_text=_("For example: water treatment; membrane filtration."),
    )
    ipc = ClassificationField(
        label=_("IPC / CPC classification"),
        separator=_LIST,
        help_text=_("One symbol per line or separated by commas, like H04L 9/32 or A61K 36/00."),
    )
    keywords = ListField(
        label=_("Keywords"),
        separator=_LIST,
        joiner=", ",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Separated by commas or one per line."),
    )
    inventors = ListField(label=_("Inventors"), help_text=_("One name per line."))
    features = ListField(
        label=_("Key technical features"),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "One feature per line, in order; they are numbered [1], [2], … and "
            "claim charts cite them by number."
        ),
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at (UTC, optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_(
            "An embargo: the disclosure is published at this time after approval. "
            "Leave empty to publish as soon as it is approved."
        ),
    )

    LANGUAGE_PAIRS = (
        ("title_en", "title_zh"),
        ("abstract_en", "abstract_zh"),
        ("description_en", "description_zh"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            lang = name.rpartition("_")[2]
            if lang in ("en", "zh"):
                field.widget.attrs["lang"] = "en" if lang == "en" else "zh-Hans"

    @classmethod
    def initial_for(cls, disclosure) -> dict:
        return {name: getattr(disclosure, name) for name in cls.base_fields}

    @classmethod
    def bound_to(cls, disclosure) -> "DisclosureForm":
        """A checked form holding the disclosure's saved values, to show errors against."""
        data = {
            name: field.prepare_value(getattr(disclosure, name))
            for name, field in cls.base_fields.items()
        }
        form = cls(data={name: value for name, value in data.items() if value is not None})
        form.is_valid()
        return form

    def clean_publish_at(self):
        publish_at = self.cleaned_data["publish_at"]
        if publish_at and publish_at <= timezone.now():
            raise ValidationError(
                _("Choose a time in the future, or leave it empty to publish on approval."),
                code="past",
            )
        return publish_at

    def valid_fields(self) -> dict:
        """The fields that were sent and passed their checks, ready for `disclosure_update`.

        A field missing from the request is left alone rather than emptied."""
        return {name: value for name, value in self.cleaned_data.items() if name in self.data}


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=_("PDF, PNG, JPEG or SVG. The content must match the file's extension."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,.svg"}),
    )
    role = forms.ChoiceField(
        label=_("Use as"), choices=AttachmentRole.choices, initial=AttachmentRole.FIGURE
    )


class ReturnForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Tell the filers what to change. It is kept in the history."),
    )


class ApproveForm(forms.Form):
    publish_at = forms.DateTimeField(
        label=_("Publish at (UTC, optional)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Leave empty to publish on approval, or on the date the filers asked for, "
                    "if any."),
    )
