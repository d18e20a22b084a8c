"""EPO publication XML (`ep-patent-document`, DTD 1.x): the SDOBI B-codes and the claims.

B110 number, B130 kind, B140 publication date, B210/B220 application number and date,
B250/B260 languages, B300 priorities (B310 number, B320 date, B330 country; one B300 may
hold several groups, or B300 may repeat), B510EP/B510 IPC, B520EP CPC, B540 titles
(B541 language, B542 title), B620 parent of a divisional, B711 applicants, B860 the PCT
application (B861) and B870 its publication (B871). Dependencies in EPO claims are plain
text: the claims parser reads them.
"""

from xml.etree.ElementTree import Element

from review.importers.claimsxml import claims_from
from review.importers.common import FilingData
from review.importers.uspto import flat_symbol
from review.importers.xmldocs import DocumentError, find_text, text_of, xml_date

ROOT = "ep-patent-document"


def parse(root: Element) -> FilingData:
    if root.tag != ROOT:
        raise DocumentError(f"not an EPO document: the root element is <{root.tag}>")
    sdobi = root.find("SDOBI")
    if sdobi is None:
        raise DocumentError("no SDOBI bibliographic data")
    number = find_text(sdobi, "B100/B110") or root.get("doc-number", "")
    if not number:
        raise DocumentError("no publication number (B110)")
    language = (find_text(sdobi, "B200/B260") or root.get("lang") or "en").lower()
    data = FilingData(
        office=find_text(sdobi, "B100/B190") or root.get("country") or "EP",
        number=number,
        kind=find_text(sdobi, "B100/B130") or root.get("kind", ""),
        application_number=find_text(sdobi, "B200/B210"),
        filing_date=xml_date(find_text(sdobi, "B200/B220/date")),
        publication_date=xml_date(find_text(sdobi, "B100/B140/date") or root.get("date-publ", "")),
        language=language,
        title=_titles(sdobi),
        applicants=[
            text_of(node.find("snm")) for node in sdobi.iter("B711") if node.find("snm") is not None
        ],
        ipc=_codes(
            sdobi, ("B500/B510EP/classification-ipcr/text", "B500/B510/B511", "B500/B510/B512")
        ),
        cpc=_codes(sdobi, ("B500/B520EP/classifications-cpc/classification-cpc/text",)),
        priority_claims=_priorities(sdobi),
        benefit_claims=_divisional(sdobi),
        pct=_pct(sdobi),
        claims=claims_from(_claims_in(root, language)),
    )
    for abstract in root.findall("abstract"):
        lang = (abstract.get("lang") or language).lower()
        data.abstract[lang] = " ".join(text_of(p) for p in abstract.findall("p")) or text_of(
            abstract
        )
    return data


def _titles(sdobi: Element) -> dict:
    titles = {}
    lang = ""
    for node in sdobi.findall("B500/B540/*"):
        if node.tag == "B541":
            lang = text_of(node).lower()
        elif node.tag == "B542" and text_of(node):
            titles[lang or "en"] = text_of(node)
    return titles


def _codes(sdobi: Element, paths: tuple[str, ...]) -> list[str]:
    codes = [flat_symbol(text_of(node)) for path in paths for node in sdobi.findall(path)]
    return list(dict.fromkeys(code for code in codes if code))


def _priorities(sdobi: Element) -> list[dict]:
    claims: list[dict] = []
    for group in sdobi.findall("B300"):
        for node in group:
            if node.tag == "B310":
                claims.append({"country": "", "number": text_of(node), "date": None})
            elif node.tag == "B320" and claims:
                claims[-1]["date"] = xml_date(find_text(node, "date"))
            elif node.tag == "B330" and claims:
                claims[-1]["country"] = find_text(node, "ctry") or text_of(node)
    return claims


def _divisional(sdobi: Element) -> list[dict]:
    benefits = []
    for parent in sdobi.findall("B600/B620/parent/pdoc") + sdobi.findall("B600/B620"):
        number = find_text(parent, "dnum/anum")
        date = xml_date(find_text(parent, "date"))
        if number and date and not any(b["number"] == number for b in benefits):
            benefits.append(
                {"relation": "division", "country": "EP", "number": number, "date": date}
            )
    return benefits


def _pct(sdobi: Element) -> dict:
    filing = sdobi.find("B800/B860/B861")
    if filing is None:
        return {}
    pct = {"number": find_text(filing, "dnum/anum"), "date": xml_date(find_text(filing, "date"))}
    publication = find_text(sdobi, "B800/B870/B871/dnum/pnum")
    if publication:
        pct["publication"] = publication
    return pct


def _claims_in(root: Element, language: str) -> Element | None:
    """B1 documents carry the claims in three languages: take the publication's."""
    blocks = root.findall("claims")
    for block in blocks:
        if (block.get("lang") or "").lower() == language:
            return block
    return blocks[0] if blocks else None
