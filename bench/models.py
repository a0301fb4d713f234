"""The table of baseline (b): a body and when it arrived."""

from django.db import models
from django.utils import timezone


class BaselineBody(models.Model):
    body = models.TextField()
    received_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"baseline body {self.pk}"
