"""The store's time zone is read from its kept /v2/store settings: the `timezone` and
`timezone_checked_at` columns, a second copy of the same reply, go. A zone known only to the
column is first written into the settings, so no send window loses its zone."""

from django.db import migrations, models


def zone_into_settings(apps, schema_editor):
    Authentication = apps.get_model("integrations", "BigCommerceAuthentication")
    for auth in Authentication.objects.exclude(timezone="").iterator():
        settings = dict(auth.store_settings or {})
        zone = settings.get("timezone")
        if not (isinstance(zone, dict) and zone.get("name")):
            settings["timezone"] = {"name": auth.timezone}
            Authentication.objects.filter(pk=auth.pk).update(store_settings=settings)


def zone_into_column(apps, schema_editor):
    Authentication = apps.get_model("integrations", "BigCommerceAuthentication")
    for auth in Authentication.objects.iterator():
        zone = (auth.store_settings or {}).get("timezone")
        name = zone.get("name") if isinstance(zone, dict) else ""
        if isinstance(name, str) and name:
            Authentication.objects.filter(pk=auth.pk).update(
                timezone=name[:64], timezone_checked_at=auth.store_settings_fetched_at
            )


class Migration(migrations.Migration):
    dependencies = [("integrations", "0009_api_budget_backfill")]

    operations = [
        migrations.RunPython(zone_into_settings, zone_into_column),
        migrations.RemoveField(model_name="bigcommerceauthentication", name="timezone"),
        migrations.RemoveField(model_name="bigcommerceauthentication", name="timezone_checked_at"),
        migrations.AlterField(
            model_name="bigcommerceauthentication",
            name="store_settings",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="The store's name, address, time zone, language and currency from "
                "/v2/store, kept for a day (the Store merge codes, send windows and delays).",
            ),
        ),
    ]
