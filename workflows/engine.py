"""The run engine: executes a run's steps in order, one side effect per step at most.

Each step's result row is created under a unique (run, position) key *before* its side effect.
A retried or duplicated task finds the row and never repeats an email or HTTP call; a row left
`running` by a worker that died is reported, not re-sent (retry the run to send again).

Before a step kind that sends customer emails, the engine asks the sending gate
(`workflows/sending/gate.py`): a refusal makes the step `skipped` with a `SkipReason`, and the
run `skipped` with it; a test run still sends to the tester, and the step log says what a real
run would have met. After a customer email is sent, the gate records it (the frequency cap).

An If / else step only decides; the engine then runs the steps of the branch it took, each
under its own result row (the If / else's position and the step's place in the branch), so a
delay in a branch resumes in the branch and its finished steps are never repeated.

A new run's leading steps without side effects (conditions, delays) are evaluated before the
run is even stored (`run_ahead`): the run and their results are written together, in the same
transaction that creates it, so a workflow that stops at a condition costs no task of its own.
"""

from __future__ import annotations

from dataclasses import replace

from django.utils import timezone

from workflows import freshness, runs, sent_messages
from workflows.models import RunStatus, Step, StepResult, StepStatus, WorkflowRun
from workflows.sending import gate
from workflows.steps.base import StepContext, StepFailed, StepOutcome
from workflows.steps.registry import get_kind

INTERRUPTED = (
    "Interrupted while running (the worker stopped). Not repeated automatically, so it cannot "
    "happen twice; retry the run to try this step again."
)


# A step outcome that ends its run, and how the run ends.
ENDING = {
    StepStatus.STOPPED: RunStatus.STOPPED,
    StepStatus.SKIPPED: RunStatus.SKIPPED,
    StepStatus.FAILED: RunStatus.FAILED,
}


def context_for(run: WorkflowRun, now=None) -> StepContext:
    return StepContext(
        run_id=run.pk,
        workflow_id=run.workflow_id,
        event_key=run.workflow.event,
        merge_data=run.merge_data,
        is_test=run.is_test,
        test_recipient=(run.triggered_by.email or None) if run.triggered_by else None,
        now=now or timezone.now(),
        store_timezone=run.workflow.authentication.timezone,
        store_name=run.workflow.authentication.store_name,
        test_sends_http=run.is_test and run.test_sends_http,
    )


def run_ahead(run: WorkflowRun, steps: list[Step], ctx: StepContext) -> list[StepResult]:
    """Evaluate a new, not yet stored run's leading steps that have no side effect, in memory.

    Sets the run's state to where they lead (stopped by a condition, waiting for a delay,
    finished, or pending at its first step with a side effect) and returns their result rows,
    unsaved: the caller stores both in one transaction. Steps with a side effect are left to
    `execute`, which creates their result row before the effect, as always. An If / else is
    decided here too, and its branch's leading steps likewise.
    """
    results: list[StepResult] = []
    position = 0
    outcome = None
    while position < len(steps):
        step = steps[position]
        kind = get_kind(step.type)
        if kind.has_side_effect:
            break
        outcome = attempt(kind, step, ctx)
        results.append(_ahead_row(position, step, outcome, ctx, outcome.branch))
        if outcome.status == StepStatus.SUCCEEDED and kind.branches:
            outcome = _branch_ahead(step, position, outcome.branch, ctx, results)
            if outcome is None:  # a step with a side effect in the branch: `execute` goes on
                break
        if outcome.status != StepStatus.SUCCEEDED:
            break
        position += 1
    run.next_position = position
    if outcome is not None and outcome.status == StepStatus.WAITING:
        run.status, run.resume_at, run.leased_until = RunStatus.WAITING, outcome.resume_at, None
    elif outcome is not None and outcome.status != StepStatus.SUCCEEDED:
        run.status, run.error = ENDING[outcome.status], outcome.detail
        run.finished_at, run.resume_at, run.leased_until = ctx.now, None, None
    elif position == len(steps):
        run.status, run.finished_at = RunStatus.SUCCEEDED, ctx.now
        run.resume_at = run.leased_until = None
    if results or run.status != RunStatus.PENDING:
        run.started_at = ctx.now
    return results


def _branch_ahead(
    step: Step, position: int, branch: str, ctx: StepContext, results: list[StepResult]
) -> StepOutcome | None:
    """`run_ahead` for the branch an If / else took: its outcome so far, None at a step with
    a side effect."""
    outcome = StepOutcome(StepStatus.SUCCEEDED, "")
    for index, inner in enumerate(branch_steps(step, branch)):
        kind = get_kind(inner.type)
        if kind.has_side_effect:
            return None
        outcome = attempt(kind, inner, ctx)
        results.append(_ahead_row(position, inner, outcome, ctx, branch, index))
        if outcome.status != StepStatus.SUCCEEDED:
            break
    return outcome


