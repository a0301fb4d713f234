"""Give webhook subscriptions new secrets and send BigCommerce the new header."""

from datetime import timedelta
from uuid import UUID

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from integrations import subscriptions
from integrations.models import WebhookSubscription

MAX_GRACE_HOURS = 24 * 30
DEFAULT_GRACE_HOURS = subscriptions.ROTATION_GRACE / timedelta(hours=1)


class Command(BaseCommand):
    help = (
        "Rotate the secret BigCommerce sends with every delivery (for example after it leaked). "
        "Name subscriptions by the UUID in their webhook URL, or pass --all. The old secret "
        "keeps working for --grace-hours, while BigCommerce's hooks take the new one."
    )

    def add_arguments(self, parser):
        parser.add_argument("uuids", nargs="*", metavar="UUID", help="Subscriptions to rotate.")
        parser.add_argument(
            "--all", dest="every", action="store_true", help="Rotate every subscription."
        )
        parser.add_argument(
            "--grace-hours",
            type=float,
            default=DEFAULT_GRACE_HOURS,
            help=f"How long the old secret is still accepted (0 to {MAX_GRACE_HOURS}; default "
            f"{DEFAULT_GRACE_HOURS:g}).",
        )

    def handle(self, *args, uuids, every, grace_hours, **options):
        if bool(uuids) == every:
            raise CommandError("Name the subscriptions' UUIDs, or pass --all (not both).")
        if not 0 <= grace_hours <= MAX_GRACE_HOURS:
            raise CommandError(f"--grace-hours must be between 0 and {MAX_GRACE_HOURS}.")
        subs = WebhookSubscription.objects.select_related("authentication").order_by("pk")
        if uuids:
            wanted = self._parse(uuids)
            subs = subs.filter(uuid__in=wanted)
            missing = sorted(str(u) for u in set(wanted) - {s.uuid for s in subs})
            if missing:
                shown = ", ".join(missing)
                raise CommandError(f"No subscription with UUID {shown}. Nothing rotated.")
        grace = timedelta(hours=grace_hours)
        until = timezone.localtime(timezone.now() + grace).strftime("%Y-%m-%d %H:%M %Z")
        for sub in subs:
            sub = subscriptions.rotate_secret(sub, grace)
            detail = f" ({sub.status_detail})" if sub.status_detail else ""
            hook = sub.get_status_display() + detail
            self.stdout.write(
                f"{sub.uuid} ({sub.get_event_display()} for {sub.authentication.name}): rotated; "
                f"the old secret works until {until}. Hook: {hook}."
            )
        self.stdout.write(self.style.SUCCESS(f"Done: {len(subs)} subscription(s) rotated."))

    @staticmethod
    def _parse(values: list[str]) -> list[UUID]:
        parsed, bad = [], []
        for value in values:
            try:
                parsed.append(UUID(value))
            except ValueError:
                bad.append(value)
        if bad:
            raise CommandError(f"Not a UUID: {', '.join(bad)}. Nothing rotated.")
        return parsed
