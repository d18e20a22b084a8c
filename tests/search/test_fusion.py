"""Reciprocal-rank fusion by language pair (no database: rankings are given)."""

import pytest

from search import fusion

LANGS = {1: "en", 2: "en", 3: "zh", 4: "zh"}  # passage id -> language; publication = passage
WEIGHTS = fusion.weights(multilingual=True)


def run(retriever: str, query_lang: str, *passages: int) -> fusion.Run:
    return fusion.Run(retriever, query_lang, [(p, p) for p in passages])


@pytest.mark.parametrize("multilingual", [True, False])
def test_every_language_pair_weighs_the_same_in_total(multilingual):
    table = fusion.weights(multilingual=multilingual)
    totals = {}
    for (_, q, d), weight in table.items():
        totals[q, d] = totals.get((q, d), 0) + weight
    assert totals == pytest.approx(dict.fromkeys(totals, fusion.TOTAL))
    assert len(totals) == 4


def test_a_document_at_the_top_of_its_lists_scores_the_same_in_either_language():
    # English query: passage 1 leads English BM25, passage 3 leads the translated list;
    # each is first among its language in the hybrid list.
    english_first = fusion.fuse([run("hybrid", "en", 1, 3), run("lexical", "en", 1),
                                 run("translated", "en", 3)], passage_langs=LANGS,
                                weights=WEIGHTS)
    chinese_first = fusion.fuse([run("hybrid", "en", 3, 1), run("lexical", "en", 1),
                                 run("translated", "en", 3)], passage_langs=LANGS,
                                weights=WEIGHTS)

    # The hybrid list, shared by both languages, decides between equals.
    assert [e.publication_id for e in english_first] == [1, 3]
    assert [e.publication_id for e in chinese_first] == [3, 1]
    assert english_first[0].score == pytest.approx(chinese_first[0].score)


def test_a_retriever_without_weight_for_a_pair_adds_nothing():
    english_only = fusion.weights(multilingual=False)
    ranked = fusion.fuse([run("hybrid", "en", 3, 4, 1), run("translated", "en", 4)],
                         passage_langs=LANGS, weights=english_only)

    # An English-only model's ranking of Chinese passages counts for nothing.
    assert [e.publication_id for e in ranked] == [4, 1]


def test_a_publication_counts_once_per_list_and_keeps_its_best_passages_first():
    langs = {10: "en", 11: "en", 20: "en"}
    ranked = fusion.fuse(
        [fusion.Run("hybrid", "en", [(11, 1), (10, 1), (20, 2)]),
         fusion.Run("lexical", "en", [(10, 1), (20, 2)])],
        passage_langs=langs, weights=WEIGHTS)

    top = ranked[0]
    assert top.publication_id == 1
    k = fusion.K
    assert top.score == pytest.approx(1.6 / (k + 1) + 0.4 / (k + 1))  # rank 1 in each list
    assert top.passage_ids == [10, 11]  # 10 was found by both lists
