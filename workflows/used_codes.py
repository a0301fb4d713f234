"""Which merge codes a workflow's steps read, so that a fetch asks BigCommerce only for the
resources they need (docs/architecture.md, "Merge-code groups")."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from workflows import merge_codes, trigger_filters
from workflows.models import Step, Workflow
from workflows.steps.registry import get_kind

# Per workflow: (its updated_at and step ids, the codes its steps use). Steps are replaced,
# never edited in place, except in the admin, whose save bumps the workflow's updated_at.
_CODES_BY_WORKFLOW: dict[int, tuple[tuple, frozenset[str]]] = {}
MAX_REMEMBERED_WORKFLOWS = 10_000


def codes_used(workflows: list[Workflow], steps: dict[int, list[Step]]) -> frozenset[str]:
    """Every code the workflows' steps and trigger filters read (formats' needs included),
    for the fetch."""
    used: set[str] = set()
    for workflow in workflows:
        used |= workflow_codes(workflow, steps.get(workflow.pk, []))
    return frozenset(used)


def workflow_codes(workflow: Workflow, steps: list[Step]) -> frozenset[str]:
    key = (workflow.updated_at, tuple(step.pk for step in steps))
    remembered = _CODES_BY_WORKFLOW.get(workflow.pk)
    if remembered is not None and remembered[0] == key:
        return remembered[1]
    codes = merge_codes.codes_used(text for step in steps for text in _texts(step.config))
    codes |= {code for step in steps for code in get_kind(step.type).codes_needed(step.config)}
    codes |= trigger_filters.codes_needed(workflow.event, workflow.trigger_filter or {})
    if len(_CODES_BY_WORKFLOW) >= MAX_REMEMBERED_WORKFLOWS:
        _CODES_BY_WORKFLOW.clear()
    _CODES_BY_WORKFLOW[workflow.pk] = (key, codes)
    return codes


def _texts(value: Any) -> Iterator[str]:
    """Every text in a step's config (a condition's code, a header's value, a body, ...)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
