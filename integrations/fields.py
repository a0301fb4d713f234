"""Model fields whose plaintext never reaches the database."""

from django.db import models

from integrations import crypto


class EncryptedTextField(models.TextField):
    """Stores `crypto.encrypt(value)`; reads return plaintext. Not searchable, by design."""

    description = "Text encrypted at rest with FIELD_ENCRYPTION_KEYS"

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return crypto.decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value is None or value == "":
            return value
        return crypto.encrypt(value)
