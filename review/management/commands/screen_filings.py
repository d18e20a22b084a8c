"""python manage.py screen_filings [NUMBER... | --all] [--celery]"""

import time

from django.core.management.base import BaseCommand, CommandError

from review.screening import filings_screen
from review.selectors import filings_by_number


class Command(BaseCommand):
    help = ("Screen filings' independent claims against DefPub's publications and open "
            "watch cases for suspected copies (docs/watch.md).")

    def add_arguments(self, parser):
        parser.add_argument("numbers", nargs="*", help="e.g. 20180000016, US20180000016A1")
        parser.add_argument("--all", action="store_true", help="every imported filing")
        parser.add_argument("--celery", action="store_true",
                            help="run as Celery work on the screening queue and wait")
        parser.add_argument("--timeout", type=float, default=3600.0,
                            help="with --celery: seconds to wait for the workers")

    def handle(self, *args, numbers: list[str], all: bool, celery: bool, timeout: float,
               **options):
        if bool(numbers) == all:
            raise CommandError("give filing numbers or --all (not both)")
        ids = list(filings_by_number(numbers=numbers or None).values_list("pk", flat=True))
        if numbers and not ids:
            raise CommandError(f"no filing {' '.join(numbers)}")
        run = screen_ids(self, ids, celery=celery, timeout=timeout)
        if run.failed:
            raise CommandError(f"{len(run.failed)} filing(s) were not screened; see above")


def screen_ids(command: BaseCommand, ids: list[int], *, celery: bool = False,
               timeout: float = 3600.0):
    """Screen with progress on stderr (n/N, the rate and the time left, every 5% or so) and
    a summary on stdout (also import_filings)."""
    step = max(1, len(ids) // 20)
    started, shown = time.monotonic(), [0]

    def progress(done: int, total: int) -> None:
        if done < shown[0] + step and (done != total or shown[0] == total):
            return
        shown[0] = done
        elapsed = time.monotonic() - started
        rate = done / elapsed * 3600 if elapsed else 0.0
        left = f", {(total - done) / rate * 60:.0f} min left" if rate and done < total else ""
        command.stderr.write(f"screened {done}/{total} ({rate:,.0f} an hour{left})")

    run = filings_screen(filing_ids=ids, through_celery=celery, progress=progress,
                         timeout=timeout)
    for failure in run.failed:
        command.stderr.write(f"error: {failure}")
    command.stdout.write(f"{run.filings} filing(s) screened: {run.claims} independent "
                         f"claim(s), {run.suspected} suspected cop(y/ies)")
    return run
