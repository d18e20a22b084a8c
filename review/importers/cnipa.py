"""CNIPA publication XML with WIPO ST.36-style element names.

Assumption (no public CNIPA sample could be redistributed): CNIPA's bulk XML for invention
applications follows WIPO ST.36 with `cn-` prefixes where the content is Chinese-specific,
as in `cn-patent-document` / `cn-bibliographic-data` / `cn-publication-reference` /
`cn-parties/cn-applicants/cn-applicant`. The generic ST.36 names (`patent-document`,
`bibliographic-data`, `publication-reference`, `parties/applicants/applicant`) are read
too, and namespace prefixes are ignored. `tests/review/data/cn-st36-A.xml` is the sample
written from these names. The ST.96-based `business:` CamelCase schema is not read.
"""

from xml.etree.ElementTree import Element

from review.importers.claimsxml import claims_from
from review.importers.common import FilingData
from review.importers.uspto import flat_symbol, pct_entry, symbol
from review.importers.xmldocs import DocumentError, find_text, text_of, xml_date

ROOTS = ("cn-patent-document", "patent-document")


def strip_namespaces(root: Element) -> Element:
    for node in root.iter():
        if isinstance(node.tag, str):
            node.tag = node.tag.rsplit("}", 1)[-1]
        for key in [k for k in node.attrib if k.startswith("{")]:
            node.attrib[key.rsplit("}", 1)[-1]] = node.attrib.pop(key)
    return root


def _first(node: Element | None, *paths: str) -> Element | None:
    for path in paths:
        found = node.find(path) if node is not None else None
        if found is not None:
            return found
    return None


def parse(root: Element) -> FilingData:
    root = strip_namespaces(root)
    if root.tag not in ROOTS:
        raise DocumentError(f"not an ST.36 document: the root element is <{root.tag}>")
    biblio = _first(root, "cn-bibliographic-data", "bibliographic-data")
    if biblio is None:
        raise DocumentError("no cn-bibliographic-data")
    publication = _first(
        biblio, "cn-publication-reference/document-id", "publication-reference/document-id"
    )
    number = find_text(publication, "doc-number")
    if not number:
        raise DocumentError("no publication number (publication-reference/document-id/doc-number)")
    application = _first(biblio, "application-reference/document-id")
    language = (root.get("lang") or "zh").lower()
    data = FilingData(
        office=find_text(publication, "country") or root.get("country") or "CN",
        number=number,
        kind=find_text(publication, "kind"),
        application_number=find_text(application, "doc-number"),
        filing_date=xml_date(find_text(application, "date")),
        publication_date=xml_date(find_text(publication, "date")),
        language=language,
        applicants=_applicants(biblio),
        ipc=_ipc(biblio),
        priority_claims=[
            {
                "country": find_text(c, "country"),
                "number": find_text(c, "doc-number"),
                "date": xml_date(find_text(c, "date")),
            }
            for c in biblio.findall("priority-claims/priority-claim")
        ],
        pct=pct_entry(biblio),
        claims=claims_from(_first(root, "claims", "cn-claims")),
    )
    for title in biblio.findall("invention-title"):
        data.title[(title.get("lang") or language).lower()] = text_of(title)
    for abstract in _abstracts(root, biblio):
        data.abstract[(abstract.get("lang") or language).lower()] = text_of(abstract)
    return data


def _abstracts(root: Element, biblio: Element) -> list[Element]:
    return root.findall("abstract") or biblio.findall("abstract")


def _applicants(biblio: Element) -> list[str]:
    names = []
    for node in biblio.iter():
        if node.tag in ("cn-applicant", "applicant"):
            name = (
                find_text(node, "name")
                or find_text(node, "addressbook/name")
                or find_text(node, "addressbook/orgname")
                or " ".join(
                    filter(
                        None,
                        (
                            find_text(node, "addressbook/first-name"),
                            find_text(node, "addressbook/last-name"),
                        ),
                    )
                )
            )
            if name and name not in names:
                names.append(name)
    return names


def _ipc(biblio: Element) -> list[str]:
    codes = []
    for node in biblio.findall("classifications-ipcr/classification-ipcr"):
        if node.find("section") is not None:
            codes.append(
                symbol(
                    *(
                        find_text(node, p)
                        for p in ("section", "class", "subclass", "main-group", "subgroup")
                    )
                )
            )
        else:
            codes.append(flat_symbol(text_of(node)))
    return list(dict.fromkeys(code for code in codes if code))

