"""Alerts, and their pass every 15 minutes (workflows.tasks.check_alerts)."""

import django.db.models.deletion
from django.db import migrations, models

SCHEDULE = "Open, email and resolve alerts"


def create_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.update_or_create(
        name=SCHEDULE,
        defaults={
            "func": "workflows.tasks.check_alerts",
            "schedule_type": "I",
            "minutes": 15,
            "repeats": -1,
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_q", "Schedule").objects.filter(name=SCHEDULE).delete()


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_alert_email'),
        ('workflows', '0011_trigger_filters'),
        ("django_q", "0019_alter_task_options_alter_ormq_key_alter_ormq_lock_and_more"),
    ]

    operations = [
        migrations.CreateModel(
            name='Alert',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('kind', models.CharField(choices=[('hook_not_registered', 'A webhook is not registered'), ('hook_deactivated', 'BigCommerce deactivated a webhook'), ('domain_blocked', 'BigCommerce blocked the webhook domain'), ('auth_failing', 'BigCommerce refuses an authentication'), ('dead_deliveries', 'Deliveries died'), ('failure_rate', "A workflow's runs are failing")], max_length=32)),
                ('subject_key', models.CharField(help_text="What the problem is about, e.g. 'subscription:12', 'authentication:3', 'workflow:7' or 'account'.", max_length=64)),
                ('detail', models.TextField(help_text='The problem in words, as last seen (email, banner).')),
                ('opened_at', models.DateTimeField(help_text='When the alert pass first saw the problem.')),
                ('last_emailed_at', models.DateTimeField(blank=True, help_text='When it was last emailed (at most once a day).', null=True)),
                ('resolved_at', models.DateTimeField(blank=True, help_text='When the pass saw it resolved; empty while open.', null=True)),
                ('account', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='accounts.account')),
            ],
            options={
                'ordering': ['-opened_at', '-id'],
                'constraints': [models.UniqueConstraint(condition=models.Q(('resolved_at__isnull', True)), fields=('account', 'kind', 'subject_key'), name='one_open_alert_per_problem')],
            },
        ),
        migrations.RunPython(create_schedule, remove_schedule),
    ]
