from django.db import migrations

from search.vector_index import ensure_hnsw, index_name

MODEL, DIMENSION = "multilingual-e5-small-q4", 384


def create(apps, schema_editor):
    ensure_hnsw(MODEL, DIMENSION, schema_editor=schema_editor)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {index_name(MODEL)}")


class Migration(migrations.Migration):
    dependencies = [("search", "0002_hnsw_default_model")]
    operations = [migrations.RunPython(create, drop)]
