"""The email preview in the step editor: the email as typed (nothing saved, nothing sent),
rendered on the registered or guest sample or the workflow's latest real event, shown in a
frame where nothing can run."""

import pytest
from django.urls import reverse

from tests.factories import SEND_EMAIL, sample_merge_data
from tests.html import assert_email_frames_are_inert, check_page
from workflows.models import Step, WorkflowRun

pytestmark = pytest.mark.django_db

TYPED = {
    "step-to": (
        "[BigCommerce | Customer | email] or [BigCommerce | Order | billing_address | email]"
    ),
    "step-subject": "Order [BigCommerce | Order | id] for [BigCommerce | Customer | first_name]",
    "step-body": "<p>Hi [BigCommerce | Customer | first_name | default:there]!</p>",
    "step-format": "html",
    "step_type": "send_email",
    "editing": "0",
}


def preview(client, workflow, data: str | None = None, **typed):
    fields = {**TYPED, **typed}
    if data is not None:
        fields["preview-data"] = data
    return client.post(reverse("workflows:step-preview", args=[workflow.pk]), fields)


@pytest.fixture
def latest_run(workflow, make_delivery):
    """The workflow's latest real event: a customer named with a script."""
    data = sample_merge_data(
        overrides={
            "Customer | first_name": '<script>alert(1)</script>"><b>Eve',
            "Customer | email": "eve@example.com",
        }
    )
    older = WorkflowRun.objects.create(
        workflow=workflow, delivery=make_delivery(status="processed"), merge_data={}
    )
    latest = WorkflowRun.objects.create(
        workflow=workflow, delivery=make_delivery(status="processed"), merge_data=data
    )
    assert older.pk < latest.pk
    return latest


def test_the_editor_offers_a_preview_with_a_choice_of_data(as_manager, workflow, latest_run):
    # When the manager edits the email step
    page = check_page(as_manager.get(reverse("workflows:step-edit", args=[workflow.pk, 0])))

    # Then a preview button and the data to use are offered, the latest event first chosen
    assert "Preview email" in page
    assert f'<option value="run-{latest_run.pk}" selected>' in page
    assert "Sample data: a registered customer" in page and "a guest checkout" in page


def test_registered_sample_preview_renders_the_email_without_saving_or_sending(
    as_manager, workflow, mailoutbox
):
    # Given the saved step
    saved = list(Step.objects.values_list("config", flat=True))

    # When the typed email is previewed on the registered customer's sample
    response = preview(as_manager, workflow, "registered")
    page = check_page(response)

    # Then the page shows the email as it would be sent: recipient, subject, the layout
    assert response.status_code == 200
    assert "Rendered with: Sample data: a registered customer." in page
    assert "Order 218 for Jane" in page and "janedoe@example.com" in page
    (frame,) = assert_email_frames_are_inert(page)
    assert "<p>Hi Jane!</p>" in frame["srcdoc"] and "max-width:600px" in frame["srcdoc"]
    assert "BigCommerce" in frame["srcdoc"]  # the sample store's name, in the layout
    assert "Unsubscribe" in frame["srcdoc"]  # a customer email carries the link
    # ... and nothing was saved or sent
    assert list(Step.objects.values_list("config", flat=True)) == saved
    assert mailoutbox == []


def test_guest_sample_preview_uses_the_fallback_recipient(as_manager, workflow):
    # When the email is previewed on a guest checkout
    page = preview(as_manager, workflow, "guest").content.decode()

    # Then the customer's codes are empty: the fallback address and the default show
    (frame,) = assert_email_frames_are_inert(page)
    assert "<p>Hi there!</p>" in frame["srcdoc"]
    assert "Rendered with: Sample data: a guest checkout." in page
    billing = sample_merge_data(guest=True)["BigCommerce | Order | billing_address | email"]
    assert f'<dd class="wrap">{billing}</dd>' in page
    assert '<dd class="wrap" id="preview-subject">Order 218 for </dd>' in page


def test_guest_preview_says_when_the_recipient_would_be_empty(as_manager, workflow):
    # When an email to the customer only is previewed on a guest checkout
    page = preview(
        as_manager, workflow, "guest", **{"step-to": "[BigCommerce | Customer | email]"}
    ).content.decode()

    # Then the preview says the email would not be sent, and why
    assert "rendered empty (guest customer?)" in page


def test_latest_delivery_preview_shows_its_values_where_no_script_can_run(
    as_manager, workflow, latest_run
):
    # When the email is previewed without choosing: the latest real event
    page = preview(as_manager, workflow).content.decode()
    assert "Preview with" in page and "Select a valid choice" not in page
    page = preview(as_manager, workflow, f"run-{latest_run.pk}").content.decode()

    # Then its values are in the email, escaped, in a frame with no permission at all
    assert f"run #{latest_run.pk}" in page and "eve@example.com" in page
    (frame,) = assert_email_frames_are_inert(page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in frame["srcdoc"]
    assert "<script" not in frame["srcdoc"]
    # ... its store name comes from the authentication (that run's data has none)
    assert "XYZ T-Shirts" in frame["srcdoc"]


def test_a_plain_text_email_is_previewed_as_text(as_manager, workflow):
    page = preview(
        as_manager, workflow, "registered", **{"step-format": "text", "step-body": "Hi <b>x</b>"}
    ).content.decode()
    assert assert_email_frames_are_inert(page) == []
    assert "Hi &lt;b&gt;x&lt;/b&gt;" in page  # shown as text, escaped


def test_an_invalid_email_shows_its_errors_and_no_preview(as_manager, workflow):
    # When an email naming an unknown code is previewed
    page = preview(
        as_manager, workflow, "registered", **{"step-subject": "[BigCommerce | Order | nope]"}
    ).content.decode()

    # Then the form says what is wrong, keeps the input, and shows no preview
    assert "BigCommerce | Order | nope" in page and 'id="email-preview"' not in page


@pytest.mark.parametrize(
    "fields",
    [
        {"preview-data": "run-999999"},
        {"preview-data": "run-" + "9" * 40},
        {"editing": "99999"},
        {"editing": "-1"},
    ],
)
def test_hostile_choices_give_a_page_not_an_error(as_manager, workflow, fields):
    response = preview(as_manager, workflow, **fields)
    assert response.status_code == 200


def test_a_step_without_a_preview_is_404(as_manager, workflow):
    assert preview(as_manager, workflow, "registered", step_type="delay").status_code == 404


def test_members_may_not_preview(as_member, workflow):
    assert preview(as_member, workflow, "registered").status_code == 403


def test_another_account_s_workflow_is_not_found(as_manager, other_workflow):
    assert preview(as_manager, other_workflow, "registered").status_code == 404


def test_the_add_form_previews_too(as_manager, create_workflow):
    workflow = create_workflow(steps=[SEND_EMAIL])
    page = preview(as_manager, workflow, "registered", editing="").content.decode()
    assert "New send email step" in page and 'id="email-preview"' in page
