"""The merge-code picker in the steps editor: search, friendly labels, and each code's value
in the workflow's latest event (or the sample data), with the formats it offers."""

import html

import pytest
from django.urls import reverse

from integrations.subscriptions import subscription_for
from tests.factories import delivery_body
from tests.html import check_page

pytestmark = pytest.mark.django_db


def open_email_form(client, manager, workflow):
    client.force_login(manager)
    return check_page(client.get(reverse("workflows:step-add", args=[workflow.pk, "send_email"])))


def test_the_picker_searches_labels_and_shows_sample_values(client, manager, make_workflow):
    # given a shipment workflow that no event has run yet
    workflow = make_workflow("shipment_created")
    # when a manager opens the form to add an email step
    page = html.unescape(open_email_form(client, manager, workflow))
    # then the picker has a search box, friendly labels beside the raw names, sample values
    assert 'type="search"' in page and "data-merge-search" in page
    assert "Tracking number · Shipment | tracking_number" in page
    assert 'data-value="EJ958083578US"' in page
    assert "Store name · Store | name" in page
    assert "Values from sample data" in page
    # and the formats are offered, with the syntax explained
    assert '<option value="money"' in page and '<option value="date:%d %B %Y"' in page
    assert "[BigCommerce | Order | total_inc_tax | money]" in page


def test_the_picker_shows_the_latest_events_values(
    client, manager, make_workflow, auth, post_delivery, store
):
    # given a workflow that a real shipment (order 251) has run
    workflow = make_workflow("shipment_created")
    post_delivery(subscription_for(auth, "shipment_created"), delivery_body("shipment_created"))
    run = workflow.runs.get()
    # when the manager opens the email form
    page = html.unescape(open_email_form(client, manager, workflow))
    # then the values are that run's (the sample order is 218), the unused extras the sample's
    assert f"Values from run #{run.pk}" in page
    assert (
        'value="[BigCommerce | Order | id]" data-label="Order id" data-value="251" data-sample=""'
        in page
    )
    assert 'data-value="EJ958083578US" data-sample="1"' in page
