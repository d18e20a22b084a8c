"""USPTO application XML (`us-patent-application`, DTD v4.0 2004 to v4.x).

v4.0 writes `classification-ipc` and `parties/applicants`; later versions write
`classifications-ipcr`, `classifications-cpc` and `us-parties/us-applicants`. Both are read.
Benefit claims come from `us-related-documents`: `us-provisional-application` and the
`continuation`, `continuation-in-part`, `division`, ... relations (their `parent-doc`, and a
`parent-pct-document` inside it). The PCT application comes from
`pct-or-regional-filing-data`.
"""

import re
from xml.etree.ElementTree import Element

from review.importers.claimsxml import claims_from
from review.importers.common import BENEFIT_NAMES, FilingData
from review.importers.xmldocs import DocumentError, find_text, text_of, xml_date

ROOT = "us-patent-application"


def parse(root: Element) -> FilingData:
    if root.tag != ROOT:
        raise DocumentError(f"not a USPTO application: the root element is <{root.tag}>")
    biblio = root.find("us-bibliographic-data-application")
    if biblio is None:
        raise DocumentError("no us-bibliographic-data-application")
    publication = biblio.find("publication-reference/document-id")
    number = find_text(publication, "doc-number")
    if not number:
        raise DocumentError("no publication number (publication-reference/document-id/doc-number)")
    application = biblio.find("application-reference/document-id")
    language = (root.get("lang") or biblio.get("lang") or "en").lower()
    data = FilingData(
        office=find_text(publication, "country") or "US",
        number=number,
        kind=find_text(publication, "kind"),
        application_number=find_text(application, "doc-number"),
        filing_date=xml_date(find_text(application, "date")),
        publication_date=xml_date(find_text(publication, "date")),
        language=language,
        applicants=_applicants(biblio),
        ipc=_ipc(biblio),
        cpc=_cpc(biblio),
        priority_claims=_priorities(biblio),
        benefit_claims=_benefits(biblio),
        pct=pct_entry(biblio),
        claims=claims_from(root.find("claims")),
    )
    title = find_text(biblio, "invention-title")
    if title:
        data.title[language] = title
    abstract = " ".join(text_of(p) for p in root.findall("abstract/p")) or find_text(
        root, "abstract"
    )
    if abstract:
        data.abstract[language] = abstract
    return data


def _applicants(biblio: Element) -> list[str]:
    names = []
    for tag in (
        "us-parties/us-applicants/us-applicant",
        "parties/applicants/applicant",
        "assignees/assignee",
    ):
        for applicant in biblio.findall(tag):
            name = _name(
                applicant.find("addressbook")
                if applicant.find("addressbook") is not None
                else applicant
            )
            if name and name not in names:
                names.append(name)
    return names


def _name(book: Element) -> str:
    org = find_text(book, "orgname")
    if org:
        return org
    return " ".join(
        part for part in (find_text(book, "first-name"), find_text(book, "last-name")) if part
    )


def symbol(section: str, klass: str, subclass: str, group: str, subgroup: str) -> str:
    head = f"{section}{klass}{subclass}".replace(" ", "")
    if not group:
        return head
    return f"{head} {group.lstrip('0') or '0'}/{subgroup or '00'}"


def _structured(node: Element) -> str:
    return symbol(
        *(
            find_text(node, part)
            for part in ("section", "class", "subclass", "main-group", "subgroup")
        )
    )


_FLAT = re.compile(r"([A-H])\s*(\d\d)\s*([A-Z])\s*0*(\d{1,4})\s*/\s*(\d{1,6})")


def flat_symbol(text: str) -> str:
    """'A01K001/00', 'B60R   7/06  20060101AFI...' -> 'A01K 1/00'."""
    match = _FLAT.search(text or "")
    return symbol(*match.groups()) if match else ""


def _ipc(biblio: Element) -> list[str]:
    codes = [
        _structured(node) for node in biblio.findall("classifications-ipcr/classification-ipcr")
    ]
    for node in biblio.findall("classification-ipc/*"):
        if node.tag in ("main-classification", "further-classification"):
            codes.append(flat_symbol(text_of(node)))
    return list(dict.fromkeys(code for code in codes if code))


def _cpc(biblio: Element) -> list[str]:
    nodes = biblio.findall("classifications-cpc/main-cpc/classification-cpc")
    nodes += biblio.findall("classifications-cpc/further-cpc/classification-cpc")
    return list(dict.fromkeys(code for code in map(_structured, nodes) if code))


def _priorities(biblio: Element) -> list[dict]:
    claims = []
    for claim in biblio.findall("priority-claims/priority-claim"):
        claims.append(
            {
                "country": find_text(claim, "country"),
                "number": find_text(claim, "doc-number"),
                "date": xml_date(find_text(claim, "date")),
            }
        )
    return claims


def _benefits(biblio: Element) -> list[dict]:
    related = biblio.find("us-related-documents")
    if related is None:
        return []
    benefits = []
    for provisional in related.findall("us-provisional-application"):
        benefits.append(_document(provisional.find("document-id"), "provisional"))
    for relation in related:
        if relation.tag not in BENEFIT_NAMES or relation.tag == "provisional":
            continue
        for parent in relation.iter():
            if parent.tag in ("parent-doc", "parent-pct-document", "parent-grant-document"):
                benefits.append(_document(parent.find("document-id"), relation.tag))
    return [benefit for benefit in benefits if benefit["number"] or benefit["date"]]


def _document(document: Element | None, relation: str) -> dict:
    return {
        "relation": relation,
        "country": find_text(document, "country") or "US",
        "number": find_text(document, "doc-number"),
        "date": xml_date(find_text(document, "date")),
    }


def pct_entry(biblio: Element) -> dict:
    """The PCT application a national filing entered from (ST.36 elements, as CNIPA too)."""
    filing = biblio.find("pct-or-regional-filing-data/document-id")
    if filing is None:
        return {}
    pct = {"number": find_text(filing, "doc-number"), "date": xml_date(find_text(filing, "date"))}
    published = biblio.find("pct-or-regional-publishing-data/document-id")
    if published is not None:
        pct["publication"] = find_text(published, "doc-number")
    return pct
