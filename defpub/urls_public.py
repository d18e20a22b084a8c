"""Public pages: publications, their JSON and PDF, the recent list and its feed."""

from django.urls import path, register_converter

from defpub.publications import views as public


class PublicationNumber:
    regex = r"[Dd][Pp]-\d{4}-\d{6}"

    def to_python(self, value: str) -> str:
        return value.upper()

    def to_url(self, value: str) -> str:
        return value


register_converter(PublicationNumber, "number")

urlpatterns = [
    path("p/", public.publication_list, name="publication-list"),
    path("p/feed.atom", public.RecentPublicationsFeed(), name="publication-feed"),
    path("p/<number:number>", public.publication_page, name="publication"),
    path("p/<number:number>.json", public.publication_json, name="publication-json"),
    path("p/<number:number>.pdf", public.publication_pdf_view, name="publication-pdf"),
    path("p/<number:number>/files/<str:sha256>", public.publication_file,
         name="publication-file"),
]
