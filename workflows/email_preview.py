"""An email step's preview: its config rendered on sample data or a real event's, exactly as the
step would send it (the layout, the store's name, the unsubscribe link), without sending."""

from __future__ import annotations

from dataclasses import dataclass

from workflows import test_data
from workflows.models import Workflow
from workflows.sending import unsubscribe
from workflows.steps.send_email import SendEmailStep, compose, render_recipients


@dataclass(frozen=True)
class EmailPreview:
    data_label: str  # the data it was rendered with, in words
    to: tuple[str, ...]
    to_problem: str  # why the recipient would fail ("" when it renders)
    subject: str
    text: str
    html: str  # the whole document; "" for a plain-text email
    customer_email: bool  # a customer email: it carries an unsubscribe link


def preview(workflow: Workflow, config: dict, kind: str, run_id: int | None = None) -> EmailPreview:
    """The email of ``config`` (a validated send_email config) on the data of ``kind``;
    ``test_data.UnknownData`` when that is not one the workflow offers."""
    source = test_data.event_data(workflow, kind, run_id)
    recipients, problem = render_recipients(config["to"], source.merge_data)
    customers = SendEmailStep().customer_recipients(config, source.merge_data)
    link = unsubscribe.url_for(workflow.account_id, customers[0]) if customers else None
    content = compose(
        config,
        source.merge_data,
        store_name=workflow.authentication.store_name,
        unsubscribe_url=link,
    )
    return EmailPreview(
        data_label=source.label,
        to=tuple(recipients),
        to_problem=problem or "",
        subject=content.subject,
        text=content.text,
        html=content.html,
        customer_email=bool(customers),
    )
