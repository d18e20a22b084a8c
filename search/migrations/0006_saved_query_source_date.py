"""Saved web searches (short URLs for long text), and each passage's declared source date
copied from its publication's record so that the source-date filter runs inside the scans."""

from django.db import migrations, models

FROM_RECORD = (" t SET source_date = (p.record->>'source_date')::date FROM defpub_publication p "
               "WHERE p.id = t.publication_id AND p.record ? 'source_date'")
BACKFILL = ["UPDATE search_passage" + FROM_RECORD, "UPDATE search_passagevector" + FROM_RECORD]


class Migration(migrations.Migration):

    dependencies = [
        ('search', '0005_bm25_statistics'),
    ]

    operations = [
        migrations.CreateModel(
            name='SavedQuery',
            fields=[
                ('key', models.CharField(max_length=16, primary_key=True, serialize=False)),
                ('digest', models.CharField(max_length=64, unique=True)),
                ('text', models.TextField()),
                ('filters', models.JSONField(default=dict)),
                ('created_at', models.DateTimeField(auto_now_add=True)),
            ],
        ),
        migrations.AddField(
            model_name='passage',
            name='source_date',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='passagevector',
            name='source_date',
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
    ]