def _ahead_row(position, step, outcome, ctx, branch="", branch_position=None) -> StepResult:
    return StepResult(
        position=position,
        branch=branch,
        branch_position=branch_position,
        type=step.type,
        status=outcome.status,
        detail=outcome.detail,
        resume_at=outcome.resume_at,
        finished_at=None if outcome.status == StepStatus.WAITING else ctx.now,
    )


def branch_steps(step: Step, branch: str) -> list[Step]:
    """The steps of an If / else's branch, as (unsaved) steps at their branch positions."""
    return [
        Step(position=index, type=inner["type"], config=inner["config"])
        for index, inner in enumerate(step.config.get(branch) or [])
    ]


def execute(run_id: int) -> str:
    run = runs.claim(run_id)
    if run is None:
        return "skipped: not due or already running"
    steps = Step.objects.by_workflow([run.workflow_id])[run.workflow_id]
    ctx = context_for(run)
    while run.next_position < len(steps):
        step = steps[run.next_position]
        outcome = run_step(run, step, run.next_position, ctx)
        if outcome.status == StepStatus.SUCCEEDED and get_kind(step.type).branches:
            outcome = run_branch(run, step, run.next_position, outcome.branch, ctx)
        if ctx.merge_data is not run.merge_data:  # fetched again after a wait
            ctx = replace(ctx, merge_data=run.merge_data)
        if outcome.status == StepStatus.SUCCEEDED and outcome.wait_after is None:
            run.next_position += 1
            run.save(update_fields=["next_position"])
            continue
        if outcome.status == StepStatus.SUCCEEDED:  # done, and the run waits before the next
            run.next_position += 1
            run.status = RunStatus.WAITING
            run.resume_at, run.leased_until = outcome.wait_after, None
            run.save(update_fields=["next_position", "status", "resume_at", "leased_until"])
            return RunStatus.WAITING
        if outcome.status == StepStatus.WAITING:
            run.status = RunStatus.WAITING
            run.resume_at, run.leased_until = outcome.resume_at, None
            run.save(update_fields=["status", "resume_at", "leased_until"])
            return RunStatus.WAITING
        return finish(run, ENDING[outcome.status], outcome.detail, outcome.skip_reason)
    return finish(run, RunStatus.SUCCEEDED)


def run_branch(
    run: WorkflowRun, step: Step, position: int, branch: str, ctx: StepContext
) -> StepOutcome:
    """The steps of the branch an If / else took, each under its own result row: a run that
    resumes (after a delay in the branch) finds the rows done before and goes on from there.
    The outcome is the branch's: its first step that did not succeed, else success."""
    outcome = StepOutcome(StepStatus.SUCCEEDED, f"The “{branch}” branch is done.")
    for index, inner in enumerate(branch_steps(step, branch)):
        outcome = run_step(run, inner, position, ctx, branch, index)
        if ctx.merge_data is not run.merge_data:
            ctx = replace(ctx, merge_data=run.merge_data)
        if outcome.status != StepStatus.SUCCEEDED:
            break
    return outcome


def finish(run: WorkflowRun, status: str, error: str = "", skip_reason: str = "") -> str:
    run.status = status
    run.error = error if status != RunStatus.SUCCEEDED else ""
    run.skip_reason = skip_reason if status == RunStatus.SKIPPED else ""
    run.finished_at = timezone.now()
    run.resume_at = run.leased_until = None
    run.save(
        update_fields=["status", "error", "skip_reason", "finished_at", "resume_at", "leased_until"]
    )
    return status


def run_step(
    run: WorkflowRun,
    step: Step,
    position: int,
    ctx: StepContext,
    branch: str = "",
    branch_position: int | None = None,
) -> StepOutcome:
    """One step under its result row: `position` in the workflow, and for a step of an If /
    else's branch, that branch and the step's place in it."""
    kind = get_kind(step.type)
    result, created = StepResult.objects.get_or_create(
        run=run,
        position=position,
        branch_position=branch_position,
        defaults={"type": step.type, "status": StepStatus.RUNNING, "branch": branch},
    )
    if not created:
        waited = result.status == StepStatus.WAITING
        previous = resume(result, kind.has_side_effect, ctx)
        if waited and (previous is None or previous.status == StepStatus.SUCCEEDED):
            stop = after_wait(run, result)
            if stop is not None:
                return stop
            ctx = replace(ctx, merge_data=run.merge_data)
        if previous is not None:
            return previous
    verdict = None
    if kind.sends_customer_email:
        verdict, ctx = ask_gate(run, kind, step, ctx)
        held = held_back(verdict) if verdict is not None and not run.is_test else None
        if held is not None:
            record(result, held)
            return held
    try:
        ctx = kind.prepare(step.config, ctx, run, position)
    except StepFailed as exc:
        outcome = StepOutcome(StepStatus.FAILED, str(exc))
    else:
        outcome = attempt(kind, step, ctx)
    if verdict is not None and run.is_test:
        outcome = replace(outcome, detail=f"{outcome.detail}. {verdict.test_note()}")
    record(result, outcome)
    if outcome.email is not None:
        sent_messages.record(run, position, outcome.email, ctx.now)
    if verdict is not None and outcome.status == StepStatus.SUCCEEDED and not run.is_test:
        gate.record_sent(run, result, verdict.recipients, outcome.message_id, ctx.now)
    return outcome


