"""List pages run a constant number of queries however many rows they show."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import SEND_EMAIL, count_queries
from workflows import services

pytestmark = pytest.mark.django_db


def test_workflow_list(as_manager, create_workflow, manager, django_assert_max_num_queries):
    url = reverse("workflows:list")
    first = create_workflow(name="wf 0")
    services.run_test_event(first, manager)
    baseline = count_queries(as_manager, url)
    for i in range(1, 15):
        wf = create_workflow(
            name=f"wf {i}", event="cart_converted" if i % 2 else "shipment_created"
        )
        services.run_test_event(wf, manager)
    with django_assert_max_num_queries(baseline):
        html = as_manager.get(url).content.decode()
    assert "wf 14" in html


def test_authentication_list(
    as_manager, account, make_authentication, create_workflow, django_assert_max_num_queries
):
    url = reverse("authentications:list")
    auth = make_authentication(account, name="store 0")
    create_workflow(authentication=auth)
    baseline = count_queries(as_manager, url)
    for i in range(1, 12):
        auth = make_authentication(account, name=f"store {i}")
        create_workflow(name=f"wf {i}", authentication=auth)
    with django_assert_max_num_queries(baseline):
        as_manager.get(url)


def test_workflow_page_with_steps_and_runs(
    as_manager, create_workflow, manager, django_assert_max_num_queries
):
    workflow = create_workflow(steps=[SEND_EMAIL])
    services.run_test_event(workflow, manager)
    url = reverse("workflows:detail", args=[workflow.pk])
    baseline = count_queries(as_manager, url)
    services.update_workflow(workflow, steps=[SEND_EMAIL] * 10)
    for _ in range(25):
        services.run_test_event(workflow, manager)
    with django_assert_max_num_queries(baseline):
        as_manager.get(url)


def test_run_page(as_manager, create_workflow, manager, django_assert_max_num_queries):
    small = services.run_test_event(create_workflow(steps=[SEND_EMAIL]), manager)
    baseline = count_queries(as_manager, reverse("workflows:run", args=[small.pk]))
    big = services.run_test_event(create_workflow(steps=[SEND_EMAIL] * 12), manager)
    assert big.step_results.count() == 12
    with django_assert_max_num_queries(baseline):
        as_manager.get(reverse("workflows:run", args=[big.pk]))
