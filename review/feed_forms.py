"""The upload page's form: a weekly file checked by its content, never by its name."""

import magic
from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from review.feeds import safe_file_name
from review.services import FORMATS

SNIFF_BYTES = 65536
FORM_MARGIN = 64 * 1024  # bytes of a multipart body besides the file
TEXT_TYPES = {"application/xml", "application/json", "application/x-ndjson"}
FORMAT_LABELS = {"auto": _("Detect from the content"), "jsonl": _("JSON lines"),
                 "uspto": _("USPTO application XML"), "epo": _("EPO publication XML"),
                 "cnipa": _("CNIPA XML (ST.36)")}


class FeedUploadForm(forms.Form):
    file = forms.FileField(label=_("Weekly file"), allow_empty_file=True,
                           help_text=_("XML (one or many documents) or JSON lines."))
    fmt = forms.ChoiceField(label=_("Format"), initial="auto",
                            choices=[(key, FORMAT_LABELS[key]) for key in FORMATS])
    screen = forms.BooleanField(label=_("Screen after import"), required=False, initial=True)

    def clean(self):
        cleaned = super().clean()
        upload, fmt = cleaned.get("file"), cleaned.get("fmt")
        if upload is None or fmt is None:
            return cleaned
        if upload.size > settings.WATCH_FEED_MAX_UPLOAD_BYTES:
            raise self.too_large_error()
        upload.seek(0)
        kind = sniff(upload.read(SNIFF_BYTES))
        upload.seek(0)
        if kind is None:
            raise forms.ValidationError(
                _("The file is neither XML nor JSON lines (its content was checked, not its "
                  "name)."), code="unsupported_type")
        if (fmt == "jsonl") != (kind == "jsonl"):
            raise forms.ValidationError(
                _("The content is %(kind)s, not the format chosen."), code="format_mismatch",
                params={"kind": _("XML") if kind == "xml" else _("JSON lines")})
        cleaned["kind"] = kind
        cleaned["display_name"] = safe_file_name(upload.name or "")
        return cleaned


    @staticmethod
    def too_large_error() -> forms.ValidationError:
        return forms.ValidationError(
            _("The file is larger than the limit of %(limit)s; drop larger weekly files "
              "in the feed folder instead."), code="too_large",
            params={"limit": filesizeformat(settings.WATCH_FEED_MAX_UPLOAD_BYTES)})


def too_large(request) -> bool:
    """Whether the request's body cannot hold a file within the limit (the form's fields
    need far less than this margin)."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False
    return length > settings.WATCH_FEED_MAX_UPLOAD_BYTES + FORM_MARGIN


def sniff(head: bytes) -> str | None:
    """"xml" or "jsonl" when the file's first bytes look like one, else None: text (no NUL,
    a text type to libmagic) starting with "<" or "{" (after a BOM and blank space)."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text or b"\0" in head:
        return None
    media_type = magic.from_buffer(head[:8192], mime=True)
    if not (media_type.startswith("text/") or media_type in TEXT_TYPES):
        return None
    if (text.startswith(b"<") and text[1:2].isalpha()) or text[:2] in (b"<?", b"<!"):
        return "xml"
    if text.startswith(b"{") and _utf8(head):
        return "jsonl"
    return None


def _utf8(head: bytes) -> bool:
    for cut in range(4):  # the sample may end inside a character
        try:
            head[: len(head) - cut].decode("utf-8")
            return True
        except UnicodeDecodeError:
            continue
    return False
