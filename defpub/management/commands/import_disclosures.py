"""python manage.py import_disclosures FILE.jsonl --org SLUG [--create-org [--owner USERNAME]]
[--publish]"""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from defpub.filing.bulk_import import import_lines, read_lines
from defpub.organisations.models import Organisation
from defpub.organisations.services import organisation_create_for_import


class Command(BaseCommand):
    help = "Import disclosures from a JSONL file, one record per line (see docs/import.md)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument("--org", required=True, help="the organisation's slug")
        parser.add_argument("--create-org", action="store_true",
                            help="create the organisation when it does not exist yet")
        parser.add_argument("--owner", metavar="USERNAME",
                            help="with --create-org: the user who owns the new organisation")
        parser.add_argument("--publish", action="store_true",
                            help="publish each new record at once (otherwise: drafts)")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args, file: Path, org: str, create_org: bool, publish: bool,
               no_progress: bool, owner: str | None = None, **options):
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        organisation = Organisation.objects.filter(slug=org).first()
        if organisation is None:
            if not create_org:
                raise CommandError(f"no organisation {org!r}; pass --create-org to create it")
            organisation = self._create(org, owner)
        try:
            with open(file, "rb") as handle:
                total = sum(1 for _ in handle)
            with tqdm(total=total, unit="line", disable=no_progress, file=self.stderr._out,
                      desc=file.name) as bar:
                report = import_lines(read_lines(file), organisation=organisation,
                                      publish=publish, progress=bar.update)
        except UnicodeDecodeError as error:
            raise CommandError(f"{file}: not UTF-8 text ({error.reason} at byte "
                               f"{error.start})") from error
        for line, message in report.errors:
            self.stderr.write(f"{file}:{line}: {message}")
        summary = (f"{report.created} imported ({report.published} published), "
                   f"{report.unchanged} already present, {len(report.errors)} bad line(s)")
        self.stdout.write(summary)
        if report.errors:
            raise CommandError(f"{len(report.errors)} line(s) were not imported; see above")

    def _create(self, slug: str, username: str | None) -> Organisation:
        owner = None
        if username is not None:
            owner = get_user_model().objects.filter(username=username).first()
            if owner is None:
                raise CommandError(f"no user {username!r} to own the organisation")
        organisation = organisation_create_for_import(slug=slug, owner=owner)
        if owner is None:
            self.stderr.write(f"created organisation {slug!r} with NO owner: no one can manage "
                              "it until a site admin adds one (or pass --owner USERNAME)")
        else:
            self.stdout.write(f"created organisation {slug!r}, owned by {owner.username}")
        return organisation
