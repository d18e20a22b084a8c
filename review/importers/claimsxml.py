"""`<claims>` as USPTO, EPO and ST.36 write them: nested `claim-text`, `claim-ref`."""

import re
from xml.etree.ElementTree import Element

from search.claims import ClaimSource

_INLINE_BREAKS = {"br"}


def claims_from(claims_node: Element | None) -> list[ClaimSource]:
    """One ClaimSource per `<claim>`: the text with whitespace collapsed, the numbers its
    `claim-ref`s point to, and the start offset of every nested `claim-text` block."""
    if claims_node is None:
        return []
    claim_nodes = [node for node in claims_node.iter() if _local(node.tag) == "claim"]
    numbers = {}
    for position, node in enumerate(claim_nodes, start=1):
        numbers[node.get("id", f"#{position}")] = _number(node.get("num")) or position
    sources = []
    for position, node in enumerate(claim_nodes, start=1):
        builder = _Builder(numbers)
        builder.walk(node)
        text = builder.text()
        sources.append(
            ClaimSource(
                number=_number(node.get("num")) or position,
                text=text,
                refs=builder.refs,
                blocks=builder.blocks,
            )
        )
    return sources


class _Builder:
    def __init__(self, numbers: dict):
        self.numbers = numbers
        self.parts: list[str] = []
        self.length = 0
        self.refs: list[int] = []
        self.blocks: list[int] = []
        self.depth = 0

    def add(self, piece: str | None) -> None:
        if not piece:
            return
        piece = re.sub(r"\s+", " ", piece)
        if (not self.parts or self.parts[-1].endswith(" ")) and piece.startswith(" "):
            piece = piece.lstrip()
        if piece:
            self.parts.append(piece)
            self.length += len(piece)

    def walk(self, node: Element) -> None:
        name = _local(node.tag)
        if name == "claim-text":
            if self.depth > 0:
                self.blocks.append(self.length)
            self.depth += 1
        if name == "claim-ref":
            target = self.numbers.get(node.get("idref", "").split()[0] if node.get("idref") else "")
            if target and target not in self.refs:
                self.refs.append(target)
        if name in _INLINE_BREAKS:
            self.add(" ")
        self.add(node.text)
        for child in node:
            self.walk(child)
            self.add(child.tail)
        if name == "claim-text":
            self.depth -= 1

    def text(self) -> str:
        return "".join(self.parts).rstrip()


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1].rsplit(":", 1)[-1] if isinstance(tag, str) else ""


def _number(value: str | None) -> int | None:
    digits = re.sub(r"\D", "", value or "")
    return int(digits) if digits and len(digits) <= 6 else None
