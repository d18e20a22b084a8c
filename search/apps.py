from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"
    verbose_name = "Prior-art search"

    def ready(self) -> None:
        from defpub import health
        from defpub.runtime import readiness
        from defpub.signals import publications_published
        from search.embedding import warm_up
        from search.receivers import index_health, queue_published_for_indexing

        readiness.register("search", warm_up)
        publications_published.connect(queue_published_for_indexing,
                                       dispatch_uid="search.queue_published_for_indexing")
        health.register("index", index_health, required=True)
