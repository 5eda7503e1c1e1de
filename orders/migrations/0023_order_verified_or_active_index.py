from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0022_patient_with_allergies_index"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="order",
            index=models.Index(
                condition=models.Q(("status__in", ("verified", "active"))),
                fields=["id"],
                name="order_verified_or_active",
            ),
        ),
    ]
