"""Starter templates: ready-made workflows the setup wizard offers. Each makes a real draft
with ordinary steps, validated as a hand-made workflow's are; the user reviews, edits, then
activates it. The templates themselves are data, listed by the app that owns what they need
(`surveys/starters.py`) and registered here."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from workflows import services
from workflows.models import Initiator, Workflow
from workflows.steps.registry import check_account, validate_steps


@dataclass(frozen=True)
class Starter:
    key: str
    name: str  # the workflow's name, and the template's title
    description: str
    event: str
    # The template's steps for an account (it may create what they name: a survey); called
    # inside the transaction that saves the workflow.
    steps: Callable[..., list[dict]]


STARTERS: dict[str, Starter] = {}


def register(starter: Starter) -> None:
    STARTERS[starter.key] = starter


def create_from(
    starter: Starter, *, account, created_by, authentication, name: str = ""
) -> Workflow:
    """A draft workflow from `starter`, its steps validated like any workflow's."""
    with transaction.atomic():
        steps = validate_steps(starter.steps(account=account, user=created_by), starter.event)
        check_account(steps, account.pk)
        return services.create_workflow(
            account=account,
            created_by=created_by,
            steps=steps,
            name=name or starter.name,
            initiator=Initiator.BIGCOMMERCE,
            event=starter.event,
            authentication=authentication,
        )
