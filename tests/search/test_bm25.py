"""BM25 lexical search: exact statistics kept by the indexer, scores as the formula says."""

import math
import threading

import pytest
from django.core.management import call_command
from django.db import connection, connections

from search import lexical
from search.models import CorpusStat, Passage, TermStat
from search.services import publication_index, rebuild_term_stats
from tests.search.test_indexing import ZH

pytestmark = pytest.mark.django_db

PUMP = dict(title_en="Rotary vane vacuum pump", title_zh="", abstract_zh="",
            abstract_en="A vacuum pump with sliding vanes in an eccentric rotor; the rotor "
                        "turns and the vanes sweep the pump chamber.", features=[], keywords=[])
VALVE = dict(title_en="Check valve for a vacuum line", title_zh="", abstract_zh="",
             abstract_en="A ball check valve keeps the vacuum when the pump stops.",
             features=[], keywords=[])
HEAT = ZH  # a Chinese-only heat-pipe disclosure


def stats() -> tuple[dict, dict]:
    terms = {(t.lang, t.lexeme): t.df for t in TermStat.objects.all() if t.df}
    corpus = {c.lang: (c.passages, c.tokens) for c in CorpusStat.objects.all() if c.passages}
    return terms, corpus


def test_the_indexer_keeps_statistics_exact_through_reindexing(indexed):
    pump, _, _ = indexed(**PUMP), indexed(**VALVE), indexed(**HEAT)
    publication_index(publication_id=pump.pk)  # again: the counts must not double
    kept = stats()

    rebuild_term_stats()  # from scratch

    assert stats() == kept
    terms, corpus = kept
    assert terms["en", "vacuum"] == 4  # both titles and both abstracts
    assert terms["en", "rotor"] == 1
    assert terms["zh", "孔隙"] == 2 and terms["zh", "孔隙率"] == 1  # jieba search-mode words
    assert corpus["en"][0] == Passage.objects.filter(lang="en").count() == 4
    assert corpus["en"][1] == sum(Passage.objects.filter(lang="en").values_list("length",
                                                                                flat=True))


def test_reindex_stats_recomputes_statistics_that_went_wrong(indexed):
    indexed(**PUMP), indexed(**HEAT)
    kept = stats()
    TermStat.objects.filter(lexeme="vacuum").update(df=99)  # as after a bulk load
    CorpusStat.objects.filter(lang="zh").delete()

    call_command("reindex", "--stats")

    assert stats() == kept


def expected_bm25(query_lexemes: list[str], lang: str) -> dict[int, float]:
    """The textbook formula, over each passage's lexeme positions as PostgreSQL parsed them."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT p.id, u.lexeme, cardinality(u.positions) "
                       "FROM search_passage p, unnest(p.tsv) u WHERE p.lang = %s", [lang])
        rows = cursor.fetchall()
    tf: dict[int, dict[str, int]] = {}
    for pid, lexeme, count in rows:
        tf.setdefault(pid, {})[lexeme] = count
    n = len(tf)
    avgdl = sum(sum(t.values()) for t in tf.values()) / n
    scores = {}
    for pid, counts in tf.items():
        dl = sum(counts.values())
        score = 0.0
        for q in query_lexemes:
            df = sum(q in c for c in tf.values())
            if q in counts:
                idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
                f = counts[q]
                score += idf * f * 2.2 / (f + 1.2 * (1 - 0.75 + 0.75 * dl / avgdl))
        if score:
            scores[pid] = score
    return scores


def test_scores_are_okapi_bm25_and_a_rare_word_outweighs_common_ones(indexed):
    indexed(**PUMP), indexed(**VALVE), indexed(**HEAT)

    rows = lexical.ranked("vacuum rotor", "en")

    expected = expected_bm25(["vacuum", "rotor"], "en")
    assert {pid: pytest.approx(score) for pid, _, _, score in rows} == expected
    best = Passage.objects.get(pk=rows[0][0])
    assert "rotor" in best.text  # the rare word wins over "vacuum", which is everywhere
    assert [r[3] for r in rows] == sorted((r[3] for r in rows), reverse=True)


def test_chinese_queries_are_segmented_like_the_index(indexed):
    heat = indexed(**HEAT)
    indexed(**PUMP)

    rows = lexical.ranked("烧结铜吸液芯的孔隙率", "zh")

    assert rows and {r[1] for r in rows} == {heat.pk}
    assert lexical.ranked("烧结铜吸液芯", "en") == []  # English passages hold none of it


def only_titles(title: str) -> dict:
    return {**PUMP, "title_en": title, "abstract_en": ""}


def test_only_passages_with_a_rare_term_or_every_term_are_scored(indexed, monkeypatch):
    both = indexed(**only_titles("Pump chamber gasket"))
    for _ in range(3):
        indexed(**only_titles("Pump housing")), indexed(**only_titles("Chamber lining"))
    monkeypatch.setattr(lexical, "CANDIDATES", 2)

    # "gasket" is rare enough to fetch all its passages; "pump" is not, so passages that
    # hold only "pump" are never scored.
    terms, _ = lexical.query_terms("pump gasket", "en")
    assert [t.lexeme for t in lexical.essential(terms, 2)] == ["gasket"]
    assert [r[1] for r in lexical.ranked("pump gasket", "en")] == [both.pk]

    # Neither word is rare enough; the passages holding both still come, and first.
    rows = lexical.ranked("pump chamber", "en")
    assert rows[0][1] == both.pk
    assert len(rows) <= 3  # two of "chamber" (the budget) and the all-terms passage


def test_unknown_words_and_empty_corpora_give_nothing(indexed):
    assert lexical.ranked("vacuum", "en") == []  # nothing indexed yet
    indexed(**PUMP)
    assert lexical.ranked("zyzzyva quokka", "en") == []
    assert lexical.ranked("", "en") == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_indexers_keep_the_statistics_exact(publish):
    publications = [publish(**{**PUMP, "title_en": f"Rotary vane vacuum pump {i}"})
                    for i in range(6)]
    errors = []

    def index(chunk):
        try:
            for publication in chunk:
                publication_index(publication_id=publication.pk)
        except Exception as error:  # a deadlock would land here
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=index, args=(publications[i::2],)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    kept = stats()
    rebuild_term_stats()
    assert stats() == kept
    assert kept[0]["en", "vacuum"] == 12  # each publication's title and abstract
