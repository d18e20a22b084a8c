"""Query translation across Chinese and English with CC-CEDICT."""

import pytest

from search.engine import search
from search.services import publication_index
from search.translate import dictionary, written_alike
from tests.search.test_indexing import BENGS

pytestmark = pytest.mark.django_db


def test_codes_and_acronyms_cross_over_as_written_and_bare_numbers_do_not():
    words = dictionary()
    english = words.english_to_chinese("LED driver with PWM dimming, model VX2207, 81 mm")
    chinese = words.chinese_to_english("一种带USB接口的LED灯，wifi模块，型号VX2207")

    assert {"LED", "PWM", "VX2207"} <= set(english)
    assert "driver" not in english and "mm" not in english  # plain words are translated
    assert "81" not in english  # a bare number: claim and list numbers match everywhere
    assert {"USB", "LED", "wifi", "VX2207"} <= set(chinese)
    assert written_alike("SiO2 film with pH control") == ["SiO2"]
    assert written_alike("1. 一种滤膜，孔径0.2微米", every_latin_word=True) == []


def test_an_english_query_with_a_model_number_finds_the_chinese_publication_holding_it(
        publish):
    publications = [publish(title_en="", abstract_en="", title_zh="", abstract_zh=text,
                            features=[], keywords=[]) for text in BENGS]
    for publication in publications:
        publication_index(publication_id=publication.pk)

    # The dictionary turns "pump" into a word all sixty share; the model number, which
    # Chinese text writes as English does, tells them apart (without it: third).
    for query in ("VX2237", "pump VX2237"):
        assert search(query)[0].number == publications[37].number, query
