"""Offline verifier: a publication is unchanged and sits at its leaf in the signed Merkle log.

    python -m defpub.verify PUBLICATION.json|.pdf --checkpoint FILE --pubkey KEY [--proof ...]

This is the command; the checks are defpub/ledger/verifier.py. It trusts only the public key
it is given. It imports nothing from Django, Celery or the database: with rfc8785,
cryptography and (for PDFs) pypdf it runs from a bare copy of this file and
defpub/ledger/{verifier,verifier_inputs,merkle,checkpoint}.py. See docs/verify.md.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from defpub.ledger.verifier import REQUIRED, Check, Report, verify_document
from defpub.ledger.verifier_inputs import UnreadableInputError

EXIT_VERIFIED, EXIT_FAILED, EXIT_UNREADABLE = 0, 1, 2

__all__ = ["REQUIRED", "Check", "Report", "UnreadableInputError", "main", "verify_document"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m defpub.verify",
        usage="%(prog)s PUBLICATION.json|.pdf --checkpoint FILE --pubkey KEY\n"
        "       [--proof PROOF.json] [--consistency CONSISTENCY.json] [-v]",
        description="Check, offline, that a DefPub publication is unchanged and is in the "
        "signed ledger. Exit status: 0 verified, 1 a check failed, 2 unreadable input.",
    )
    add = parser.add_argument
    add("document", metavar="PUBLICATION.json|.pdf", help="from /p/<number>.json or .pdf")
    add("--checkpoint", required=True, metavar="FILE", help="from /ledger/checkpoint")
    add("--pubkey", required=True, metavar="KEY", help="from /.well-known/defpub-ledger-key")
    add("--proof", metavar="PROOF.json", help="from /ledger/proof/<number>?size=N")
    add(
        "--consistency",
        metavar="CONSISTENCY.json",
        help="from /ledger/consistency?first=M&second=N",
    )
    add("-v", "--verbose", action="store_true", help="then one line per check")
    return parser


def _read(path: str | None, source: str) -> bytes | None:
    if path is None:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise UnreadableInputError(source, f"cannot read it: {exc.strerror or exc}") from exc


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        literal = args.pubkey.count("+") >= 2 and not Path(args.pubkey).exists()
        key = args.pubkey.encode() if literal else _read(args.pubkey, "pubkey")
        try:
            vkey = key.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise UnreadableInputError("pubkey", "the key file is not text") from exc
        report = verify_document(
            _read(args.document, "document"),
            _read(args.checkpoint, "checkpoint"),
            vkey,
            proof=_read(args.proof, "proof"),
            consistency=_read(args.consistency, "consistency"),
        )
    except UnreadableInputError as exc:
        path = getattr(args, exc.source, None)
        print(f"python -m defpub.verify: {exc.source} {path!r}: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    except Exception as exc:  # an examiner gets a message, never a traceback
        print(f"python -m defpub.verify: cannot verify: {exc!r}", file=sys.stderr)
        return EXIT_UNREADABLE
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    ascii_only = not _can_print("✓✗–…‖")
    for line in [report.summary(), *(report.lines(ascii_only=ascii_only) if args.verbose else [])]:
        print(line.replace("…", "...").replace("‖", "||") if ascii_only else line)
    return EXIT_VERIFIED if report.verified else EXIT_FAILED


def _can_print(sample: str) -> bool:
    try:
        sample.encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
