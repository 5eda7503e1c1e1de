"""Each indication's outcome measure for response reviews (docs/clinical-rules.md 10.1).

The rule is frozen here (the migration must not change when ``orders/reviews/outcome_measures.py``
does): PDAI for pemphigus, BPDAI for the pemphigoids, CDASI for dermatomyositis, else the
physician's global assessment (``pga``, the field's default).
"""

from django.db import migrations

FROZEN_RULE = (("pemphigus", "pdai"), ("pemphigoid", "bpdai"), ("dermatomyositis", "cdasi"))


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    Indication = apps.get_model("orders", "Indication")
    for indication in Indication.objects.all():
        measure = next((m for word, m in FROZEN_RULE if word in indication.slug), "pga")
        if indication.outcome_measure != measure:
            indication.outcome_measure = measure
            indication.save(update_fields=["outcome_measure"])


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    apps.get_model("orders", "Indication").objects.update(outcome_measure="pga")


class Migration(migrations.Migration):
    dependencies = [("orders", "0009_indication_outcome_measure_and_response_reviews")]

    operations = [migrations.RunPython(seed, unseed)]
