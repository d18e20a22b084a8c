"""Fair ranking in a mixed collection: English-only, Chinese-only and bilingual records side
by side. A record ranks by its best evidence, in whichever language, never by how many
languages it has (search/fusion.py; the measurements are in docs/search-quality.md)."""

import pytest

from search.engine import search

SOLAR = {  # English only: the right answer to "foldable solar panel"
    "title_en": "Foldable solar panel with hinge-integrated wiring",
    "abstract_en": "A foldable solar panel whose rigid photovoltaic segments are joined by "
                   "hinges that carry the wiring between the segments, so the panel folds "
                   "flat for transport and opens without loose cables.",
    "title_zh": "", "abstract_zh": "", "ipc": ["H02S 30/20"],
}
DRONES = {  # bilingual, and close enough to compete in both languages
    "title_en": "Automatic battery swapping station for drones",
    "abstract_en": "A station on which a drone lands, a robot arm takes out its empty battery "
                   "and inserts a charged one; panels on the roof charge the spare batteries.",
    "title_zh": "无人机自动换电站",
    "abstract_zh": "一种供无人机降落的站点，机械臂取出其耗尽的电池并装入充满电的电池；"
                   "站顶的太阳能板为备用电池充电。",
    "ipc": ["B64U 50/39"],
}
ANODE = {  # English only
    "title_en": "Silicon-carbon composite anode for lithium-ion batteries",
    "abstract_en": "Silicon nanoparticles embedded in a porous carbon matrix form a composite "
                   "anode whose carbon buffers the swelling of silicon during lithiation, so "
                   "the lithium battery keeps its capacity over many cycles.",
    "title_zh": "", "abstract_zh": "", "ipc": ["H01M 4/36"],
}
CELLS = {  # bilingual, about the same batteries
    "title_en": "Battery pack with liquid cooling plates",
    "abstract_en": "A lithium battery pack in which cooling plates with liquid channels lie "
                   "between the cells and keep them at an even temperature.",
    "title_zh": "带液冷板的电池包",
    "abstract_zh": "一种锂电池包，电芯之间设有带液体流道的冷却板，使电芯温度均匀。",
    "ipc": ["H01M 10/613"],
}
LEAK = {  # Chinese only
    "title_en": "", "abstract_en": "",
    "title_zh": "水管泄漏检测装置",
    "abstract_zh": "一种水管泄漏检测装置，在水管上安装压力传感器和声学传感器，"
                   "根据压力下降和泄漏噪声判断水管泄漏的位置并报警。",
    "ipc": ["G01M 3/24"],
}
VALVE = {  # bilingual, about water pipes too
    "title_en": "Thermostatic mixing valve for water pipes",
    "abstract_en": "A mixing valve on hot and cold water pipes whose wax element moves a "
                   "piston to keep the outlet water at a set temperature.",
    "title_zh": "用于水管的恒温混水阀",
    "abstract_zh": "一种安装在冷热水管上的混水阀，其石蜡元件推动活塞，使出水保持在设定温度。",
    "ipc": ["G05D 23/13"],
}


@pytest.fixture
def mixed(indexed):
    return {name: indexed(features=[], keywords=[], **fields) for name, fields in (
        ("solar", SOLAR), ("drones", DRONES), ("anode", ANODE), ("cells", CELLS),
        ("leak", LEAK), ("valve", VALVE))}


@pytest.mark.parametrize(("query", "best", "bilingual"), [
    ("foldable solar panel", "solar", "drones"),
    ("silicon carbon composite anode for lithium batteries", "anode", "cells"),
    ("水管泄漏检测", "leak", "valve"),
])
def test_a_better_single_language_record_ranks_above_a_worse_bilingual_one(
        mixed, query, best, bilingual):
    results = search(query)
    by_number = {r.number: r for r in results}
    winner, loser = by_number[mixed[best].number], by_number[mixed[bilingual].number]

    # The single-language record is better on both retrievers...
    assert winner.dense > loser.dense
    assert (winner.lexical or 0) > (loser.lexical or 0)
    # ...so it ranks first, whatever the number of languages of the others.
    assert results[0].number == mixed[best].number, [
        (r.number, round(r.fused, 3), r.dense, r.lexical) for r in results]


def test_a_record_scores_its_best_evidence_not_the_sum_of_its_languages(indexed):
    # The same patent twice: once in English alone, once in English and Chinese. The
    # Chinese half adds a second language but no better evidence, so it adds no score.
    english = indexed(features=[], keywords=[], **{**SOLAR, "ipc": ["H02S 30/20"]})
    both = indexed(features=[], keywords=[], **{
        **SOLAR, "title_zh": "铰链内走线的可折叠太阳能板",
        "abstract_zh": "一种可折叠太阳能板，其刚性光伏板块由铰链连接，铰链内走线。"})

    results = {r.number: r for r in search("foldable solar panel with hinge wiring")}

    assert results[both.number].fused == pytest.approx(results[english.number].fused, abs=0.05)
    assert results[both.number].passages[0].lang == "en"  # its best evidence is English


def test_each_result_says_which_retrievers_found_its_passages_and_in_what_language(mixed):
    [first, *_] = search("water pipe leak detection")  # English words, Chinese-only record

    assert first.number == mixed["leak"].number
    assert first.matched_lang == "zh"
    passage = first.passages[0]
    assert passage.lang == "zh"
    assert passage.found_by & {"semantic", "translation"}
    assert "keyword" not in passage.found_by  # no English passage to match as written
    assert passage.piece == 0
