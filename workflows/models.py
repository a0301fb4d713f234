"""Workflows started by BigCommerce events, their ordered steps, and their runs."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from integrations.events import EVENTS, EventKey
from workflows.states import RunStatus, SkipReason, StepStatus

__all__ = [
    "Alert",
    "AlertKind",
    "Branch",
    "Consent",
    "Initiator",
    "Job",
    "JobKind",
    "JobStatus",
    "RunStatus",
    "SendOnceScope",
    "SentEmail",
    "SentMessage",
    "SkipReason",
    "Step",
    "StepResult",
    "StepStatus",
    "StepType",
    "TestData",
    "Suppression",
    "SuppressionReason",
    "FilteredDelivery",
    "Workflow",
    "WorkflowRun",
    "WorkflowStatus",
]


class Initiator(models.TextChoices):
    BIGCOMMERCE = "bigcommerce", "BigCommerce"


class WorkflowStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"


class TestData(models.TextChoices):
    """What a test event runs on."""

    NONE = "", "None: a real event"
    REGISTERED = "registered", "Sample data: a registered customer"
    GUEST = "guest", "Sample data: a guest checkout"
    RUN = "run", "A real event's data"


class SendOnceScope(models.TextChoices):
    NONE = "", "Every event"
    ORDER = "order", "Once per order"
    CART = "cart", "Once per cart"
    CUSTOMER = "customer", "Once per customer"


# Send-once is on by default: new workflows get their event's scope (split shipments and a
# cart abandoned twice don't email the same person twice), as the event catalog says.
SEND_ONCE_DEFAULTS = {
    key: SendOnceScope(event.send_once) for key, event in EVENTS.items() if event.send_once
}


class Consent(models.TextChoices):
    REQUIRED = "required", "Required: email only customers who accept these emails"
    NOT_REQUIRED = "not_required", "Not required: email every customer (risky)"


class Workflow(models.Model):
    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="workflows"
    )
    name = models.CharField(max_length=150)
    initiator = models.CharField(
        max_length=32, choices=Initiator.choices, default=Initiator.BIGCOMMERCE
    )
    event = models.CharField(
        max_length=32, choices=EventKey.choices, help_text="The BigCommerce event that starts it."
    )
    authentication = models.ForeignKey(
        "integrations.BigCommerceAuthentication",
        on_delete=models.PROTECT,
        related_name="workflows",
        help_text="The store credentials used to fetch the event's data.",
    )
    status = models.CharField(
        max_length=16, choices=WorkflowStatus.choices, default=WorkflowStatus.DRAFT
    )
    send_once_scope = models.CharField(
        max_length=16,
        choices=SendOnceScope.choices,
        default=SendOnceScope.NONE,
        blank=True,
        help_text="Run at most once per order, cart or customer within the window below.",
    )
    send_once_days = models.PositiveIntegerField(
        default=30,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="The send-once window, in days.",
    )
    consent = models.CharField(
        max_length=16,
        choices=Consent.choices,
        default=Consent.REQUIRED,
        help_text="Whether customer emails go only to customers whose BigCommerce record says "
        "they accept them (docs/architecture.md, 'Customer-safe sending').",
    )
    send_window_weekdays = models.CharField(
        max_length=7,
        blank=True,
        default="",
        validators=[RegexValidator(r"^[0-6]*$", "Weekdays are digits 0 (Monday) to 6 (Sunday).")],
        help_text="The store-time weekdays customer emails may go out, 0 = Monday … 6 = Sunday "
        "(empty: any time). An email due outside the window waits for it.",
    )
    send_window_start_hour = models.PositiveSmallIntegerField(
        default=9,
        validators=[MaxValueValidator(23)],
        help_text="The send window opens at this hour, store time.",
    )
    send_window_end_hour = models.PositiveSmallIntegerField(
        default=17,
        validators=[MinValueValidator(1), MaxValueValidator(24)],
        help_text="…and closes at this hour, store time (24: midnight).",
    )
    stop_on_order_statuses = models.CharField(
        max_length=100,
        blank=True,
        default="4,5,6",
        validators=[
            RegexValidator(r"^(\d{1,3}(,\d{1,3})*)?$", "Comma-separated order status ids.")
        ],
        help_text="BigCommerce order status ids (4 Refunded, 5 Cancelled, 6 Declined, …) that "
        "stop a run when the order has one after a wait (its data is fetched again then).",
    )
    trigger_filter = models.JSONField(
        default=dict,
        blank=True,
        help_text="Which deliveries of the event start it: conditions, order status from / to, "
        "statuses to skip, channels ({} = every delivery; workflows/trigger_filters.py).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["authentication", "event", "status"], name="workflow_fanout_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(send_window_start_hour__lt=models.F("send_window_end_hour")),
                name="send_window_opens_before_it_closes",
            )
        ]

    def __str__(self) -> str:
        return self.name


class StepType(models.TextChoices):
    CONDITION = "condition", "Condition"
    SEND_EMAIL = "send_email", "Send email"
    HTTP_REQUEST = "http_request", "HTTP request"
    DELAY = "delay", "Delay"
    IF_ELSE = "if_else", "If / else"
    SURVEY_INVITE = "survey_invite", "Survey invitation"  # the surveys app's kind


class Branch(models.TextChoices):
    """An If / else step's branches (workflows/steps/if_else.py)."""

    NONE = "", "—"
    THEN = "then", "Then"
    ELSE = "else", "Else"


