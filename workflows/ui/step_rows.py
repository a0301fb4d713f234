"""The steps list of the workflow page, If / else branches included, and where the steps
editor's form stands in it (its place, its title, where it posts)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse

from workflows.steps.if_else import MAX_BRANCH_STEPS
from workflows.steps.registry import STEP_KINDS
from workflows.ui.presenters import step_summary

BRANCH_TITLES = {
    "then": "Then — when the condition holds",
    "else": "Else — when it does not",
}


@dataclass(frozen=True)
class StepFormAt:
    """Where the steps editor's form is: the workflow's list, or the `branch` of the If / else
    at `position`; editing the step at `index` there (None: adding one)."""

    position: int | None = None
    branch: str | None = None
    index: int | None = None

    def action(self, workflow_pk: int, step_type: str) -> str:
        if self.branch is None:
            if self.index is None:
                return reverse("workflows:step-add", args=[workflow_pk, step_type])
            return reverse("workflows:step-edit", args=[workflow_pk, self.index])
        where = [workflow_pk, self.position, self.branch]
        if self.index is None:
            return reverse("workflows:branch-step-add", args=[*where, step_type])
        return reverse("workflows:branch-step-edit", args=[*where, self.index])

    def title(self, label: str) -> str:
        if self.branch is None:
            if self.index is None:
                return f"New {label.lower()} step"
            return f"Edit step {self.index + 1}: {label}"
        if self.index is None:
            return f"New {label.lower()} step in step {self.position + 1}’s “{self.branch}”"
        return f"Edit step {self.position + 1} · {self.branch} {self.index + 1}: {label}"

    @property
    def top_level_index(self) -> int | None:
        """The workflow step being edited, when the form edits one (not a branch's)."""
        return self.index if self.branch is None else None


@dataclass(frozen=True)
class StepItem:
    """A step as the workflow page lists it, with the editor's links."""

    number: str  # "2", or "2·1" for a branch's first step
    name: str  # "step 2", "step 2 then 1": for buttons' labels
    label: str  # its kind: "Send email"
    summary: str
    edit_url: str
    move_url: str
    delete_url: str
    editing: bool  # the form edits this step, in its place
    branches: tuple[BranchView, ...] = ()  # an If / else's


@dataclass(frozen=True)
class BranchView:
    name: str  # "then" or "else"
    title: str
    items: list[StepItem]
    adding: bool  # the form adds a step to this branch
    can_add: bool  # under the cap of steps per branch


def step_rows(workflow_pk: int, steps, form_at: StepFormAt | None) -> list[StepItem]:
    """The workflow's steps, each If / else with its branches' steps."""
    rows = []
    for index, step in enumerate(steps):
        kind = STEP_KINDS.get(step.type)
        branches = tuple(
            _branch(workflow_pk, index, step.config, name, form_at)
            for name in (kind.branches if kind is not None else ())
        )
        editing = form_at is not None and form_at.top_level_index == index
        rows.append(_item(step.type, step.config, editing, [workflow_pk, index], branches))
    return rows


def _branch(workflow_pk, position, config, name, form_at: StepFormAt | None) -> BranchView:
    here = form_at is not None and (form_at.position, form_at.branch) == (position, name)
    inner = config.get(name) or []
    items = [
        _item(
            item["type"],
            item["config"],
            here and form_at.index == index,
            [workflow_pk, position, name, index],
        )
        for index, item in enumerate(inner)
    ]
    return BranchView(
        name,
        BRANCH_TITLES.get(name, name),
        items,
        adding=here and form_at.index is None,
        can_add=len(inner) < MAX_BRANCH_STEPS,
    )


def _item(step_type, config, editing, args, branches=()) -> StepItem:
    """`args`: the URL's (workflow, index), or (workflow, position, branch, index)."""
    prefix = "workflows:step-" if len(args) == 2 else "workflows:branch-step-"
    numbers = [str(args[1] + 1)] if len(args) == 2 else [str(args[1] + 1), str(args[3] + 1)]
    kind = STEP_KINDS.get(step_type)
    return StepItem(
        number="·".join(numbers),
        name="step " + (numbers[0] if len(args) == 2 else f"{numbers[0]} {args[2]} {numbers[1]}"),
        label=kind.label if kind is not None else step_type,
        summary=step_summary(step_type, config),
        edit_url=reverse(prefix + "edit", args=args),
        move_url=reverse(prefix + "move", args=args),
        delete_url=reverse(prefix + "delete", args=args),
        editing=editing,
        branches=branches,
    )
