"""python manage.py filings --json [NUMBER...]"""

import json

from django.core.management.base import BaseCommand, CommandError

from review.selectors import filing_as_json, filings_by_number


class Command(BaseCommand):
    help = "Print imported filings (all, or those NUMBERs) with their claims."

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="*", help="e.g. 20180000016, US20180000016A1")
        parser.add_argument("--json", action="store_true", help="one JSON array (the contract)")

    def handle(self, *args, numbers: list[str], json: bool, **options):
        filings = list(filings_by_number(numbers=numbers))
        if numbers and not filings:
            raise CommandError(f"no filing {' '.join(numbers)}")
        if json:
            self.stdout.write(_dumps([filing_as_json(filing) for filing in filings]))
            return
        for filing in filings:
            title = next(iter(filing.title.values()), "")
            self.stdout.write(
                f"{filing.label}\t{filing.earliest_date}\t{len(filing.claims.all())} "
                f"claims\t{title}"
            )


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