class StepQuerySet(models.QuerySet):
    def by_workflow(self, workflow_ids) -> dict[int, list[Step]]:
        """Each workflow's steps in run order, in one query."""
        steps: dict[int, list[Step]] = {pk: [] for pk in workflow_ids}
        if steps:
            ordered = self.filter(workflow_id__in=list(steps)).order_by(
                "workflow_id", "position", "pk"
            )
            for step in ordered:
                steps[step.workflow_id].append(step)
        return steps


class Step(models.Model):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveIntegerField(help_text="Order within the workflow, from 0.")
    type = models.CharField(max_length=32, choices=StepType.choices)
    config = models.JSONField(default=dict, help_text="Typed settings, validated on save.")

    objects = StepQuerySet.as_manager()

    class Meta:
        ordering = ["workflow", "position", "id"]

    def __str__(self) -> str:
        return f"{self.position + 1}. {self.get_type_display()}"


class WorkflowRun(models.Model):
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="runs")
    delivery = models.ForeignKey(
        "integrations.WebhookDelivery",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
        help_text="The BigCommerce delivery that started it; empty for test runs.",
    )
    is_test = models.BooleanField(default=False)
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Who sent the test event (test runs only).",
    )
    test_data = models.CharField(
        max_length=16,
        choices=TestData.choices,
        blank=True,
        default="",
        help_text="Test runs: the data it ran on (empty for a real run).",
    )
    # An id, not a foreign key: the run may be deleted since, and retention stays one query
    # lighter per batch.
    test_source_run_id = models.BigIntegerField(
        null=True,
        blank=True,
        help_text="Test runs on a real event's data: the id of the run whose merge data it used.",
    )
    test_sends_http = models.BooleanField(
        default=False, help_text="Test runs: whether its HTTP steps are really sent."
    )
    status = models.CharField(max_length=16, choices=RunStatus.choices, default=RunStatus.PENDING)
    skip_reason = models.CharField(
        max_length=32,
        choices=SkipReason.choices,
        default=SkipReason.NONE,
        blank=True,
        help_text="Why a skipped run was held back (empty unless skipped).",
    )
    merge_data = models.JSONField(default=dict)
    subject_key = models.CharField(
        max_length=200, blank=True, help_text="Order/cart/customer key for the send-once guard."
    )
    # Search columns, copied from the merge data when the run is created (an index each).
    order_id = models.BigIntegerField(
        null=True, blank=True, help_text="The order's id in the merge data, for search."
    )
    customer_email = models.CharField(
        max_length=254,
        blank=True,
        help_text="The customer's email in the merge data, lower-case, for search.",
    )
    next_position = models.PositiveIntegerField(default=0, help_text="The next step to run.")
    resume_at = models.DateTimeField(
        null=True, blank=True, help_text="When a waiting run resumes (set only while waiting)."
    )
    leased_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A pending or running run's lease: past it, the sweeper hands it out again.",
    )
    error = models.TextField(
        blank=True, help_text="Why it failed, stopped or was skipped, in words for the run page."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workflow", "delivery"],
                condition=models.Q(delivery__isnull=False),
                name="one_run_per_delivery",
            )
        ]
        indexes = [
            models.Index(fields=["status", "resume_at"], name="run_resume_idx"),
            # Counts by status over a time range (skip counts, a day's figures): without it a
            # status is read over its whole history.
            models.Index(fields=["status", "created_at"], name="run_status_created_idx"),
            models.Index(
                fields=["leased_until"],
                condition=models.Q(leased_until__isnull=False),
                name="run_lease_idx",
            ),
            models.Index(
                fields=["workflow", "subject_key", "created_at"], name="run_send_once_idx"
            ),
            models.Index(
                fields=["order_id"],
                condition=models.Q(order_id__isnull=False),
                name="run_order_idx",
            ),
            models.Index(
                fields=["customer_email"],
                condition=~models.Q(customer_email=""),
                name="run_customer_email_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"Run #{self.pk} of {self.workflow} ({self.status})"


class StepResultQuerySet(models.QuerySet):
    def in_run_order(self):
        """As the steps ran: by position, an If / else's own row before its branch's steps."""
        return self.order_by("position", models.F("branch_position").asc(nulls_first=True))


class StepResult(models.Model):
    """One step of one run. Created before the step's side effect, under a unique key, so a
    retried or duplicated task sees it and never repeats the effect.

    A step of an If / else's branch has the If / else's `position` and its own
    `branch_position` within the branch; every other row has none."""

    run = models.ForeignKey(WorkflowRun, on_delete=models.CASCADE, related_name="step_results")
    position = models.PositiveIntegerField(help_text="The workflow step's position, from 0.")
    branch = models.CharField(
        max_length=8,
        choices=Branch.choices,
        default=Branch.NONE,
        blank=True,
        help_text="The If / else branch this row is about: the one it took (the If / else's own "
        "row) or the one this step is in; empty elsewhere.",
    )
    branch_position = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Order within the If / else branch, from 0 (empty unless in a branch).",
    )
    type = models.CharField(max_length=32, choices=StepType.choices)
    status = models.CharField(max_length=16, choices=StepStatus.choices)
    detail = models.TextField(blank=True)
    resume_at = models.DateTimeField(null=True, blank=True, help_text="A delay's end.")
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = StepResultQuerySet.as_manager()

    class Meta:
        ordering = ["run", "position", models.F("branch_position").asc(nulls_first=True)]
        constraints = [
            models.UniqueConstraint(
                fields=["run", "position"],
                condition=models.Q(branch_position__isnull=True),
                name="one_effect_per_step",
            ),
            models.UniqueConstraint(
                fields=["run", "position", "branch_position"],
                condition=models.Q(branch_position__isnull=False),
                name="one_effect_per_branch_step",
            ),
        ]

    def __str__(self) -> str:
        return f"Step {self.step_label} of run #{self.run_id}: {self.status}"

    @property
    def step_label(self) -> str:
        """The step's number as the run page shows it: "3", or "3 · then 2" in a branch."""
        if self.branch_position is None:
            return str(self.position + 1)
        return f"{self.position + 1} · {self.branch} {self.branch_position + 1}"


class JobKind(models.TextChoices):
    REPLAY_DELIVERIES = "replay_deliveries", "Replay deliveries"
    IMPORT_SUPPRESSIONS = "import_suppressions", "Import suppressed addresses"
    BACKFILL = "backfill", "Backfill missed events"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    SUCCEEDED = "succeeded", "Done"
    FAILED = "failed", "Failed"


class Job(models.Model):
    """A long piece of work someone asked for (a bulk replay), done on the task cluster in
    batches; its progress is what the job page and `GET jobs/{id}/` show."""

    kind = models.CharField(max_length=32, choices=JobKind.choices)
    account = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    status = models.CharField(max_length=16, choices=JobStatus.choices, default=JobStatus.QUEUED)
    params = models.JSONField(
        default=dict,
        help_text="What to work on (a replay's filters; a backfill's authentication, events and "
        "gap) and what a backfill found (created, duplicates).",
    )
    total = models.PositiveIntegerField(default=0, help_text="Rows to work on.")
    done = models.PositiveIntegerField(default=0, help_text="Rows worked on so far.")
    error_count = models.PositiveIntegerField(default=0, help_text="Rows that could not be done.")
    errors = models.JSONField(
        default=list, help_text="The first problems: [{'id', 'error'}], id null for the job's own."
    )
    last_id = models.BigIntegerField(
        default=0, help_text="The job's bookmark: rows up to this id are worked on."
    )
    leased_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="A queued or running job's lease: past it, the sweeper hands it out again.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["leased_until"],
                condition=models.Q(leased_until__isnull=False),
                name="job_lease_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk} ({self.status})"

    @property
    def finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


# The customer-safe sending records live beside their rules (workflows/sending/).
from workflows.alerts.models import Alert, AlertKind  # noqa: E402
from workflows.sending.models import SentEmail, Suppression, SuppressionReason  # noqa: E402
from workflows.sent_messages import SentMessage  # noqa: E402


class FilteredDelivery(models.Model):
    """A delivery a workflow's trigger filter held back: no run exists for it, this says why."""

    delivery = models.ForeignKey(
        "integrations.WebhookDelivery", on_delete=models.CASCADE, related_name="filtered"
    )
    workflow = models.ForeignKey(Workflow, on_delete=models.CASCADE, related_name="filtered")
    reason = models.TextField(help_text="Why the filter held it back, in words.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "workflow"], name="unique_filtered_delivery_workflow"
            )
        ]
        indexes = [models.Index(fields=["workflow", "created_at"], name="filtered_stats_idx")]
        verbose_name_plural = "filtered deliveries"

    def __str__(self) -> str:
        return f"delivery #{self.delivery_id} held back for workflow #{self.workflow_id}"
