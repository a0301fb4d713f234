"""The growth part's loader (COPY, PostgreSQL) and its ratios against the empty run."""

import pytest
from django.db import connection

from bench import growth
from integrations.models import WebhookDelivery
from integrations.subscriptions import subscription_for
from workflows.models import StepResult, WorkflowRun
from workflows.sending.models import SentEmail


@pytest.mark.skipif(connection.vendor != "postgresql", reason="COPY is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_the_loader_writes_linked_rows_and_leaves_the_ids_to_go_on(auth, workflow):
    # Given a subscription and its workflow
    sub = subscription_for(auth, "shipment_created")
    # When 40 rows are loaded
    loaded = growth.load(sub, workflow, 40)
    # Then each table holds them, every run pointing at its delivery and step result at its run
    assert loaded["rows"] == 40
    assert WebhookDelivery.objects.filter(status="processed").count() == 40
    assert WorkflowRun.objects.filter(delivery__isnull=False, workflow=workflow).count() == 40
    assert WorkflowRun.objects.filter(status="skipped", skip_reason="frequency_cap").count() == 8
    assert StepResult.objects.filter(run__workflow=workflow).count() == 40
    assert SentEmail.objects.filter(run__isnull=False).count() == 10
    # ... and a delivery stored afterwards gets a new id (the sequence moved past them)
    later = WebhookDelivery.objects.create(
        subscription=sub, scope="store/shipment/created", store_hash="x", hash="after", body="{}"
    )
    assert later.pk > WebhookDelivery.objects.exclude(pk=later.pk).order_by("-pk")[0].pk


def test_ratios_compare_each_figure_with_the_same_one_on_the_empty_database():
    # Given the empty run's figures and the grown run's
    def ingest(rps, c_over_b):
        return {"servers": {"waitress": {"views": {"c": {"rps": rps}}, "c_over_b": c_over_b}}}

    empty = {"ingest": ingest(800, 0.8), "pipeline": [{"deliveries_per_s": 30.0}]}
    grown = {"ingest": ingest(720, 0.76), "pipeline": {"deliveries_per_s": 31.5}}
    # When they are compared, then each is a ratio of the same measure
    assert growth.ratios(empty, grown) == {
        "ingest waitress (c) req/s": 0.9,
        "ingest waitress (c)/(b)": 0.95,
        "drain, 1 workflow, deliveries/s": 1.05,
    }
