"""``manage.py create_operator_token``: the operator's service user (group cctv-operator) and its token.

Prints only the token on stdout so scripts can capture it: ``TOKEN=$(manage.py create_operator_token)``.
"""

from django.core.management.base import BaseCommand, CommandParser

from surveillance.accounts import services


class Command(BaseCommand):
    help = "Create (or reuse) the operator's service user and print its API token."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--username", default="cctv-operator", help="Service user name (default %(default)s)."
        )
        parser.add_argument("--rotate", action="store_true", help="Replace the user's token with a new one.")

    def handle(self, *args, username: str, rotate: bool, **options) -> None:
        self.stdout.write(services.operator_token_create(username=username, rotate=rotate))
