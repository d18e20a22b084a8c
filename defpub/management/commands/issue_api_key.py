"""Issue an examiner API key from the command line; the key is printed once."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Q

from defpub.examiners.services import api_key_issue


class Command(BaseCommand):
    help = "Issue an API key for an existing user (by username or e-mail) and print it once."

    def add_arguments(self, parser):
        parser.add_argument("user", help="username or e-mail address")
        parser.add_argument("--office", required=True, help="the office the examiner works for")
        parser.add_argument("--name", default="", help="a label for the key")
        parser.add_argument("--rate", type=int, default=None,
                            help="requests per minute (default: API_RATE_KEY)")

    def handle(self, *args, user, office, name, rate, **options):
        if rate is not None and rate < 1:
            raise CommandError("--rate must be a positive number of requests per minute.")
        owner = get_user_model().objects.filter(Q(username=user) | Q(email__iexact=user)).first()
        if owner is None:
            raise CommandError(f"No user “{user}”; they can sign up at /accounts/signup.")
        try:
            key, plain = api_key_issue(owner=owner, office=office, name=name,
                                       rate_per_minute=rate)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        self.stderr.write(f"Key {key.prefix}… for {owner.get_username()} ({key.office}). "
                          "It is shown only this once:")
        self.stdout.write(plain)
