"""`make run` helper: make sure a newcomer has an account and a user to log in with (DEBUG only)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction

from accounts.forms import integration_manager_permission
from accounts.models import Account, User

DEV_USERNAME = "demo"
# Test events email the user who sends them: the demo user needs an address (the console
# backend of `make run` prints the email).
DEV_EMAIL = "demo@example.com"


class Command(BaseCommand):
    help = "With DEBUG on and no users yet, create a 'Demo team' account and its admin 'demo'."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            self.stdout.write("DEBUG is off: no development user is created.")
            return
        existing = User.objects.filter(username=DEV_USERNAME).first()
        if existing is not None:
            if not existing.email:  # made before the demo user had an address
                User.objects.filter(pk=existing.pk).update(email=DEV_EMAIL)
            self.stdout.write(f"Log in as {DEV_USERNAME!r}; the password is in .dev-secrets.env.")
            return
        if User.objects.exists():
            return
        password = secrets.token_urlsafe(12)
        with transaction.atomic():
            account, _ = Account.objects.get_or_create(name="Demo team")
            user = User.objects.create_user(
                DEV_USERNAME, email=DEV_EMAIL, password=password, account=account, is_staff=True
            )
            user.user_permissions.add(integration_manager_permission())
        with open(settings.DEV_SECRETS_FILE, "a") as fh:
            fh.write(f"DEV_USER_PASSWORD={password}\n")
        self.stdout.write(
            self.style.SUCCESS(
                f"Created account 'Demo team' and its admin {DEV_USERNAME!r} with password "
                f"{password} (also saved in .dev-secrets.env)."
            )
        )
