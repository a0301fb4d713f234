"""Create an account (team) and its first account admin."""

from __future__ import annotations

import getpass
import os

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.forms import integration_manager_permission
from accounts.models import Account, User


class Command(BaseCommand):
    help = (
        "Create an account and its first account admin (a staff user who manages the account's "
        "users and holds the Integration Manager permission). The password is prompted, or read "
        "from ACCOUNT_ADMIN_PASSWORD with --no-input."
    )

    def add_arguments(self, parser):
        parser.add_argument("name", help="The account's (team's) name.")
        parser.add_argument("--admin", required=True, help="Username of the first account admin.")
        parser.add_argument("--email", default="", help="The admin's email address.")
        parser.add_argument(
            "--no-input",
            action="store_false",
            dest="interactive",
            help="Read the password from the ACCOUNT_ADMIN_PASSWORD environment variable.",
        )

    def handle(self, *args, name, admin, email, interactive, **options):
        name = name.strip()
        if not name:
            raise CommandError("The account name cannot be empty.")
        if Account.objects.filter(name=name).exists():
            raise CommandError(f"An account named {name!r} already exists; choose another name.")
        if User.objects.filter(username=admin).exists():
            raise CommandError(f"The username {admin!r} is taken; choose another with --admin.")
        password = self._password(interactive)
        try:
            validate_password(password, User(username=admin, email=email))
        except ValidationError as exc:
            raise CommandError("Password rejected: " + " ".join(exc.messages)) from exc

        with transaction.atomic():
            account = Account.objects.create(name=name)
            user = User.objects.create_user(
                username=admin, email=email, password=password, account=account, is_staff=True
            )
            user.user_permissions.add(integration_manager_permission())
        self.stdout.write(
            self.style.SUCCESS(
                f"Created account {account.name!r} with account admin {user.username!r}."
            )
        )

    def _password(self, interactive: bool) -> str:
        if not interactive:
            password = os.environ.get("ACCOUNT_ADMIN_PASSWORD", "")
            if not password:
                raise CommandError(
                    "--no-input needs the ACCOUNT_ADMIN_PASSWORD environment variable."
                )
            return password
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The two passwords differ.")
        return first
