"""Delete the deliveries and runs past their retention now (the cluster does it daily)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from workflows import retention


def days(value: int) -> str:
    return "kept for ever (0)" if value <= 0 else f"older than {value} days"


class Command(BaseCommand):
    help = (
        "Delete deliveries older than DELIVERY_RETENTION_DAYS and runs older than "
        "RUN_RETENTION_DAYS, in batches, and print how many. Runs and deliveries still under "
        "way are kept, and so are survey responses. The task cluster does this every day."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would be deleted; delete nothing."
        )

    def handle(self, *args, dry_run, **options):
        pruned = retention.prune(dry_run=dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(f"Runs {days(settings.RUN_RETENTION_DAYS)}: {pruned.runs} {verb}.")
        self.stdout.write(
            f"Deliveries {days(settings.DELIVERY_RETENTION_DAYS)}: {pruned.deliveries} {verb}, "
            f"{pruned.kept_deliveries} kept (not finished, or a run of theirs is not)."
        )
        self.stdout.write(f"Finished jobs as old: {pruned.jobs} {verb}.")
        self.stdout.write(
            "Kept whatever their age: runs still pending, running or waiting, and survey responses."
        )
