from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("authorizations", "0003_stored_cycle_coverage"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="authorization",
            index=models.Index(fields=["-created_at", "-id"], name="authorization_newest_first"),
        ),
        migrations.AddIndex(
            model_name="authorization",
            index=models.Index(
                fields=["status", "-created_at", "-id"], name="authorization_status_newest"
            ),
        ),
        migrations.AddIndex(
            model_name="authorization",
            index=models.Index(
                models.Case(
                    models.When(status="appealed", then=models.F("appealed_at")),
                    default=models.F("submitted_at"),
                ),
                models.F("id"),
                condition=models.Q(("status__in", ("submitted", "appealed"))),
                name="authorization_waiting_since",
            ),
        ),
        migrations.AddIndex(
            model_name="authorization",
            index=models.Index(
                fields=["status", "-decision_date", "-id"], name="authorization_status_decided"
            ),
        ),
        migrations.AddIndex(
            model_name="orderapproval",
            index=models.Index(
                condition=models.Q(("approved", True), ("cycles_low_from__isnull", False)),
                fields=["cycles_low_from", "cycles_low_to"],
                name="order_approval_cycles_low",
            ),
        ),
    ]
