from django.db import migrations


def backfill(apps, schema_editor):
    """Publishing creates an IndexState in its transaction; give older publications one too,
    so the backlog is a count over states alone."""
    schema_editor.execute(
        "INSERT INTO search_indexstate (publication_id, status, models_done, passages, "
        "attempts, queued_at, error) SELECT p.id, 'queued', '{}', 0, 0, now(), '' "
        "FROM defpub_publication p LEFT JOIN search_indexstate s ON s.publication_id = p.id "
        "WHERE s.publication_id IS NULL"
    )


class Migration(migrations.Migration):
    dependencies = [("search", "0003_hnsw_e5"), ("defpub", "0003_user_email_unique")]
    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
