"""Existing orders' premedication text into structured lines where it reads as lines
(docs/clinical-rules.md 3.5): "diphenhydramine 25 mg PO", "acetaminophen 500 mg". The text is
kept unchanged: a part that does not read as a line stays visible "as written"."""

from django.db import migrations

from orders.premedication.parsing import CatalogueDrug, catalogue_index, parse_premedication


def parse_existing(apps, schema_editor):
    drug_model = apps.get_model("formulary", "PremedicationDrug")
    line_model = apps.get_model("orders", "PremedicationLine")
    order_model = apps.get_model("orders", "Order")
    policy = apps.get_model("formulary", "DosingPolicy").objects.filter(id=1).first()
    minutes_before = policy.premedication_lead_minutes if policy else 30
    drugs = {drug.slug: drug for drug in drug_model.objects.all()}
    catalogue = catalogue_index(
        [CatalogueDrug(slug=d.slug, name=d.name, route=d.route) for d in drugs.values()]
    )
    new_lines = []
    for order in order_model.objects.exclude(premedication="").iterator():
        if line_model.objects.filter(order_id=order.pk).exists():
            continue
        parsed = parse_premedication(order.premedication, catalogue)
        for position, line in enumerate(parsed.lines, start=1):
            new_lines.append(
                line_model(
                    order_id=order.pk,
                    drug=drugs[line.drug_slug],
                    dose=line.dose,
                    dose_unit=line.dose_unit,
                    route=line.route,
                    minutes_before=minutes_before,
                    position=position,
                )
            )
    line_model.objects.bulk_create(new_lines, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0020_premedication_lines"),
        ("formulary", "0009_seed_premedication_catalogue"),
    ]

    operations = [migrations.RunPython(parse_existing, migrations.RunPython.noop)]
