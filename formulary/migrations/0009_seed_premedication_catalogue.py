"""Seed the premedication catalogue (docs/clinical-rules.md 3.5).

Diphenhydramine and acetaminophen carry the children's numbers of 3.5 (1 mg/kg up to
1.25 mg/kg; 15 mg/kg up to 15 mg/kg); the other three have no children's dose, so a child's dose
is entered by the prescriber. The pharmacist reviews and changes these in the catalogue; a test
checks the two named in 3.5 against the engine's rows.
"""

from decimal import Decimal

from django.db import migrations

# slug, name, adult dose (mg), route, children's mg/kg, children's maximum mg/kg
DRUGS = (
    ("diphenhydramine", "Diphenhydramine", "25", "PO", "1", "1.25"),
    ("cetirizine", "Cetirizine", "10", "PO", None, None),
    ("acetaminophen", "Acetaminophen", "500", "PO", "15", "15"),
    ("hydrocortisone", "Hydrocortisone", "100", "IV", None, None),
    ("methylprednisolone", "Methylprednisolone", "40", "IV", None, None),
)


def _decimal(value):
    return None if value is None else Decimal(value)


def seed(apps, schema_editor):
    drug_model = apps.get_model("formulary", "PremedicationDrug")
    for position, (slug, name, adult, route, child, child_max) in enumerate(DRUGS, start=1):
        drug_model.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "adult_dose": Decimal(adult),
                "dose_unit": "mg",
                "route": route,
                "child_dose_mg_per_kg": _decimal(child),
                "child_max_mg_per_kg": _decimal(child_max),
                "position": position,
            },
        )


def unseed(apps, schema_editor):
    apps.get_model("formulary", "PremedicationDrug").objects.filter(
        slug__in=[row[0] for row in DRUGS]
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("formulary", "0008_premedication_catalogue")]

    operations = [migrations.RunPython(seed, unseed)]
