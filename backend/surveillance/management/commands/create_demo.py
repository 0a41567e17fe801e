"""``manage.py create_demo``: a demo user with a password and an API token, printed for the quick start.

Idempotent: a second run reuses the user and token. The password is set when the user is created, when
``--password`` (or ``--password-env``) is given, or with ``--reset-password``; otherwise it stays as it
was (only its hash is stored). ``--superuser`` makes the user staff and superuser: the laptop product's
admin login (never the demo user, whose token the banner prints).
"""

from __future__ import annotations

import json
import os
import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from rest_framework.authtoken.models import Token

from surveillance.cameras import services
from surveillance.models import Camera


class Command(BaseCommand):
    help = "Create (or reuse) a demo user with an API token and print the credentials."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="demo", help="Demo user name (default %(default)s).")
        parser.add_argument("--password", default=None, help="Set this password (default: a random one).")
        parser.add_argument(
            "--password-env",
            metavar="NAME",
            help="Set the password held by this environment variable: kept out of the process list, and "
            "a password that starts with '-' is not read as an option.",
        )
        parser.add_argument("--reset-password", action="store_true", help="Set a new random password.")
        parser.add_argument("--superuser", action="store_true", help="Make the user staff and superuser.")
        parser.add_argument(
            "--camera", metavar="RTSP_URL", help="Also create an active camera 'Demo camera'."
        )
        parser.add_argument("--json", action="store_true", help="Print the credentials as one JSON object.")

    @transaction.atomic
    def handle(self, *args, username: str, password: str | None, password_env: str | None,
               reset_password: bool, superuser: bool, camera: str | None, json: bool,
               **options) -> None:  # fmt: skip
        if password_env:
            password = os.environ.get(password_env) or None
            if password is None:
                raise CommandError(f"--password-env {password_env}: that variable is not set or empty")
        user, created = get_user_model().objects.get_or_create(username=username)
        if superuser and not (user.is_staff and user.is_superuser):
            user.is_staff = user.is_superuser = True
            user.save(update_fields=["is_staff", "is_superuser"])
        if password is None and (created or reset_password):
            password = secrets.token_urlsafe(12)
        if password is not None:
            user.set_password(password)
            user.save(update_fields=["password"])
        token, _ = Token.objects.get_or_create(user=user)
        result: dict = {"username": username, "password": password, "token": token.key}
        if camera:
            existing = Camera.objects.filter(user=user, name="Demo camera").first()
            if existing is None:
                demo = services.camera_create(user=user, name="Demo camera", rtsp_url=camera, is_active=True)
            else:
                demo = services.camera_update(camera=existing, rtsp_url=camera, is_active=True)
            result["camera_id"] = demo.pk
        self._print(result, as_json=json)

    def _print(self, result: dict, *, as_json: bool) -> None:
        if as_json:
            self.stdout.write(_json_dumps(result))
            return
        self.stdout.write(f"username: {result['username']}")
        self.stdout.write(f"password: {result['password'] or '(unchanged; --reset-password sets a new one)'}")
        self.stdout.write(f"token:    {result['token']}")
        if "camera_id" in result:
            self.stdout.write(f"camera:   {result['camera_id']}")


def _json_dumps(value: dict) -> str:
    return json.dumps(value)
