"""docs/clinical-rules.md 5: seed the formulary from the product rows frozen beside this migration
(0002_products.csv; the columns are explained in docs/clinical-rules.md 5) and the default dosing
policy.

Each seeded row also gets its first history record ("created"), so a product's history starts
with where its figures came from.
"""

import csv
from decimal import Decimal
from pathlib import Path

from django.db import migrations
from django.utils import timezone

# The rows as they were when this migration was written: a later edit of formulary/data/ must
# not change what an old migration does.
CSV_PATH = Path(__file__).resolve().parent / "0002_products.csv"
PRICES_EFFECTIVE_FROM = "2026-01-01"
SEED_REASON = "Seeded from the product labels' figures"
POLICY_REASON = "The default dosing policy"
SEED_NOTE = "Figures from the product labels as seeded: check against the current label."
GENERIC_NAME = "immune globulin intravenous (human)"
# The CSV writes stabilizers as labelled ("L-proline", "D-sorbitol", "polysorbate 80").
STABILIZER_ALIASES = {"l-proline": "proline", "d-sorbitol": "sorbitol"}


def _decimal(text):
    return Decimal(text) if text.strip() else None


def _stabilizers(text):
    values = []
    for item in filter(None, (part.strip().lower() for part in text.split(";"))):
        values.append(STABILIZER_ALIASES.get(item, item).replace(" ", "_"))
    return values or ["none"]


def _osmolality(text):
    if not text.strip():
        return None, None
    low, _, high = text.partition("-")
    return int(low), int(high or low)


def _rate_steps(text):
    steps = []
    for item in text.split(";"):
        rate, _, minutes = item.partition("@")
        steps.append((Decimal(rate), int(minutes) if minutes else None))
    return steps


def _form(text):
    form, _, detail = text.partition("(")
    note = f"{form.strip().capitalize()}, {detail.rstrip(')').strip()}." if detail else ""
    return form.strip(), note


def _record_history(apps, instance, when, reason=SEED_REASON):
    historical = apps.get_model("formulary", "Historical" + instance.__class__.__name__)
    values = {field.attname: getattr(instance, field.attname) for field in instance._meta.fields}
    historical.objects.create(
        **values, history_date=when, history_type="+", history_change_reason=reason
    )


def seed(apps, schema_editor):
    Product = apps.get_model("formulary", "Product")
    VialSize = apps.get_model("formulary", "VialSize")
    LabelRateStep = apps.get_model("formulary", "LabelRateStep")
    ProductPrice = apps.get_model("formulary", "ProductPrice")
    DosingPolicy = apps.get_model("formulary", "DosingPolicy")
    when = timezone.now()

    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        form, form_note = _form(row["form"])
        osmolality_min, osmolality_max = _osmolality(row["osmolality_mosm_per_kg"])
        product = Product.objects.create(
            slug=row["slug"],
            brand_name=row["brand_name"],
            generic_name=GENERIC_NAME,
            manufacturer=row["manufacturer"],
            concentration_pct=Decimal(row["concentration_pct"]),
            form=form,
            iga_ug_per_ml=_decimal(row["iga_ug_per_ml"]),
            low_iga=row["low_iga"] == "true",
            stabilizers=_stabilizers(row["stabilizer"]),
            contains_sucrose=row["contains_sucrose"] == "true",
            osmolality_min_mosm_per_kg=osmolality_min,
            osmolality_max_mosm_per_kg=osmolality_max,
            hcpcs_code=row["hcpcs"],
            label_max_mg_per_kg_per_min=_decimal(row["label_max_mg_per_kg_min"]),
            at_risk_max_mg_per_kg_per_min=_decimal(row["at_risk_max_mg_per_kg_min"]),
            notes=" ".join(filter(None, [form_note, SEED_NOTE])),
            active=row["active"] == "true",
        )
        created = [product]
        for size in row["vial_sizes_g"].split(";"):
            created.append(VialSize.objects.create(product=product, size_g=Decimal(size)))
        for position, (rate, minutes) in enumerate(
            _rate_steps(row["label_rate_steps_mg_per_kg_min"]), start=1
        ):
            created.append(
                LabelRateStep.objects.create(
                    product=product,
                    position=position,
                    rate_mg_per_kg_per_min=rate,
                    minutes=minutes,
                )
            )
        created.append(
            ProductPrice.objects.create(
                product=product,
                price_per_g=Decimal(row["demo_price_per_g_usd"]),
                effective_from=PRICES_EFFECTIVE_FROM,
            )
        )
        for instance in created:
            _record_history(apps, instance, when)

    policy, created_policy = DosingPolicy.objects.get_or_create(id=1)
    if created_policy:
        _record_history(apps, policy, when, POLICY_REASON)


def unseed(apps, schema_editor):
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        slugs = [row["slug"] for row in csv.DictReader(handle)]
    for name in ("ProductPrice", "VialSize", "LabelRateStep"):
        apps.get_model("formulary", name).objects.filter(product__slug__in=slugs).delete()
    apps.get_model("formulary", "Product").objects.filter(slug__in=slugs).delete()
    apps.get_model("formulary", "DosingPolicy").objects.filter(id=1).delete()


class Migration(migrations.Migration):
    dependencies = [("formulary", "0001_products_and_policy")]

    operations = [migrations.RunPython(seed, unseed)]
