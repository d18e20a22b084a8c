"""IPC / CPC symbols: H04L 9/32 (section, class, subclass, main group / subgroup)."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_SYMBOL = re.compile(r"^([A-HY])(\d{2})([A-Z])(?:\s*(\d{1,4})\s*/\s*(\d{2,6}))?$")


def normalise_symbol(text: str) -> str:
    """'h04l9/32' -> 'H04L 9/32'; raises ValidationError when it is not a symbol."""
    match = _SYMBOL.match(text.strip().upper())
    if not match:
        raise ValidationError(
            _("“%(code)s” is not an IPC/CPC symbol; write it like H04L 9/32 or A61K 36/00."),
            code="bad_ipc",
            params={"code": text.strip()},
        )
    section, klass, subclass, group, subgroup = match.groups()
    symbol = f"{section}{klass}{subclass}"
    return f"{symbol} {int(group)}/{subgroup}" if group else symbol


def normalise_symbols(values: list[str]) -> list[str]:
    symbols: list[str] = []
    for value in values:
        if value.strip():
            symbol = normalise_symbol(value)
            if symbol not in symbols:
                symbols.append(symbol)
    return symbols
