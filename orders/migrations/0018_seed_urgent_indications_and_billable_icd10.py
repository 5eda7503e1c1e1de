"""Rules v3 (docs/clinical-rules.md 3.10; issue 23): the three emergency indications may be
ordered urgent, and four indications get billable ICD-10-CM codes (docs/clinical-rules.md,
"ICD-10-CM codes"): three had none, one carried the category header D72.1.

Frozen here (the migration must not change when orders/data/indications.csv does). A code is
changed only where it is still the one seeded, so a pharmacist's own correction stays.
"""

from django.db import migrations

URGENT_SLUGS = ("toxic-epidermal-necrolysis", "stevens-johnson-syndrome", "kawasaki-disease")
# slug: (code seeded before, billable code)
CODES = {
    "nephrogenic-fibrosing-dermopathy": ("", "L90.8"),
    "degos-disease": ("", "I77.89"),
    "pretibial-myxedema": ("", "E05.00"),
    "urticaria-angioedema-hypereosinophilia": ("D72.1", "D72.118"),
}


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    Indication = apps.get_model("orders", "Indication")
    Indication.objects.filter(slug__in=URGENT_SLUGS).update(urgent_allowed=True)
    for slug, (before, after) in CODES.items():
        Indication.objects.filter(slug=slug, icd10_code=before).update(icd10_code=after)


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    Indication = apps.get_model("orders", "Indication")
    Indication.objects.filter(slug__in=URGENT_SLUGS).update(urgent_allowed=False)
    for slug, (before, after) in CODES.items():
        Indication.objects.filter(slug=slug, icd10_code=after).update(icd10_code=before)


class Migration(migrations.Migration):
    dependencies = [("orders", "0017_urgent_orders")]

    operations = [migrations.RunPython(seed, unseed)]
