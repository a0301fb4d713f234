"""Test events: the tester picks the data (a registered customer's sample, a guest checkout's,
or a recent real event's), and HTTP steps are performed only when the tester asks — from the
workflow page and from the API."""

import pytest
from django.urls import reverse

from tests.factories import SEND_EMAIL, sample_merge_data
from tests.html import check_page
from workflows.models import WorkflowRun

pytestmark = pytest.mark.django_db

CUSTOMER_EMAIL = "BigCommerce | Customer | email"


@pytest.fixture
def http_workflow(create_workflow, loopback_receiver):
    """A workflow that emails the customer, then POSTs to the loopback receiver."""
    http = {
        "type": "http_request",
        "config": {"method": "POST", "url": loopback_receiver.base + "/hooks/survey"},
    }
    return create_workflow(steps=[SEND_EMAIL, http])


@pytest.fixture
def real_run(http_workflow, make_delivery):
    """A run of a real shipment delivery, with its own customer's data."""
    data = sample_merge_data(overrides={"Customer | email": "real.buyer@example.com"})
    return WorkflowRun.objects.create(
        workflow=http_workflow,
        delivery=make_delivery(status="processed"),
        status="succeeded",
        merge_data=data,
        order_id=251,
    )


def send_test(client, workflow, **fields):
    return client.post(reverse("workflows:test", args=[workflow.pk]), fields, follow=True)


def test_the_page_says_before_it_runs_that_http_steps_are_not_sent(
    as_manager, http_workflow, real_run
):
    # When the manager opens the workflow page
    page = check_page(as_manager.get(reverse("workflows:detail", args=[http_workflow.pk])))

    # Then the test form offers both samples and the recent real event, and says what happens
    # to HTTP steps before anything runs
    assert "Sample data: a registered customer" in page
    assert "Sample data: a guest checkout" in page
    assert f'value="run-{real_run.pk}"' in page and f"run #{real_run.pk}, order 251" in page
    assert "HTTP steps are not sent unless you tick “Send HTTP requests”" in page
    assert 'name="test-send_http"' in page


def test_without_the_box_ticked_the_http_step_is_not_sent(
    as_manager, http_workflow, loopback_receiver, mailoutbox
):
    # When a test event is sent with the box left unticked
    response = send_test(as_manager, http_workflow, **{"test-data": "registered"})

    # Then the receiver got nothing, the run says the step was not sent, the email went out
    assert loopback_receiver.received == []
    run = WorkflowRun.objects.get()
    assert run.status == "succeeded" and not run.test_sends_http
    email_step, http_step = run.step_results.order_by("position")
    assert http_step.detail.startswith("Not sent in a test")
    assert [m.to for m in mailoutbox] == [["manny@example.com"]]
    page = response.content.decode()
    assert "Not sent in a test" in page and "HTTP requests not sent" in page


def test_with_the_box_ticked_the_http_step_is_sent(as_manager, http_workflow, loopback_receiver):
    # When a test event is sent with "Send HTTP requests" ticked
    send_test(as_manager, http_workflow, **{"test-data": "registered", "test-send_http": "on"})

    # Then the receiver got the request, with the sample data
    (received,) = loopback_receiver.received
    assert received.path == "/hooks/survey"
    run = WorkflowRun.objects.get()
    assert run.test_sends_http and "→ 204" in run.step_results.get(position=1).detail


def test_a_guest_sample_has_no_customer(as_manager, create_workflow, mailoutbox):
    # Given a workflow emailing the customer, else the billing address (guests)
    email = {
        **SEND_EMAIL,
        "config": {
            **SEND_EMAIL["config"],
            "to": "[BigCommerce | Customer | email] or "
            "[BigCommerce | Order | billing_address | email]",
        },
    }
    workflow = create_workflow(steps=[email])

    # When a test event is sent on the guest sample
    response = send_test(as_manager, workflow, **{"test-data": "guest"})

    # Then the run's data has no customer, and the step says the guest's address was used
    run = WorkflowRun.objects.get()
    assert run.test_data == "guest"
    assert run.merge_data[CUSTOMER_EMAIL] is None
    assert run.merge_data["BigCommerce | Order | customer_id"] == 0
    billing = run.merge_data["BigCommerce | Order | billing_address | email"]
    assert billing and f"a real event would have sent it to {billing}" in (
        run.step_results.get().detail
    )
    assert "sample data: a guest checkout" in response.content.decode()


def test_a_recent_real_event_s_data_can_be_used(as_manager, http_workflow, real_run):
    # When a test event is sent on a real run's data
    response = send_test(as_manager, http_workflow, **{"test-data": f"run-{real_run.pk}"})

    # Then the test run has that run's merge data, and its page links to it
    run = WorkflowRun.objects.get(is_test=True)
    assert run.merge_data == real_run.merge_data
    assert (run.test_data, run.test_source_run_id) == ("run", real_run.pk)
    assert f"run #{real_run.pk}" in response.content.decode()


def test_a_run_of_another_workflow_is_refused_on_the_page(
    as_manager, http_workflow, create_workflow, make_delivery
):
    # Given a real run of another workflow
    other = create_workflow(name="Other")
    foreign = WorkflowRun.objects.create(
        workflow=other, delivery=make_delivery(status="processed"), merge_data={}
    )

    # When a test event names it
    response = send_test(as_manager, http_workflow, **{"test-data": f"run-{foreign.pk}"})

    # Then nothing runs and the form says why
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not WorkflowRun.objects.filter(is_test=True).exists()


# --- API -------------------------------------------------------------------------------------


@pytest.fixture
def api(api_client, manager):
    api_client.force_authenticate(manager)
    return api_client


def test_api_without_send_http_does_not_call_the_http_step(api, http_workflow, loopback_receiver):
    # When a test event is asked for with an empty body
    response = api.post(f"/api/v1/workflows/{http_workflow.pk}/test/")

    # Then it ran on the registered sample, without the HTTP request
    assert response.status_code == 201
    data = response.json()
    assert (data["test_data"], data["test_sends_http"]) == ("registered", False)
    assert data["steps"][1]["detail"].startswith("Not sent in a test")
    assert loopback_receiver.received == []
    assert data["sent_messages"][0]["to"] == ["manny@example.com"]


def test_api_with_send_http_calls_it_on_a_real_run_s_data(
    api, http_workflow, loopback_receiver, real_run
):
    # When a test event asks for a real run's data and for HTTP requests
    body = {"data": "run", "run": real_run.pk, "send_http": True}
    response = api.post(f"/api/v1/workflows/{http_workflow.pk}/test/", body, format="json")

    # Then the receiver got that run's data
    assert response.status_code == 201, response.json()
    (received,) = loopback_receiver.received
    assert b"real.buyer@example.com" in received.body
    assert response.json()["test_source_run"] == real_run.pk


@pytest.mark.parametrize(
    "body, field",
    [
        ({"data": "everyone"}, "data"),
        ({"data": "run"}, "run"),
        ({"data": "guest", "run": 1}, "run"),
        ({"data": "run", "run": 10**30}, "run"),
        ({"data": "run", "run": 999999}, "run"),
        ({"send_http": "maybe"}, "send_http"),
    ],
)
def test_api_refuses_bad_choices_with_a_clear_400(api, http_workflow, body, field):
    # When a test event is asked for with a choice that can't be used
    response = api.post(f"/api/v1/workflows/{http_workflow.pk}/test/", body, format="json")

    # Then it is refused, naming the field, and nothing ran
    assert response.status_code == 400
    assert field in response.json()
    assert not WorkflowRun.objects.exists()
