"""python manage.py watch_cases [--json]"""

import json

from django.core.management.base import BaseCommand

from review.selectors import case_as_json, open_cases


class Command(BaseCommand):
    help = "Print every open watch case with its ranked candidates (docs/watch.md)."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="one JSON array (the contract)")

    def handle(self, *args, json: bool, **options):
        cases = [case_as_json(case) for case in open_cases()]
        if json:
            self.stdout.write(_dumps(cases))
            return
        for case in cases:
            best = case["candidates"][0] if case["candidates"] else None
            top = (f"{best['publication']} covers {best['coverage']}/{best['elements']}"
                   if best else "no candidate")
            self.stdout.write(f"{case['id']}\t{case['filing']}\t{case['status']}\t{top}")


def _dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)
