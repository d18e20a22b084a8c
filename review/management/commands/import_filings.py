"""python manage.py import_filings FILE [--format auto|jsonl|uspto|epo|cnipa] [--screen]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from review.services import FORMATS, ImportFailed, filings_import


class Command(BaseCommand):
    help = (
        "Import foreign filings: JSONL, USPTO application XML (weekly files of many "
        "documents), EPO ep-patent-document or CNIPA ST.36 XML (see docs/watch.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--format", dest="fmt", choices=FORMATS, default="auto")
        parser.add_argument(
            "--screen",
            action="store_true",
            help="screen the new filings against DefPub (docs/watch.md)",
        )

    def handle(self, *args, file: Path, fmt: str, screen: bool, **options):
        try:
            report = filings_import(path=file, fmt=fmt)
        except ImportFailed as error:
            raise CommandError(str(error)) from error
        for warning in report.warnings:
            self.stderr.write(f"warning: {warning}")
        for error in report.errors:
            self.stderr.write(f"error: {error}")
        self.stdout.write(
            f"{report.documents} document(s): {report.created} imported, "
            f"{report.unchanged} already present, {len(report.errors)} not imported"
        )
        if screen:
            from review.management.commands.screen_filings import screen_ids

            screen_ids(self, report.created_ids)
        if report.errors:
            raise CommandError(f"{len(report.errors)} document(s) were not imported; see above")
