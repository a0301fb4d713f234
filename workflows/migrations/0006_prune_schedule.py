"""The daily retention pass (workflows.tasks.prune), at 03:30 UTC."""

from datetime import UTC, datetime, time, timedelta

from django.db import migrations

NAME = "Prune deliveries and runs past their retention"


def create(apps, schema_editor):
    Schedule = apps.get_model("django_q", "Schedule")
    now = datetime.now(UTC)
    first = datetime.combine(now.date(), time(3, 30), tzinfo=UTC)
    if first <= now:
        first += timedelta(days=1)
    Schedule.objects.update_or_create(
        name=NAME,
        defaults={
            "func": "workflows.tasks.prune",
            "schedule_type": "D",
            "repeats": -1,
            "next_run": first,
        },
    )


def remove(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0005_job"),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [migrations.RunPython(create, remove)]
