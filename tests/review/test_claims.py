"""The claims parser: dependencies and elements, English and Chinese, and Hypothesis."""

from hypothesis import given, settings
from hypothesis import strategies as st

from search.claims import ClaimSource, elements_of, parse_claims, split_claims


def parsed(text: str) -> dict:
    return {claim.number: claim for claim in parse_claims(split_claims(text))}


EP_STYLE = """1. A heat exchanger comprising a core and a header, characterised in that the header
has a baffle.
2. A heat exchanger as claimed in claim 1, wherein the baffle is brazed.
3. A heat exchanger according to claim 1 or 2, characterized in that the core is aluminium.
4. The heat exchanger according to any one of claims 1 to 3, wherein the header is round.
5. The heat exchanger of claims 2-4, wherein the core has fins.
6. A heat exchanger according to any one of the preceding claims, wherein the fins are louvred.
7. An air-conditioning device comprising the heat exchanger according to claim 1.
8. A method of manufacturing the heat exchanger of claim 3, comprising brazing the baffle.
9. Use of the heat exchanger according to claim 2 in a vehicle.
10. The device of claim 1, claim 4 and claim 5, wherein the header is steel."""


def test_english_chains_ranges_and_lists():
    claims = parsed(EP_STYLE)
    assert [n for n, c in claims.items() if c.independent] == [1, 7, 8, 9]
    assert claims[2].parents == [1]
    assert claims[3].parents == [1, 2]
    assert claims[4].parents == [1, 2, 3]
    assert claims[5].parents == [2, 3, 4]
    assert claims[6].parents == [1, 2, 3, 4, 5]
    assert claims[10].parents == [1, 4, 5]
    assert all(not c.problems for c in claims.values())


def test_a_claim_in_another_category_is_independent_with_its_reference():
    claims = parsed(EP_STYLE)
    assert claims[7].independent and claims[7].references == [1] and claims[7].parents == []
    assert claims[9].independent and claims[9].references == [2]
    assert claims[8].independent and claims[8].references == [3]  # a method of making it


ZH = """1. 一种空调控制装置，其特征在于，包括：温度传感器；湿度传感器；以及控制器，\
所述控制器根据两个传感器的输出设定压缩机转速。
2. 根据权利要求1所述的空调控制装置，其特征在于，所述湿度低于40%时降低转速。
3. 如权利要求1至2任一项所述的空调控制装置，其中，所述温度传感器为热敏电阻。
4. 根据权利要求1或2所述的空调控制装置，其特征在于，还包括显示屏。
5. 根据权利要求３、４所述的空调控制装置，其特征在于，所述显示屏为触摸屏。
6. 一种空调装置，包括权利要求1所述的空调控制装置。
7. 如前述任一项权利要求所述的空调控制装置，其特征在于，所述控制器为单片机。
8. 权利要求7所述的空调控制装置，其中所述单片机为32位。"""


def test_chinese_dependencies():
    claims = parsed(ZH)
    assert [n for n, c in claims.items() if c.independent] == [1, 6]
    assert claims[2].parents == [1]
    assert claims[3].parents == [1, 2]
    assert claims[4].parents == [1, 2]
    assert claims[5].parents == [3, 4]  # full-width digits and 、
    assert claims[6].references == [1]
    assert claims[7].parents == [1, 2, 3, 4, 5, 6]
    assert claims[8].parents == [7]


def test_chinese_elements_keep_offsets():
    claim = parsed(ZH)[1]
    texts = [element.text for element in claim.elements]
    assert texts[0] == "一种空调控制装置，"
    assert texts[1].startswith("其特征在于")
    assert "温度传感器；" in texts and "湿度传感器；" in texts
    for element in claim.elements:
        assert claim.text[element.start : element.end] == element.text


def test_english_elements_split_on_colon_semicolon_and_wherein():
    claim = parsed(
        "1. A light source comprising: a substrate; a diode on the substrate; and "
        "a lens, wherein the lens is made of silicone at a ratio of 50:50."
    )[1]
    assert [e.text for e in claim.elements] == [
        "A light source comprising:",
        "a substrate;",
        "a diode on the substrate; and",
        "a lens,",
        "wherein the lens is made of silicone at a ratio of 50:50.",
    ]
    claim = parsed("1. A pump having a rotor, characterised in that the rotor is ceramic.")[1]
    assert [e.text for e in claim.elements] == [
        "A pump having a rotor,",
        "characterised in that the rotor is ceramic.",
    ]


def test_xml_blocks_are_the_elements_when_given():
    text = "A device comprising: a box; and a lid, wherein the lid is hinged."
    elements = elements_of(text, blocks=[text.index("a box"), text.index("a lid")])
    assert [e.text for e in elements] == [
        "A device comprising:",
        "a box; and",
        "a lid, wherein the lid is hinged.",
    ]


def test_unresolvable_references_are_reported_not_guessed():
    claims = parsed(
        "1. A cup.\n2. The cup of claim 5, wherein it is blue.\n"
        "3. The cup of claim 3, wherein it is red.\n4. The cup of claim 2 or 7."
    )
    assert claims[2].parents == [] and not claims[2].independent
    assert claims[2].problems == ["claim 2 refers to claim 5, which does not exist"]
    assert claims[3].problems == ["claim 3 refers to claim 3, which is not an earlier claim"]
    assert claims[4].parents == [2]
    assert claims[4].problems == ["claim 4 refers to claim 7, which does not exist"]


def test_claim_ref_targets_are_used():
    claims = parse_claims(
        [
            ClaimSource(number=1, text="1. A cup."),
            ClaimSource(number=2, text="2. The cup as above, blue.", refs=[1]),
        ]
    )
    assert claims[1].parents == [1] and claims[1].text == "The cup as above, blue."


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=300), max_size=8))
def test_the_parser_never_raises_and_keeps_its_invariants(texts):
    claims = parse_claims([ClaimSource(number=None, text=text) for text in texts])
    numbers = [claim.number for claim in claims]
    assert len(set(numbers)) == len(numbers)
    for claim in claims:
        assert all(parent in numbers and parent < claim.number for parent in claim.parents)
        assert all(ref in numbers and ref < claim.number for ref in claim.references)
        for element in claim.elements:
            assert claim.text[element.start : element.end] == element.text


REFERENCE_WORDS = st.sampled_from(
    [
        "claim",
        "claims",
        "权利要求",
        " to ",
        "-",
        " or ",
        "至",
        "或",
        "、",
        ", ",
        "any one of ",
        "according to ",
        "The device of ",
        "wherein",
        "其特征在于",
        "；",
        ":",
        ";",
        " ",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.lists(st.one_of(REFERENCE_WORDS, st.integers(0, 12).map(str)), max_size=20).map("".join),
        min_size=1,
        max_size=10,
    )
)
def test_every_reference_is_resolved_or_reported(texts):
    claims = parse_claims([ClaimSource(number=None, text=text) for text in texts])
    for claim in claims:
        for problem in claim.problems:
            assert problem.startswith(f"claim {claim.number} ")
        if not claim.independent:
            assert claim.parents or claim.problems


def test_lists_with_a_serial_comma_and_mixed_words():
    claims = parsed(
        "1. A cup.\n2. A cup of claim 1.\n3. The cup of claim 1.\n"
        "4. The cup of claims 1, 2, or 3, wherein it is blue.\n"
        "5. The cup of claim 1 or claim 4 and/or claim 2.\n"
        "6. The cup according to claims 2 through 4."
    )
    assert claims[4].parents == [1, 2, 3]
    assert claims[5].parents == [1, 2, 4]
    assert claims[6].parents == [2, 3, 4]
