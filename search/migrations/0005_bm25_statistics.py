from django.db import migrations, models

LENGTHS = (
    "UPDATE search_passage p SET length = coalesce("
    "(SELECT sum(cardinality(u.positions)) FROM unnest(p.tsv) u), 0)"
)
TERMS = (
    "INSERT INTO search_termstat (lang, lexeme, df) "
    "SELECT p.lang, t.lexeme, count(*) FROM search_passage p, "
    "unnest(tsvector_to_array(p.tsv)) t(lexeme) GROUP BY 1, 2"
)
CORPUS = (
    "INSERT INTO search_corpusstat (lang, passages, tokens) "
    "SELECT lang, count(*), sum(length) FROM search_passage GROUP BY lang"
)


class Migration(migrations.Migration):
    dependencies = [("search", "0004_index_state_for_every_publication")]
    operations = [
        migrations.AddField(
            model_name="passage", name="length",
            field=models.PositiveIntegerField(db_default=0),
        ),
        migrations.CreateModel(
            name="TermStat",
            fields=[
                ("pk", models.CompositePrimaryKey("lang", "lexeme", blank=True, editable=False,
                                                  primary_key=True, serialize=False)),
                ("lang", models.CharField(max_length=2)),
                ("lexeme", models.TextField()),
                ("df", models.IntegerField(default=0)),
            ],
        ),
        migrations.CreateModel(
            name="CorpusStat",
            fields=[
                ("lang", models.CharField(max_length=2, primary_key=True, serialize=False)),
                ("passages", models.BigIntegerField(default=0)),
                ("tokens", models.BigIntegerField(default=0)),
            ],
        ),
        # Existing passages get their lengths and statistics.
        migrations.RunSQL([LENGTHS, TERMS, CORPUS], migrations.RunSQL.noop),
    ]
