"""Checks on text that people type and that the system repeats elsewhere (e-mail subjects
and headers, PDF and HTML titles)."""

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Joiners that some scripts (Persian, Indic) and emoji sequences need in ordinary names.
_ALLOWED_FORMAT = frozenset({"\u200c", "\u200d"})
# Cc: control characters (CR, LF, TAB, NUL…); Cf: invisible format characters such as the
# bidirectional overrides that make a name read backwards; Zl/Zp: Unicode line breaks.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp"})


def control_characters(text: str) -> list[str]:
    """The refused characters in `text`, each once, as U+XXXX."""
    found = []
    for char in text:
        if char in _ALLOWED_FORMAT or unicodedata.category(char) not in _REFUSED_CATEGORIES:
            continue
        code = f"U+{ord(char):04X}"
        if code not in found:
            found.append(code)
    return found


def validate_no_control_characters(value: str) -> None:
    """A model and form validator: names may not hold line breaks or invisible controls."""
    found = control_characters(value or "")
    if found:
        raise ValidationError(
            _("Use letters, digits, spaces and punctuation only: line breaks and invisible "
              "control characters (%(found)s) are not allowed."),
            code="control_characters",
            params={"found": ", ".join(found[:5])},
        )


def single_line(text: str) -> str:
    """`text` with every refused character replaced by a space: safe for a mail header even
    when it was stored before the validator existed."""
    cleaned = "".join(
        " " if char not in _ALLOWED_FORMAT and unicodedata.category(char) in _REFUSED_CATEGORIES
        else char
        for char in text
    )
    return " ".join(cleaned.split())
