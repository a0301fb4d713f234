"""Re-encrypt every stored secret with the first key of FIELD_ENCRYPTION_KEYS."""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from integrations.crypto import DecryptionError
from integrations.fields import EncryptedTextField


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value with the first key in FIELD_ENCRYPTION_KEYS. Put the new "
        "key first, keep the old ones after it, run this, then remove the old keys."
    )

    def handle(self, *args, **options):
        total = 0
        for model in apps.get_models():
            fields = [f.name for f in model._meta.fields if isinstance(f, EncryptedTextField)]
            if not fields:
                continue
            count = 0
            try:
                with transaction.atomic():
                    # Reading decrypts with whichever key works; update() encrypts with the first.
                    for row in model._default_manager.values("pk", *fields).iterator():
                        pk = row.pop("pk")
                        model._default_manager.filter(pk=pk).update(**row)
                        count += 1
            except DecryptionError as exc:
                raise CommandError(
                    f"{model._meta.label}: {exc} Nothing was changed for it."
                ) from None
            total += count
            self.stdout.write(
                f"{model._meta.label}: re-encrypted {count} row(s) ({', '.join(fields)})."
            )
        self.stdout.write(self.style.SUCCESS(f"Done: {total} row(s) now use the first key."))
