from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Prior-art search"

    def ready(self) -> None:
        from defpub.runtime import readiness
        from search.embedding import warm_up

        readiness.register("search", warm_up)
