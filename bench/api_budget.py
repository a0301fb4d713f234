"""API budget: a burst of deliveries against a small quota that another app of the store
shares, drained by a task cluster with BIGCOMMERCE_API_SHARE at 50% and again at 100%.

The stand-in enforces the quota per window; a thread plays the store's other app, sending a
steady part of the quota. Reported per share: 429s we got, the other app's refused requests,
the most of our requests in one window, how long the burst took, and how the deliveries ended.
"""

from __future__ import annotations

import threading

from bench import fixtures, pipeline
from integrations.standin.quota import DEFAULT_QUOTA, DEFAULT_WINDOW_MS
from tests import harness

QUOTA, WINDOW_MS = 40, 2000  # requests per window for the whole store
OTHER_APP_PER_WINDOW = 12  # what the store's other app sends, spread over each window
DELIVERIES = 60
SHARES = (50, 100)


class OtherApp(threading.Thread):
    """The store's other app: OTHER_APP_PER_WINDOW requests per window, evenly spread."""

    def __init__(self, standin) -> None:
        super().__init__(name="bench-other-app", daemon=True)
        self.standin = standin
        self.sent = self.refused = 0
        self.served_by_window: dict[int, int] = {}
        self._halt = threading.Event()

    def run(self) -> None:
        pause = WINDOW_MS / 1000 / OTHER_APP_PER_WINDOW
        limiter = self.standin.rate_limit
        while not self._halt.wait(pause):
            window = limiter.current_window()
            allowed, _headers = limiter.take(fixtures.STORE)
            self.sent += 1
            self.refused += not allowed
            if allowed:
                self.served_by_window[window] = self.served_by_window.get(window, 0) + 1

    def stop(self) -> None:
        self._halt.set()
        self.join(5)


def run_share(sub, share: int, standin, env, log_dir, cfg: dict) -> dict:
    from django.utils import timezone

    from integrations.models import WebhookDelivery

    tag = f"budget{share}"
    standin.rate_limit.configure(QUOTA, WINDOW_MS)  # counts start afresh, the grid too
    other = OtherApp(standin)
    cluster = harness.start_qcluster(
        {**env, "BIGCOMMERCE_API_SHARE": str(share)}, log_dir, name=f"qcluster-budget-{share}"
    )
    timed_out = False
    try:
        standin.reset_stats()
        other.start()
        t0 = timezone.now()
        pipeline.store_backlog(sub, tag, DELIVERIES)
        try:
            harness.wait_until(
                lambda: (
                    pipeline.progress(tag)["processed"] == DELIVERIES
                    or not WebhookDelivery.objects.filter(
                        hash__startswith=f"{tag}-", status__in=["received", "processing"]
                    ).exists()
                ),
                cfg["drain_timeout"] * 2,
                0.25,
                "the burst",
            )
        except TimeoutError:
            timed_out = True
    finally:
        other.stop()
        cluster.stop()
    limits = standin.rate_limit.describe()
    windows = [w for w in limits["windows"] if w["store_hash"] == fixtures.STORE]
    ours = [w["served"] - other.served_by_window.get(w["window"], 0) for w in windows]
    summary = pipeline.summarize(tag, t0, DELIVERIES, 1)
    deliveries = WebhookDelivery.objects.filter(hash__startswith=f"{tag}-")
    return {
        "share_percent": share,
        "our_allowance_per_window": QUOTA * share // 100,
        "timed_out": timed_out,
        "refused_429_to_us": limits["refused"] - other.refused,
        "other_app_sent": other.sent,
        "other_app_refused": other.refused,
        "our_max_per_window": max(ours, default=0),
        "our_calls": sum(ours),
        "fanout_seconds": summary["fanout_seconds"],
        "delivery_statuses": summary["delivery_statuses"],
        "attempts_max": max(deliveries.values_list("attempts", flat=True), default=0),
    }


def run(sub, workflows, standin, env, log_dir, cfg: dict) -> dict:
    fixtures.set_active(workflows, 1)
    try:
        results = [run_share(sub, share, standin, env, log_dir, cfg) for share in SHARES]
    finally:
        # The parts after this one measure throughput: the stand-in's large quota again.
        standin.rate_limit.configure(DEFAULT_QUOTA, DEFAULT_WINDOW_MS)
    for r in results:
        print(
            f"bench:   share {r['share_percent']}%: {r['refused_429_to_us']} x 429 to us, "
            f"the other app refused {r['other_app_refused']} of {r['other_app_sent']}, "
            f"at most {r['our_max_per_window']} of ours per window, "
            f"burst done in {r['fanout_seconds']} s: {r['delivery_statuses']}",
            flush=True,
        )
    return {
        "quota": QUOTA,
        "window_ms": WINDOW_MS,
        "other_app_per_window": OTHER_APP_PER_WINDOW,
        "deliveries": DELIVERIES,
        "shares": results,
    }
