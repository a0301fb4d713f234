"""Every admin page opens — for a superuser and for an account admin — and never with a 5xx.

Generated from the admin registry: each model's changelist, add page, and the change, delete
and history pages of each of its objects.
"""

from __future__ import annotations

import pytest
from django.contrib import admin

from tests.reliability.urlconf import admin_request, admin_urls

pytestmark = pytest.mark.django_db

ADMIN_MODELS = list(admin.site._registry)


@pytest.fixture
def task_rows(victim):
    """A task result of each kind, a schedule and a queued message, for their admin pages."""
    from django.utils import timezone
    from django_q.models import OrmQ, Schedule, Task
    from django_q.signing import SignedPackage

    now = timezone.now()
    for success in (True, False):
        Task.objects.create(
            id=f"task{int(success)}",
            name=f"delivery-{int(success)}",
            func="workflows.tasks.process_delivery",
            args=(1,),
            started=now,
            stopped=now,
            success=success,
            result="processed" if success else "Traceback ...",
        )
    Schedule.objects.create(
        name="Sweep", func="workflows.tasks.sweep", schedule_type="I", minutes=1
    )
    payload = SignedPackage.dumps(
        {"id": "q1", "name": "run-1", "func": "workflows.tasks.execute_run"}
    )
    OrmQ.objects.create(key="initiator", payload=payload, lock=now)


def pages(model, request) -> list[str]:
    return admin_urls(model, admin.site._registry[model].get_queryset(request)[:5], add=True)


@pytest.mark.parametrize("who", ["superuser", "account_admin"])
@pytest.mark.parametrize("model", ADMIN_MODELS, ids=[m._meta.label for m in ADMIN_MODELS])
def test_every_admin_page_opens_without_a_server_error(
    model, who, request, client, victim, task_rows
):
    # Given an admin user, and one object of each kind
    user = request.getfixturevalue(who)
    client.force_login(user)
    client.raise_request_exception = False  # a crash must show as the 500 a browser gets
    http_request = admin_request(user)
    # When they open each of the model's pages, Then none fails on the server
    statuses = {url: client.get(url).status_code for url in pages(model, http_request)}
    assert {url: s for url, s in statuses.items() if s >= 500} == {}
