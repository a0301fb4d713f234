"""The store's access token and client id appear nowhere, after everything has happened once.

A full life over real processes — the web server, a task cluster, the BigCommerce stand-in, all on
loopback and logging at DEBUG: an authentication created over the API (verified against the
stand-in), a workflow created and activated (hook registered), deliveries fired by "BigCommerce",
runs, a failed run retried, a test event, a re-verification, BigCommerce refusing the token.
Then every place a secret could end up is searched: each table of the database (raw SQL),
task and schedule arguments and results, the broker, logs of every process, API responses,
every admin page, every UI page, and the emails.
"""

from __future__ import annotations

import logging
import pickle

import pytest
from django.contrib import admin
from django.db import connection
from django.urls import reverse

from integrations.models import BigCommerceAuthentication, WebhookDelivery, WebhookSubscription
from tests import harness
from tests.factories import STANDIN_STORE as STORE
from tests.harness import redis_broker
from tests.reliability import figures, urlconf
from workflows.models import WorkflowRun

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CLIENT_ID = "cid" + "7f3a9c2e41d84b6f0a5e9d3c8b1f2a6e"
MAX_OBJECTS_PER_ADMIN = 20


def needles(*secrets: str, window: int = 10) -> set[str]:
    """Each secret, and every `window`-long piece of it: a partial leak counts too (the 4-char
    hints the rules allow are shorter)."""
    found = set()
    for secret in secrets:
        found |= {secret[i : i + window] for i in range(len(secret) - window + 1)}
    return found


def leaks(text: str, pieces: set[str]) -> list[str]:
    return sorted(p for p in pieces if p in text)


def test_secrets_appear_nowhere(
    env,
    standin,
    store_token,
    settings,
    log_dir,
    maildir,
    api_session,
    manager,
    superuser,
    account_admin,
    client,
    caplog,
    cluster_name,
):
    caplog.set_level(logging.DEBUG)
    port = harness.free_port()
    base = f"http://127.0.0.1:{port}"
    settings.PUBLIC_BASE_URL = base
    env.update(PUBLIC_BASE_URL=base, WEBHOOK_ALLOW_HTTP="true", LOG_LEVEL="DEBUG")
    web, _ = harness.start_web(env, log_dir, port=port)
    cluster = harness.start_qcluster(env, log_dir)
    responses_seen: list[str] = []

    def call(method: str, path: str, **kwargs) -> dict | list | None:
        response = api_session.request(method, f"{base}/api/v1/{path}", timeout=30, **kwargs)
        responses_seen.append(response.text)
        assert response.status_code < 400, (method, path, response.status_code, response.text)
        return response.json() if response.content else None

    try:
        # Given an authentication created over the API (verified against BigCommerce)
        auth = call(
            "POST",
            "bigcommerce/authentications/",
            json={
                "name": "Main",
                "store_hash": STORE,
                "client_id": CLIENT_ID,
                "access_token": store_token,
            },
        )
        # ... and an active workflow that emails the customer
        workflow = call(
            "POST",
            "workflows/",
            json={
                "name": "Survey",
                "initiator": {
                    "type": "bigcommerce",
                    "event": "shipment_created",
                    "authentication": auth["id"],
                },
                "steps": [
                    {
                        "type": "send_email",
                        "config": {
                            "to": "[BigCommerce | Customer | email]",
                            "subject": "Order [BigCommerce | Order | id]",
                            "body": "Hello [BigCommerce | Customer | first_name]",
                        },
                    }
                ],
            },
        )
        activated = call("POST", f"workflows/{workflow['id']}/activate/")
        assert activated["subscription"]["status"] == "registered"

        # When BigCommerce delivers: one customer order, one guest order (its email fails)
        for order_id in (3001, 3010):
            (fired,) = standin.fire(
                STORE,
                "store/shipment/created",
                data={"type": "shipment", "id": order_id, "orderId": order_id},
            )
            assert fired["status"] == 200
        harness.wait_until(
            lambda: WorkflowRun.objects.filter(status__in=["succeeded", "failed"]).count() == 2,
            60,
            what="both runs to finish",
        )
        # ... the failed run is retried, a test event sent, the credentials re-verified
        failed = WorkflowRun.objects.get(status="failed")
        call("POST", f"runs/{failed.pk}/retry/")
        harness.wait_until(
            lambda: WorkflowRun.objects.filter(pk=failed.pk, status="failed").exists(),
            60,
            what="the retried run to finish",
        )
        call("POST", f"workflows/{workflow['id']}/test/")
        call("POST", f"bigcommerce/authentications/{auth['id']}/verify/")
        # ... and BigCommerce finally refuses the token
        standin.add_fault("/v2/orders/", status=401)
        standin.fire(
            STORE, "store/shipment/created", data={"type": "shipment", "id": 3002, "orderId": 3002}
        )
        harness.wait_until(
            lambda: BigCommerceAuthentication.objects.filter(status="failed").exists(),
            60,
            what="the authentication to be marked failing",
        )
        # ... and every list and object is read over the API
        for path in (
            "bigcommerce/authentications/",
            f"bigcommerce/authentications/{auth['id']}/",
            "bigcommerce/deliveries/",
            "workflows/",
            f"workflows/{workflow['id']}/",
            f"workflows/{workflow['id']}/runs/",
            f"runs/{failed.pk}/",
            "runs/",
            "initiators/",
            "schema/",
        ):
            responses_seen.append(api_session.get(f"{base}/api/v1/{path}", timeout=30).text)
    finally:
        for child in (cluster, web):
            child.stop()

    secrets = needles(store_token, CLIENT_ID)
    webhook_secret = WebhookSubscription.objects.get().secret
    everything = needles(store_token, CLIENT_ID, webhook_secret)
    found: dict[str, list[str]] = {}

    def check(where: str, text: str, pieces: set[str] = everything) -> None:
        hits = leaks(text, pieces)
        if hits:
            found[where] = hits

    # Then: not in any table of the database, read raw
    for table, text in raw_tables():
        check(f"table {table}", text, secrets)
    # ... nor in task arguments, results and schedules, nor on the broker
    check("django-q tasks, schedules, queue", task_texts(cluster_name))
    # ... nor in any log
    check("web server log", web.log())
    check("qcluster log", cluster.log())
    check("test process log", caplog.text)
    # ... nor in any API response
    check("API responses", "\n".join(responses_seen))
    # ... nor on any admin page (superuser and account admin), nor any UI page
    pages = 0
    for user in (superuser, account_admin):
        for url, text in admin_pages(client, user):
            check(f"admin {url} as {user.username}", text)
            pages += 1
    for url, text in ui_pages(client, manager):
        check(f"UI {url}", text)
        pages += 1
    # ... nor in the emails sent
    check("emails", "\n".join(p.read_text(errors="replace") for p in maildir.glob("*")))
    assert found == {}

    # (And what was searched for is real: it is stored, encrypted, and BigCommerce got it)
    stored = BigCommerceAuthentication.objects.get()
    assert (stored.access_token, stored.client_id) == (store_token, CLIENT_ID)
    assert stored.status == "failed" and "401" in stored.status_detail
    assert standin.stats()["calls"]["GET /v2/store"] >= 2
    figures.record(
        "secrets",
        tables_searched=len(connection.introspection.table_names()),
        api_responses=len(responses_seen),
        admin_and_ui_pages=pages,
        leaks=0,
    )


