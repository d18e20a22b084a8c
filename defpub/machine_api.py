"""The base of DefPub's machine endpoints (the examiner API and the ledger): every error is
problem+json whatever was negotiated, a URL has a documented maximum length, and `?format=`
and each parameter are taken once and strictly."""

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework import exceptions, serializers
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.views import APIView

from defpub.problems import PROBLEM_TYPE

# What common proxies pass in a request line (nginx: 8 KiB buffers); the web server itself
# takes any length (defpub/runtime/gunicorn_conf.py), so an over-long URL gets this
# documented answer instead of a proxy's bare one. docs/api.md, "Long text".
MAX_URI_BYTES = 8000


NUMBER = OpenApiParameter(
    "number", str, OpenApiParameter.PATH, pattern=r"^[Dd][Pp]-[0-9]{4}-[0-9]{6}$",
    description="A publication number, DP-YYYY-NNNNNN (any letter case).")


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details, as every machine endpoint answers an error."""

    type = serializers.CharField()
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField(required=False)
    errors = serializers.DictField(required=False,
                                   help_text="Field name → messages, for invalid parameters.")


class ProblemRenderer(JSONRenderer):
    media_type = PROBLEM_TYPE
    format = "problem"


class PlainTextRenderer(BaseRenderer):
    media_type = "text/plain"
    format = "text"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data.encode(self.charset) if isinstance(data, str) else data


class UriTooLong(exceptions.APIException):
    status_code = 414
    default_code = "uri_too_long"
    default_detail = _("This URL is longer than %(limit)s bytes. Send long text in the body "
                       "of a POST request: POST /api/v1/search with a JSON object "
                       "{\"text\": …}.")

    def __init__(self):
        super().__init__(self.default_detail % {"limit": f"{MAX_URI_BYTES:,}"})


def once(query_params, name: str):
    """The parameter's one value, or None; given twice it is refused, not half-read."""
    values = query_params.getlist(name)
    if len(values) > 1:
        raise exceptions.ValidationError({name: [_("Give this parameter only once.")]})
    return values[0] if values else None


class Negotiation(DefaultContentNegotiation):
    def select_renderer(self, request, renderers, format_suffix=None):
        try:
            if once(request.query_params, "format") == "":
                raise Http404  # DRF would ignore an empty format; refuse it like an unknown one
            return super().select_renderer(request, renderers, format_suffix)
        except Http404:  # DRF's answer to an unknown ?format=
            names = ", ".join(r.format for r in renderers)
            raise exceptions.ValidationError(
                {"format": [_("Unknown format; use one of: %(names)s.") % {"names": names}]}
            ) from None


class MachineView(APIView):
    content_negotiation_class = Negotiation

    def initial(self, request, *args, **kwargs):
        if len(request.get_full_path().encode()) > MAX_URI_BYTES:
            raise UriTooLong()
        super().initial(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:  # errors are problem+json whatever was asked for
            response.accepted_renderer = ProblemRenderer()
            response.accepted_media_type = PROBLEM_TYPE
        return response
