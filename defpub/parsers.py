"""JSON request bodies, bounded. Python's parser recurses once per nesting level (a body of
100,000 "[" raised RecursionError, a 500), turns 1e999999 into infinity, and takes numbers
of any length; here every such body is a 400 problem, and a body too large to hold is a 413,
before anything is parsed."""

import json
import math

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.parsers import BaseParser

MAX_BODY_BYTES = 1_048_576  # the longest valid search (20,000 characters, escaped) is ~240 kB
MAX_DEPTH = 20  # our bodies are one object of scalars; generous for any future field
MAX_NUMBER_CHARS = 40  # any int64 or double is shorter


class BodyTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "body_too_large"


class _Refused(ValueError):
    pass


def _int(text: str) -> int:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(_("A number in the body is longer than %(limit)s characters.")
                       % {"limit": MAX_NUMBER_CHARS})
    return int(text)


def _finite_float(text: str) -> float:
    if len(text) > MAX_NUMBER_CHARS:
        raise _Refused(_("A number in the body is longer than %(limit)s characters.")
                       % {"limit": MAX_NUMBER_CHARS})
    value = float(text)
    if not math.isfinite(value):
        raise _Refused(_("A number in the body is too large."))
    return value


def _constant(name: str):
    raise _Refused(_("%(name)s is not JSON.") % {"name": name})


def _depth(value) -> int:
    """How deeply arrays and objects nest in a parsed body (iteratively: no recursion)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            depth += 1
            deepest = max(deepest, depth)
            stack.extend((child, depth) for child in
                         (item.values() if isinstance(item, dict) else item))
    return deepest


class BoundedJSONParser(BaseParser):
    media_type = "application/json"

    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_BODY_BYTES + 1)
        if len(raw) > MAX_BODY_BYTES:
            raise BodyTooLarge(_("The body is larger than %(limit)s bytes.")
                               % {"limit": f"{MAX_BODY_BYTES:,}"})
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise exceptions.ParseError(_("The body is not valid UTF-8.")) from None
        too_deep = exceptions.ParseError(
            _("The body nests arrays or objects more than %(limit)s levels deep.")
            % {"limit": MAX_DEPTH})
        try:
            data = json.loads(text, parse_int=_int, parse_float=_finite_float,
                              parse_constant=_constant)
        except RecursionError:
            raise too_deep from None
        except _Refused as error:
            raise exceptions.ParseError(str(error)) from None
        except ValueError as error:
            raise exceptions.ParseError(
                _("The body is not valid JSON: %(error)s") % {"error": error}) from None
        if _depth(data) > MAX_DEPTH:
            raise too_deep
        return data
