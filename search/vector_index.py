"""One partial HNSW index per embedding model, over embedding::vector(<dimension>)."""

import re

from django.db import connection


def index_name(model: str) -> str:
    return "passagevector_hnsw_" + re.sub(r"[^a-z0-9]+", "_", model.lower()).strip("_")


def ensure_hnsw(model: str, dimension: int, *, schema_editor=None) -> None:
    sql = (
        f"CREATE INDEX IF NOT EXISTS {index_name(model)} ON search_passagevector "
        f"USING hnsw ((embedding::vector({int(dimension)})) vector_cosine_ops) "
        f"WITH (m = 16, ef_construction = 64) WHERE model = %s"
    )
    if schema_editor is not None:
        schema_editor.execute(sql, [model])
    else:
        with connection.cursor() as cursor:
            cursor.execute(sql, [model])