def after_wait(run: WorkflowRun, result: StepResult) -> StepOutcome | None:
    """A run resumes: its data is fetched again, once (`workflows/freshness.py`). The outcome
    that ends it there (recorded on the step that waited), or None to go on."""
    try:
        reason = freshness.refresh(run)
    except freshness.RefreshFailed as exc:
        if exc.transient:
            again = timezone.now() + freshness.TRY_AGAIN_AFTER
            detail = f"{exc}; trying again at {again:%Y-%m-%d %H:%M} UTC."
            outcome = StepOutcome(StepStatus.WAITING, detail[:1000], resume_at=again)
        else:
            outcome = StepOutcome(StepStatus.FAILED, str(exc)[:1000])
    else:
        if reason is None:
            return None
        outcome = StepOutcome(StepStatus.STOPPED, f"Stopped after the wait: {reason}.")
    record(result, outcome)
    return outcome


def held_back(verdict: gate.Verdict) -> StepOutcome | None:
    """A real run's step outcome when the gate holds its email back: skipped by the first
    refusal, or waiting for the send window; None to send."""
    refusal = verdict.refusal
    if refusal is not None:
        return StepOutcome(
            StepStatus.SKIPPED, f"Not sent: {refusal.detail}.", skip_reason=refusal.reason
        )
    if verdict.wait_until is not None:
        detail = verdict.wait_detail[:1].upper() + verdict.wait_detail[1:] + "."
        return StepOutcome(StepStatus.WAITING, detail, resume_at=verdict.wait_until)
    return None


def ask_gate(run: WorkflowRun, kind, step: Step, ctx: StepContext):
    """The gate's verdict on a customer email, and the context the step then runs with (its
    unsubscribe link); (None, ctx) when the step emails no customer (a fixed address)."""
    try:
        recipients = kind.customer_recipients(step.config, ctx.merge_data)
    except Exception:  # a broken config fails in the step itself, with its own message
        return None, ctx
    if not recipients:
        return None, ctx
    verdict = gate.check(run, recipients, ctx.now, tester=ctx.test_recipient)
    return verdict, replace(ctx, unsubscribe_url=verdict.unsubscribe_url)


def attempt(kind, step: Step, ctx: StepContext) -> StepOutcome:
    try:
        return kind.execute(step.config, ctx)
    except Exception as exc:  # a bug in a step must fail the run visibly, not loop forever
        return StepOutcome(StepStatus.FAILED, f"Step crashed: {type(exc).__name__}: {exc}"[:1000])


def resume(result: StepResult, has_side_effect: bool, ctx: StepContext) -> StepOutcome | None:
    """What an existing result row means when the step is reached again; None to execute."""
    if result.status == StepStatus.WAITING:
        if result.resume_at is not None and result.resume_at > ctx.now:
            return StepOutcome(StepStatus.WAITING, result.detail, resume_at=result.resume_at)
        if has_side_effect:
            # An email that waited for the send window: the gate and the send come now, and
            # the row is `running` again first, so a worker dying here never sends it twice.
            result.status, result.resume_at = StepStatus.RUNNING, None
            result.save(update_fields=["status", "resume_at"])
            return None
        outcome = StepOutcome(StepStatus.SUCCEEDED, f"Waited until {ctx.now:%Y-%m-%d %H:%M} UTC.")
        record(result, outcome)
        return outcome
    if result.status == StepStatus.RUNNING:
        if not has_side_effect:
            return None  # safe to redo (condition, delay)
        outcome = StepOutcome(StepStatus.FAILED, INTERRUPTED)
        record(result, outcome)
        return outcome
    return StepOutcome(result.status, result.detail, branch=result.branch)


def record(result: StepResult, outcome: StepOutcome) -> None:
    result.status = outcome.status
    result.detail = outcome.detail
    result.resume_at = outcome.resume_at
    result.finished_at = None if outcome.status == StepStatus.WAITING else timezone.now()
    fields = ["status", "detail", "resume_at", "finished_at"]
    if outcome.branch:  # an If / else: the branch it took
        result.branch = outcome.branch
        fields.append("branch")
    result.save(update_fields=fields)
