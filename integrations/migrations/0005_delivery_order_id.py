"""WebhookDelivery.order_id: the order an event is about, indexed, for the deliveries search.
Deliveries stored before it get theirs from their body (data.orderId), in batches."""

import json

from django.db import migrations, models

BATCH = 1000
MAX_ID = 2**63 - 1
ORDER_SCOPES = ("store/cart/converted", "store/shipment/created")


def order_id_of(body):
    try:
        value = json.loads(body).get("data", {}).get("orderId")
    except (ValueError, AttributeError):
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_ID:
        return None
    return value


def fill(apps, schema_editor):
    Delivery = apps.get_model("integrations", "WebhookDelivery")
    todo = Delivery.objects.filter(scope__in=ORDER_SCOPES, order_id__isnull=True).exclude(
        status="unusable"
    )
    after = 0
    while True:
        batch = list(todo.filter(pk__gt=after).order_by("pk").only("pk", "body")[:BATCH])
        if not batch:
            return
        for delivery in batch:
            delivery.order_id = order_id_of(delivery.body)
        Delivery.objects.bulk_update([d for d in batch if d.order_id], ["order_id"])
        after = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("integrations", "0004_authentication_store_settings"),
    ]

    operations = [
        migrations.AddField(
            model_name="webhookdelivery",
            name="order_id",
            field=models.BigIntegerField(
                blank=True,
                help_text="The order the event is about (the body's data.orderId), for search; "
                "empty for abandoned carts and unusable bodies.",
                null=True,
            ),
        ),
        migrations.AddIndex(
            model_name="webhookdelivery",
            index=models.Index(
                condition=models.Q(("order_id__isnull", False)),
                fields=["order_id"],
                name="delivery_order_idx",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
