"""Best-evidence fusion (no database: passage scores are given)."""

import pytest

from search import fusion


def test_a_second_language_or_more_passages_add_nothing():
    # Publication 1 is bilingual (passages 10 in English, 11 in Chinese) and has a third
    # passage; publication 2 has one passage, better than any of publication 1's.
    owners = {10: 1, 11: 1, 12: 1, 20: 2}
    ranked = fusion.best_evidence([{10: 2.0, 11: 1.9, 12: 1.8, 20: 2.5}], owners=owners)

    assert [e.publication_id for e in ranked] == [2, 1]
    assert ranked[1].score == pytest.approx(2.0)  # its best passage, not a sum


def test_a_long_query_takes_the_mean_of_each_pieces_best_passage():
    owners = {10: 1, 11: 1, 20: 2}
    pieces = [{10: 3.0, 11: 1.0, 20: 2.0},  # piece 0
              {11: 2.0, 20: 1.0}]           # piece 1: passage 10 was not a candidate
    ranked = fusion.best_evidence(pieces, owners=owners)

    first = ranked[0]
    assert first.publication_id == 1
    assert first.score == pytest.approx((3.0 + 2.0) / 2)
    assert first.passage_ids == [10, 11]  # by each passage's best score over the pieces
    assert first.passage_pieces == {10: 0, 11: 1}
    assert ranked[1].score == pytest.approx((2.0 + 1.0) / 2)


def test_a_piece_without_a_candidate_of_a_publication_counts_at_its_lowest_score():
    owners = {10: 1, 20: 2, 30: 3}
    ranked = fusion.best_evidence([{10: 4.0, 20: 1.0}, {20: 3.0, 30: -1.0}], owners=owners)

    scores = {e.publication_id: e.score for e in ranked}
    assert scores[1] == pytest.approx((4.0 + -1.0) / 2)  # floor of piece 1 is -1.0
    assert scores[2] == pytest.approx((1.0 + 3.0) / 2)
    assert scores[3] == pytest.approx((1.0 + -1.0) / 2)  # floor of piece 0 is 1.0


def test_ties_break_by_publication_id_so_results_are_stable():
    ranked = fusion.best_evidence([{10: 1.0, 20: 1.0}], owners={10: 2, 20: 1})
    assert [e.publication_id for e in ranked] == [1, 2]
