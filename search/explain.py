"""Why a result was found, in words an examiner can check: for each piece of the query (for
claims, each element), the passages that answer it, which retrievers found each one and in
which language."""

from dataclasses import dataclass

from search.engine import PassageHit, Result
from search.pieces import Piece

RETRIEVERS = ("semantic", "keyword", "translation")  # the order they are named in
PIECE_SHOWN = 160  # characters of a query piece quoted in the explanation


@dataclass
class PieceEvidence:
    number: int  # 1-based, as shown
    text: str  # the start of the piece ("" when the query is not shown, e.g. more like this)
    passages: list[tuple[PassageHit, list[str]]]  # each passage and its retrievers, in order
    claim: int | None = None  # for claims: which claim and elements the piece is
    elements: tuple[int, ...] = ()

    @property
    def first_element(self) -> int | None:
        return self.elements[0] if self.elements else None

    @property
    def last_element(self) -> int | None:
        return self.elements[-1] if len(self.elements) > 1 else None


def explanation(*, result: Result, pieces: list[Piece] | list[str]) -> list[PieceEvidence]:
    """The result's shown passages grouped by the query piece they answer, in piece order."""
    pieces = [piece if isinstance(piece, Piece) else Piece(piece) for piece in pieces]
    by_piece: dict[int, PieceEvidence] = {}
    for hit in result.passages:
        evidence = by_piece.get(hit.piece)
        if evidence is None:
            piece = pieces[hit.piece] if 0 <= hit.piece < len(pieces) else Piece("")
            text = piece.text
            if len(text) > PIECE_SHOWN:
                text = text[:PIECE_SHOWN].rsplit(" ", 1)[0] + "…"
            evidence = by_piece[hit.piece] = PieceEvidence(
                hit.piece + 1, text, [], claim=piece.claim, elements=piece.elements)
        found_by = [name for name in RETRIEVERS if name in hit.found_by]
        evidence.passages.append((hit, found_by))
    return [by_piece[piece] for piece in sorted(by_piece)]
