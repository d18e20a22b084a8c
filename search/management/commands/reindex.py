"""python manage.py reindex [--model NAME] [--stats]: rebuild every publication's index.

Search keeps answering from what is indexed while this runs: passages are rebuilt one
publication at a time, each in its own transaction. With a new --model, vectors for it are
added beside the current ones (under their own HNSW index); set SEARCH_EMBEDDING_MODEL to
that model once the command has finished, to switch search over.
"""

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from defpub.models import Publication
from defpub.runtime.db_roles import owner_session
from search.embedding import MODELS, index_models, model_dimension
from search.services import publication_index, rebuild_term_stats
from search.vector_index import ensure_hnsw


class Command(BaseCommand):
    help = "Rebuild passages and vectors for every publication (optionally for another model)."

    def add_arguments(self, parser):
        parser.add_argument("--model", action="append", dest="models",
                            help=f"embedding model(s) to (re)build; known: {', '.join(MODELS)}")
        parser.add_argument("--no-progress", action="store_true")
        parser.add_argument("--stats", action="store_true",
                            help="only recompute BM25's statistics from the passages (after a "
                                 "bulk load that bypassed the indexer); no re-embedding")

    def handle(self, *args, models, no_progress, stats, **options):
        from django.conf import settings

        if stats:
            rebuild_term_stats()
            self.stdout.write("recomputed passage lengths and BM25 statistics")
            return
        models = models or [settings.SEARCH_EMBEDDING_MODEL]
        unknown = [m for m in models if m not in MODELS]
        if unknown:
            raise CommandError(f"unknown model(s) {unknown}; known: {', '.join(MODELS)}")
        keep = sorted({*index_models(), *models})  # search keeps its vectors
        with owner_session():  # an index is the table owner's to create
            for model in keep:
                ensure_hnsw(model, model_dimension(model))
        ids = list(Publication.objects.order_by("pk").values_list("pk", flat=True))
        for pk in tqdm(ids, disable=no_progress, unit="publication"):
            publication_index(publication_id=pk, models=keep)
        self.stdout.write(f"reindexed {len(ids)} publication(s) with {', '.join(keep)}")
