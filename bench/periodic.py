"""Periodic jobs at scale: every scheduled pass run once against many subscriptions, with its
queries, BigCommerce calls (per store, against the store's quota) and wall time.

`PASSES` is the list: a new periodic job is one more entry. `populate` builds the data (bulk
INSERTs, and the stand-in's hooks seeded directly); `measure` runs every pass. The tests use
the same two at small sizes to assert that a pass's queries don't grow with the rows.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

TOKEN = "scale-token"
SUBSCRIPTIONS_PER_STORE = 5  # fewer when fewer events exist (one subscription per event)
# BigCommerce's smallest published quota (Standard and Plus plans): 150 calls per 30 s per
# store, shared by every app. A periodic pass may spend a small, fixed share of it.
STORE_QUOTA_PER_30S = 150
PASS_CALL_BUDGET = 5


@dataclass(frozen=True)
class Pass:
    name: str
    run: Callable[[], object]


def _sweep():
    from workflows import tasks

    return tasks.sweep()


def _check_hooks():
    """The scheduled pass and the continuations it queues (run here, one after the other, as
    the queue would): the whole check of every store."""
    from unittest import mock

    from workflows import broker, tasks

    queued: list[int] = []
    with mock.patch.object(broker, "enqueue_hook_check", queued.append):
        outcome, passes = tasks.check_subscriptions(), 1
        while queued:
            more = tasks.check_subscriptions(queued.pop())
            outcome = {k: outcome.get(k, 0) + v for k, v in more.items()}
            passes += 1
    return {**outcome, "passes": passes}


def _prune():
    from workflows import tasks

    return tasks.prune()


PASSES = [
    Pass("sweeper", _sweep),
    Pass("hook check (and store time zones)", _check_hooks),
    Pass("retention", _prune),
]


@dataclass
class Population:
    stores: int
    subscriptions: int
    stuck_deliveries: int
    due_runs: int
    old_deliveries: int


def populate(standin, subscriptions: int, *, stuck: int = 0, old: int = 0) -> Population:
    """`subscriptions` registered subscriptions (their hooks healthy in the stand-in), spread
    over stores of up to five events each; `stuck` deliveries held by a worker that died and
    as many waiting runs due (the sweeper's); `old` processed deliveries and runs past their
    retention (retention's). Every row with bulk INSERTs."""
    from accounts.models import Account
    from integrations.events import EventKey, get_event
    from integrations.models import BigCommerceAuthentication, WebhookSubscription
    from integrations.subscriptions import SECRET_HEADER, webhook_url

    events = list(EventKey)[:SUBSCRIPTIONS_PER_STORE]
    stores = -(-subscriptions // len(events))
    tag = f"{time.monotonic_ns() % 10**9:09d}"
    accounts = Account.objects.bulk_create(
        Account(name=f"Scale {tag} {n}") for n in range(-(-stores // 10))
    )
    auths = BigCommerceAuthentication.objects.bulk_create(
        BigCommerceAuthentication(
            account=accounts[n // 10],
            name=f"Store {n}",
            store_hash=f"s{tag}{n}",
            client_id="scale-client",
            access_token=TOKEN,
            status="verified",
        )
        for n in range(stores)
    )
    subs = [
        WebhookSubscription(authentication=auth, event=event, wanted=True, status="registered")
        for auth in auths
        for event in events
    ][:subscriptions]
    subs = WebhookSubscription.objects.bulk_create(subs)
    for sub in subs:
        standin.stores[sub.authentication.store_hash] = TOKEN
        hook = standin.add_hook(
            sub.authentication.store_hash,
            get_event(sub.event).scope,
            webhook_url(sub),
            {SECRET_HEADER: sub.secret},
        )
        sub.hook_id = hook["id"]
    WebhookSubscription.objects.bulk_update(subs, ["hook_id"], batch_size=1000)
    _stuck(subs[0], stuck)
    _old(subs[0], old)
    return Population(stores, len(subs), stuck, stuck, old)


def _stuck(sub, count: int) -> None:
    """Deliveries whose worker died mid-way, and waiting runs whose time has come."""
    from django.utils import timezone

    from integrations.models import WebhookDelivery
    from workflows.models import Workflow, WorkflowRun

    if not count:
        return
    past = timezone.now() - timedelta(minutes=10)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=sub,
            scope="store/shipment/created",
            store_hash=sub.authentication.store_hash,
            hash=f"stuck-{n}",
            body="{}",
            status="processing",
            leased_until=past,
        )
        for n in range(count)
    )
    workflow = Workflow.objects.create(
        account=sub.authentication.account,
        name="Scale sweeper",
        event=sub.event,
        authentication=sub.authentication,
    )
    WorkflowRun.objects.bulk_create(
        WorkflowRun(workflow=workflow, status="waiting", resume_at=past) for _ in range(count)
    )


def _old(sub, count: int) -> None:
    """`count` processed deliveries, each with a finished run, past their retention; and so
    are the finished deliveries and runs stored before them (retention walks the tables
    oldest id first and stops at the first young row)."""
    from django.conf import settings
    from django.utils import timezone

    from integrations.models import WebhookDelivery
    from workflows.models import Workflow, WorkflowRun

    if not count:
        return
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            subscription=sub,
            scope="store/shipment/created",
            store_hash=sub.authentication.store_hash,
            hash=f"old-{n}",
            body="{}",
            status="processed",
        )
        for n in range(count)
    )
    workflow = Workflow.objects.create(
        account=sub.authentication.account,
        name="Scale retention",
        event=sub.event,
        authentication=sub.authentication,
    )
    runs = WorkflowRun.objects.bulk_create(
        WorkflowRun(workflow=workflow, delivery=row, status="succeeded") for row in rows
    )
    now = timezone.now()
    WebhookDelivery.objects.filter(pk__lte=rows[-1].pk, status="processed").update(
        received_at=now - timedelta(days=settings.DELIVERY_RETENTION_DAYS + 1)
    )
    WorkflowRun.objects.filter(
        pk__lte=runs[-1].pk, status__in=["succeeded", "failed", "stopped", "skipped"]
    ).update(created_at=now - timedelta(days=settings.RUN_RETENTION_DAYS + 1))


class _BudgetQueries:
    """Counts the queries the API budget's database ledger makes (a few per BigCommerce call
    when there is no Redis, by design), so a pass's own are counted apart from them."""

    def __init__(self) -> None:
        self.count = 0
        self._inside = 0

    def __call__(self, execute, sql, params, many, context):
        if self._inside:
            self.count += 1
        return execute(sql, params, many, context)

    @contextlib.contextmanager
    def watching(self):
        from unittest import mock

        from integrations.bigcommerce.quota import DatabaseLedger

        def watched(method):
            def call(ledger, *args, **kwargs):
                self._inside += 1
                try:
                    return method(ledger, *args, **kwargs)
                finally:
                    self._inside -= 1

            return call

        with contextlib.ExitStack() as stack:
            for name in ("acquire", "observe", "forget"):
                original = getattr(DatabaseLedger, name)
                stack.enter_context(mock.patch.object(DatabaseLedger, name, watched(original)))
            yield


def measure_pass(spec: Pass, standin) -> dict:
    """One pass: its queries (on the default database), tasks it put on the queue, the
    BigCommerce calls it made per store, and its wall time."""
    from unittest import mock

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflows import broker

    standin.reset_stats()
    budget = _BudgetQueries()
    with (
        CaptureQueriesContext(connection) as queries,
        connection.execute_wrapper(budget),
        budget.watching(),
        mock.patch.object(broker, "push") as push,
    ):
        started = time.perf_counter()
        outcome = spec.run()
        seconds = time.perf_counter() - started
    per_store = standin.store_calls()
    return {
        "pass": spec.name,
        # The API budget's own (its ledger in the database when there is no Redis: a few per
        # BigCommerce call, by design) are counted apart from the pass's.
        "queries": len(queries.captured_queries) - budget.count,
        "budget_queries": budget.count,
        "enqueued": push.call_count,
        "seconds": round(seconds, 3),
        "bigcommerce_calls": sum(per_store.values()),
        "stores_called": len(per_store),
        "max_calls_per_store": max(per_store.values(), default=0),
        "call_budget_per_store": PASS_CALL_BUDGET,
        "outcome": outcome if isinstance(outcome, dict) else str(outcome),
    }


def measure(standin, passes: list[Pass] = PASSES) -> list[dict]:
    results = [measure_pass(spec, standin) for spec in passes]
    for r in results:
        print(
            f"bench:   {r['pass']}: {r['queries']} queries, {r['seconds']:.2f} s, "
            f"{r['bigcommerce_calls']} BigCommerce calls (at most {r['max_calls_per_store']} "
            f"per store), {r['enqueued']} tasks queued",
            flush=True,
        )
    return results


def run(standin, cfg: dict) -> dict:
    """The bench part: populate at `cfg["periodic_subscriptions"]` and measure every pass."""
    started = time.perf_counter()
    size = cfg["periodic_subscriptions"]
    population = populate(standin, size, stuck=500, old=2000)
    loaded = time.perf_counter() - started
    print(
        f"bench:   {population.subscriptions} subscriptions over {population.stores} stores "
        f"loaded in {loaded:.1f} s",
        flush=True,
    )
    return {
        "population": population.__dict__,
        "load_seconds": round(loaded, 1),
        "passes": measure(standin),
    }
