"""WorkflowRun.order_id and .customer_email: the runs search's columns, indexed. Runs created
before them get theirs from their merge data, in batches."""

from django.db import migrations, models

BATCH = 1000
MAX_ID = 2**63 - 1
ORDER_ID_CODE = "BigCommerce | Order | id"
EMAIL_CODES = (
    "BigCommerce | Customer | email",
    "BigCommerce | Cart | email",
    "BigCommerce | Order | billing_address | email",
)


def order_id_of(merge_data):
    value = merge_data.get(ORDER_ID_CODE)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


def email_of(merge_data):
    for code in EMAIL_CODES:
        value = merge_data.get(code)
        if isinstance(value, str) and value.strip():
            email = value.strip().lower()
            return email if len(email) <= 254 else ""
    return ""


def fill(apps, schema_editor):
    Run = apps.get_model("workflows", "WorkflowRun")
    after = 0
    while True:
        batch = list(
            Run.objects.filter(pk__gt=after).order_by("pk").only("pk", "merge_data")[:BATCH]
        )
        if not batch:
            return
        changed = []
        for run in batch:
            data = run.merge_data if isinstance(run.merge_data, dict) else {}
            run.order_id, run.customer_email = order_id_of(data), email_of(data)
            if run.order_id or run.customer_email:
                changed.append(run)
        Run.objects.bulk_update(changed, ["order_id", "customer_email"])
        after = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0003_lease_columns_named_states"),
    ]

    operations = [
        migrations.AddField(
            model_name="workflowrun",
            name="order_id",
            field=models.BigIntegerField(
                blank=True, help_text="The order's id in the merge data, for search.", null=True
            ),
        ),
        migrations.AddField(
            model_name="workflowrun",
            name="customer_email",
            field=models.CharField(
                blank=True,
                help_text="The customer's email in the merge data, lower-case, for search.",
                max_length=254,
            ),
        ),
        migrations.AddIndex(
            model_name="workflowrun",
            index=models.Index(
                condition=models.Q(("order_id__isnull", False)),
                fields=["order_id"],
                name="run_order_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="workflowrun",
            index=models.Index(
                condition=models.Q(("customer_email", ""), _negated=True),
                fields=["customer_email"],
                name="run_customer_email_idx",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
