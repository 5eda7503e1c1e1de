"""Seed the indications from orders/data/indications.csv (a copy of orders/data/indications.csv).

Idempotent by slug: rows are created or brought up to date, never duplicated.
"""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import migrations

# The rows as they were when this migration was written: a later edit of orders/data/ must not
# change what an old migration does.
CSV_PATH = Path(__file__).resolve().parent / "0002_indications.csv"


def indication_rows():
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            yield (
                row["slug"],
                {
                    "name": row["name"],
                    "category": row["category"],
                    "icd10_code": row["icd10"],
                    "default_total_g_per_kg": Decimal(row["default_total_g_per_kg"]),
                    "default_days_per_cycle": int(row["default_days"]),
                    "default_cycle_interval_days": int(row["default_interval_days"]),
                    "max_daily_g_per_kg": Decimal(row["max_daily_g_per_kg"]),
                    "max_g_per_kg_per_28_days": Decimal(row["max_g_per_kg_per_28_days"]),
                },
            )


def seed(apps, schema_editor):
    Indication = apps.get_model("orders", "Indication")
    for slug, values in indication_rows():
        Indication.objects.update_or_create(slug=slug, defaults=values)


def unseed(apps, schema_editor):
    Indication = apps.get_model("orders", "Indication")
    Indication.objects.filter(slug__in=[slug for slug, _ in indication_rows()]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0001_initial"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
