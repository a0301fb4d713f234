"""Every state a run or a step can be in, each a named choice (docs/architecture.md draws the
machines). Step kinds, the engine, the models and the pages all use these, never bare text."""

from __future__ import annotations

from django.db import models


class RunStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    RUNNING = "running", "Running"
    WAITING = "waiting", "Waiting"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    STOPPED = "stopped", "Stopped"  # a condition was false: an ending, not an error
    SKIPPED = "skipped", "Skipped"  # a sending rule held it back: see its skip_reason


FINISHED = (RunStatus.SUCCEEDED, RunStatus.FAILED, RunStatus.STOPPED, RunStatus.SKIPPED)


class StepStatus(models.TextChoices):
    """A step's outcome, and the state of its stored result row (the same values)."""

    RUNNING = "running", "Running"  # its result row exists, its effect may be under way
    WAITING = "waiting", "Waiting"  # a delay: the run resumes at the outcome's resume_at
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"
    STOPPED = "stopped", "Stopped (condition false)"
    SKIPPED = "skipped", "Skipped"


class SkipReason(models.TextChoices):
    """Why a run was held back without doing anything; counted per reason."""

    NONE = "", "—"
    SUPPRESSED = "suppressed", "The recipient is on the suppression list"
    NO_CONSENT = "no_consent", "The customer has not accepted these emails"
    FREQUENCY_CAP = "frequency_cap", "The recipient had the most emails the account allows"
    SEND_ONCE = "send_once", "Already ran for this order, cart or customer"
