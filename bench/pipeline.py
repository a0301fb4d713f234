"""Pipeline: a backlog of deliveries drained by one task cluster of W workers, the stand-in
adding 50 ms per BigCommerce call; calls per delivery, throughput and the cluster's memory."""

from __future__ import annotations

import os

from bench import fixtures, procstats
from tests import harness

HEADERS = {"Content-Type": "application/json", "User-Agent": "Bigcommerce-Webhooks-bench"}


def newer_than_now() -> tuple[int, int]:
    """The last delivery and run ids: what a drain stores after them is its own. (Filtering
    by id, an index, keeps the bench's own polling cheap however many rows the tables hold.)"""
    from django.db.models import Max

    from integrations.models import WebhookDelivery
    from workflows.models import WorkflowRun

    return (
        WebhookDelivery.objects.aggregate(m=Max("pk"))["m"] or 0,
        WorkflowRun.objects.aggregate(m=Max("pk"))["m"] or 0,
    )


def _rows(tag: str, after: tuple[int, int]):
    from integrations.models import WebhookDelivery
    from workflows.models import WorkflowRun

    deliveries = WebhookDelivery.objects.filter(pk__gt=after[0], hash__startswith=f"{tag}-")
    runs = WorkflowRun.objects.filter(pk__gt=after[1], delivery__pk__gt=after[0]).filter(
        delivery__hash__startswith=f"{tag}-"
    )
    return deliveries, runs


def progress(tag: str, after: tuple[int, int] = (0, 0)) -> dict:
    deliveries, runs = _rows(tag, after)
    return {
        "processed": deliveries.filter(status="processed").count(),
        "runs_finished": runs.filter(finished_at__isnull=False).count(),
    }


def store_backlog(sub, tag: str, count: int) -> None:
    """The deliveries, through the receiver's own store-then-enqueue code."""
    from integrations import receiver

    target = receiver.find_subscription(sub.uuid)
    for n in range(count):
        body = fixtures.shipment_body(f"{tag}-{n}", fixtures.order_id_for(7 * n + 3))
        receiver.store(target, body.encode(), HEADERS)


def summarize(tag: str, t0, count: int, active: int, after: tuple[int, int] = (0, 0)) -> dict:
    from django.db.models import Max

    deliveries, runs = _rows(tag, after)
    last_delivery = deliveries.aggregate(t=Max("processed_at"))["t"]
    last_run = runs.aggregate(t=Max("finished_at"))["t"]
    fanned = (last_delivery - t0).total_seconds() if last_delivery else None
    drained = (last_run - t0).total_seconds() if last_run else None
    return {
        "fanout_seconds": round(fanned, 3) if fanned else None,
        "drain_seconds": round(drained, 3) if drained else None,
        "deliveries_per_s_fanned_out": round(count / fanned, 2) if fanned else None,
        "deliveries_per_s": round(count / drained, 2) if drained else None,
        "runs_per_s": round(count * active / drained, 1) if drained else None,
        "delivery_statuses": _counts(deliveries, "status"),
        "run_statuses": _counts(runs, "status"),
    }


def _counts(queryset, field: str) -> dict[str, int]:
    from django.db.models import Count

    return {row[field]: row["n"] for row in queryset.values(field).annotate(n=Count("pk"))}


def run(sub, workflows, active: int, standin, env, log_dir, cfg: dict, tag: str = "") -> dict:
    """Drain `cfg["deliveries"][active]` deliveries with `active` workflows listening."""
    from django.utils import timezone

    count, workers = cfg["deliveries"][active], cfg["workers"]
    tag = f"pipe{active}{tag}"
    after = newer_than_now()
    fixtures.set_active(workflows, active)
    os.sync()  # the writeback of earlier parts' rows isn't left to stall this drain's commits
    cluster = harness.start_qcluster(env, log_dir, name=f"qcluster-{active}wf")
    timed_out = False
    try:
        standin.reset_stats()
        with procstats.PeakSampler(cluster.pid) as memory:
            cpu0, t0 = procstats.cpu_times(), timezone.now()
            cluster0 = procstats.group_cpu_seconds(cluster.pid)
            store_backlog(sub, tag, count)
            want = {"processed": count, "runs_finished": count * active}
            try:
                harness.wait_until(
                    lambda: progress(tag, after) == want, cfg["drain_timeout"], 0.25, "the drain"
                )
            except TimeoutError:
                timed_out = True
            cpu = procstats.busy_percent(cpu0, procstats.cpu_times())
            cluster_cpu = procstats.group_cpu_seconds(cluster.pid) - cluster0
    finally:
        cluster.stop()
    calls = standin.stats()
    result = summarize(tag, t0, count, active, after)
    per_delivery = calls["total"] / count
    bound = workers / (per_delivery * standin.latency_ms / 1000) if per_delivery else None
    # The same bound from the time the stand-in really took to answer (its 50 ms plus building
    # the response on this machine's shared CPUs), as a client of BigCommerce would see it.
    api_seconds = calls["service_seconds"] / count
    measured_bound = workers / api_seconds if api_seconds else None
    result.update(
        workflows=active,
        deliveries=count,
        workers=workers,
        timed_out=timed_out,
        bigcommerce_calls=calls,
        calls_per_delivery=round(per_delivery, 3),
        io_bound_per_s=round(bound, 1) if bound else None,
        api_ms_per_call=round(1000 * calls["service_seconds"] / calls["total"], 1)
        if calls["total"]
        else None,
        measured_io_bound_per_s=round(measured_bound, 1) if measured_bound else None,
        achieved_fraction_of_measured=(
            round(result["deliveries_per_s"] / measured_bound, 3)
            if measured_bound and result["deliveries_per_s"]
            else None
        ),
        achieved_fraction=(
            round(result["deliveries_per_s"] / bound, 3)
            if bound and result["deliveries_per_s"]
            else None
        ),
        cpu_busy_percent=cpu,
        cluster_cpu_ms_per_delivery=round(1000 * cluster_cpu / count, 1),
        peak_rss_mib=round(memory.peak["rss"] / 1024, 1),
        peak_pss_mib=round(memory.peak["pss"] / 1024, 1),
        sum_vmhwm_mib=round(memory.peak["hwm"] / 1024, 1),
        cluster_processes=memory.peak["processes"],
    )
    print(
        f"bench:   {active} workflow(s): {result['deliveries_per_s']} deliveries/s "
        f"({result['achieved_fraction']} of the I/O bound {result['io_bound_per_s']}/s), "
        f"{result['calls_per_delivery']} calls/delivery, peak RSS {result['peak_rss_mib']} MiB",
        flush=True,
    )
    return result
