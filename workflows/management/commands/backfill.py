"""``manage.py backfill``: find the shipments and converted carts BigCommerce did not deliver in
a gap, and queue them as backfilled deliveries (a job on the task cluster)."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integrations import backfill
from integrations.bigcommerce.errors import BigCommerceError
from integrations.events import EventKey
from integrations.models import BigCommerceAuthentication
from workflows import backfill as backfill_jobs
from workflows.models import Job

POLL_SECONDS = 2.0


class Command(BaseCommand):
    help = (
        "Poll BigCommerce for the orders modified in a gap (a hook missing or deactivated, the "
        "app down) and create the shipment_created and cart_converted deliveries that never "
        "arrived, marked backfilled; one already received (or backfilled) for the same shipment "
        "or cart is not doubled. Runs on the task cluster as a job (--wait follows it). "
        + backfill.ABANDONED_CARTS
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--authentication", type=int, help="The authentication's id.")
        which.add_argument("--store", help="The store hash (when one authentication has it).")
        parser.add_argument(
            "--since", required=True, help="The gap's start, ISO-8601 (2024-05-01T10:00+00:00)."
        )
        parser.add_argument("--until", help="The gap's end, ISO-8601 (default: now).")
        parser.add_argument(
            "--event",
            action="append",
            dest="events",
            help="shipment_created or cart_converted (repeat for both; default: both).",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="List what would be created (this process calls BigCommerce); create nothing.",
        )
        parser.add_argument(
            "--wait", action="store_true", help="Follow the job's progress until it is done."
        )

    def handle(self, *args, **options):
        auth = self.authentication(options["authentication"], options["store"])
        events = self.events(options["events"])
        try:
            since = backfill.parse_time(options["since"])
            until = backfill.parse_time(options["until"]) if options["until"] else timezone.now()
            gap = backfill.Gap(since, until)
        except backfill.InvalidGap as exc:
            raise CommandError(str(exc)) from None
        if options["dry_run"]:
            return self.dry_run(auth, gap, events)
        try:
            job = backfill_jobs.start(auth, gap, events=events, reason="manage.py backfill")
        except backfill_jobs.NothingToBackfill as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            f"Backfill job {job.pk} queued for {auth} from {gap.since:%Y-%m-%d %H:%M:%S %Z} to "
            f"{gap.until:%Y-%m-%d %H:%M:%S %Z}. Follow it at /jobs/{job.pk}/ or "
            f"GET /api/v1/jobs/{job.pk}/."
        )
        if options["wait"]:
            self.follow(job)

    def authentication(self, pk: int | None, store: str | None) -> BigCommerceAuthentication:
        if pk is not None:
            found = BigCommerceAuthentication.objects.filter(pk=pk).first()
            if found is None:
                raise CommandError(f"No authentication has id {pk}.")
            return found
        matches = list(BigCommerceAuthentication.objects.filter(store_hash=store).order_by("pk"))
        if not matches:
            raise CommandError(f"No authentication is for the store hash {store!r}.")
        if len(matches) > 1:
            listed = ", ".join(f"{a.pk} ({a.name}, account {a.account_id})" for a in matches)
            raise CommandError(
                f"Several authentications are for {store!r}: {listed}. Choose one with "
                "--authentication ID."
            )
        return matches[0]

    def events(self, names: list[str] | None) -> list[str]:
        if not names:
            return list(backfill.BACKFILLABLE)
        for name in names:
            if name == EventKey.CART_ABANDONED:
                raise CommandError(backfill.ABANDONED_CARTS)
            if name not in backfill.BACKFILLABLE:
                raise CommandError(
                    f"Unknown event {name!r}: use shipment_created or cart_converted."
                )
        return names

    def dry_run(self, auth, gap: backfill.Gap, events: list[str]) -> None:
        subs = backfill.subscriptions_to_fill(auth, events)
        if not subs:
            raise CommandError(
                "No active workflow of this authentication listens to these events: nothing "
                "would be backfilled."
            )
        after, found, orders = 0, [], 0
        try:
            while True:
                page = backfill.backfill_page(auth, subs, gap, after, dry_run=True)
                orders, after = orders + page.orders, page.last_id
                found += page.found
                for order_id, error in page.errors:
                    self.stderr.write(f"Order {order_id}: {error}")
                if not page.more:
                    break
        except BigCommerceError as exc:
            raise CommandError(f"BigCommerce: {exc.message}") from None
        self.stdout.write(
            f"Dry run: {orders} order(s) modified in the gap; {len(found)} event(s) found (those "
            "already received would not be doubled):"
        )
        for key in found:
            self.stdout.write(f"  {key}")

    def follow(self, job: Job) -> None:
        while True:
            job.refresh_from_db()
            self.stdout.write(
                f"  {job.get_status_display()}: {job.done} of {job.total} orders, "
                f"{job.params.get('created', 0)} created, {job.error_count} error(s)"
            )
            if job.finished:
                break
            time.sleep(POLL_SECONDS)
        for error in job.errors:
            self.stderr.write(f"  {error['error']}")