def raw_tables():
    """(table, every value of every row as text) for each table, by raw SQL."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")
            parts = []
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview):
                        value = value.tobytes()
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    parts.append(str(value))
            yield table, "\n".join(parts)


def task_texts(cluster_name: str) -> str:
    """Task and schedule arguments and results, unpickled; the broker's waiting messages."""
    from django_q.models import OrmQ, Schedule, Task
    from django_q.signing import SignedPackage

    parts = []
    for task in Task.objects.all():
        parts += [task.func, repr(task.args), repr(task.kwargs), repr(task.result), task.name]
    for schedule in Schedule.objects.all():
        parts += [schedule.func, repr(schedule.args), repr(schedule.kwargs)]
    for message in OrmQ.objects.all():
        parts.append(repr(message.task()))
    if redis_broker():
        from django_q.brokers import get_broker

        connection_ = get_broker(cluster_name).connection
        for key in connection_.keys(f"django_q:{cluster_name}:*"):
            value = connection_.dump(key) or b""
            parts.append(value.decode("utf-8", "replace"))
            if connection_.type(key) == b"list":
                for item in connection_.lrange(key, 0, -1):
                    try:
                        parts.append(repr(SignedPackage.loads(item)))
                    except (pickle.UnpicklingError, Exception):  # noqa: BLE001 - keep raw
                        parts.append(item.decode("utf-8", "replace"))
    return "\n".join(parts)


def admin_pages(client, user):
    """Every admin page a user can open: index, each changelist, add page, each change page."""
    client.force_login(user)
    client.raise_request_exception = False  # a crashing page is test_admin_pages' business
    urls = [reverse("admin:index")]
    for model, model_admin in admin.site._registry.items():
        objects = model_admin.get_queryset(urlconf.admin_request(user))[:MAX_OBJECTS_PER_ADMIN]
        urls += urlconf.admin_urls(model, objects, ["change"], add=True)
    for url in urls:
        response = client.get(url)
        yield url, response.content.decode("utf-8", "replace")


def ui_pages(client, user):
    """Every UI page from the URLconf (GET), for the objects that exist."""
    from surveys.models import Survey
    from workflows.models import Job, Suppression, Workflow

    client.force_login(user)
    client.raise_request_exception = False
    suppression, _ = Suppression.objects.get_or_create(
        account=user.account, email="someone@example.com", defaults={"reason": "manual"}
    )
    objects = {
        "workflows.Suppression": suppression,
        "workflows.Workflow": Workflow.objects.first(),
        "workflows.WorkflowRun": WorkflowRun.objects.first(),
        "workflows.Job": Job.objects.first(),
        "integrations.BigCommerceAuthentication": BigCommerceAuthentication.objects.first(),
        "integrations.WebhookDelivery": WebhookDelivery.objects.first(),
        "integrations.WebhookSubscription": WebhookSubscription.objects.first(),
        "surveys.Survey": Survey.objects.first(),
    }
    for route in urlconf.routes():
        if route.name in urlconf.PUBLIC - {"login"} or route.is_api:
            continue
        if "pk" in route.params and objects[route.model_label()] is None:
            continue  # none of these exists (a job, when no bulk replay ran)
        kwargs = {}
        for param in route.params:
            if param == "pk":
                kwargs["pk"] = objects[route.model_label()].pk
            else:
                kwargs[param] = {
                    "position": 0,
                    "index": 0,
                    "branch": "then",
                    "step_type": "send_email",
                    "event": "shipment_created",
                }[param]
        url = reverse(route.name, kwargs=kwargs)
        response = client.get(url, follow=True)
        yield url, response.content.decode("utf-8", "replace")
