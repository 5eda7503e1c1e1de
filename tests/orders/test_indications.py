"""Indications: seeded from orders/data/indications.csv by a data migration (docs/clinical-rules.md
4)."""

import csv
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError

from ivig.engine import IndicationFacts
from orders.dose_plans.engine_inputs import indication_facts
from orders.models import Indication

pytestmark = pytest.mark.django_db

CSV_PATH = Path(settings.BASE_DIR) / "orders" / "data" / "indications.csv"


def csv_rows() -> list[dict[str, str]]:
    with CSV_PATH.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_every_csv_row_is_seeded_with_its_values():
    rows = csv_rows()
    assert len(rows) == 55
    assert Indication.objects.count() == len(rows)
    for row in rows:
        indication = Indication.objects.get(slug=row["slug"])
        assert indication.name == row["name"]
        assert indication.category == row["category"]
        assert indication.icd10_code == row["icd10"]
        assert indication.default_total_g_per_kg == Decimal(row["default_total_g_per_kg"])
        assert indication.default_days_per_cycle == int(row["default_days"])
        assert indication.default_cycle_interval_days == int(row["default_interval_days"])
        assert indication.max_daily_g_per_kg == Decimal(row["max_daily_g_per_kg"])
        assert indication.max_g_per_kg_per_28_days == Decimal(row["max_g_per_kg_per_28_days"])


@pytest.mark.parametrize("slug", ["stevens-johnson-syndrome", "toxic-epidermal-necrolysis"])
def test_sjs_and_ten_allow_3_g_per_kg_per_28_days(slug):
    indication = Indication.objects.get(slug=slug)
    assert indication.max_g_per_kg_per_28_days == Decimal(3)
    assert indication.default_total_g_per_kg == Decimal(3)
    assert indication.default_days_per_cycle == 3
    assert indication.max_daily_g_per_kg == Decimal(1)


def test_kawasaki_allows_2_g_per_kg_in_one_day():
    kawasaki = Indication.objects.get(slug="kawasaki-disease")
    assert kawasaki.max_daily_g_per_kg == Decimal(2)
    assert kawasaki.default_days_per_cycle == 1
    assert kawasaki.max_g_per_kg_per_28_days == Decimal(2)
    assert kawasaki.icd10_code == "M30.3"


def test_most_indications_allow_1_g_per_kg_daily_and_2_per_28_days():
    usual = Indication.objects.exclude(
        slug__in=["kawasaki-disease", "stevens-johnson-syndrome", "toxic-epidermal-necrolysis"]
    )
    assert set(usual.values_list("max_daily_g_per_kg", flat=True)) == {Decimal(1)}
    assert set(usual.values_list("max_g_per_kg_per_28_days", flat=True)) == {Decimal(2)}


def test_an_indication_without_icd10_code_is_kept_blank():
    # POEMS syndrome is the one seeded indication without a code (Degos' disease now has I77.89).
    assert Indication.objects.get(slug="poems-syndrome").icd10_code == ""


@pytest.mark.parametrize(
    "field",
    [
        "default_total_g_per_kg",
        "default_days_per_cycle",
        "default_cycle_interval_days",
        "max_daily_g_per_kg",
        "max_g_per_kg_per_28_days",
    ],
)
def test_the_database_refuses_a_non_positive_dose_or_period(field):
    values = {
        "slug": "made-up",
        "name": "Made up",
        "category": "Test",
        "default_total_g_per_kg": Decimal(2),
        "default_days_per_cycle": 5,
        "default_cycle_interval_days": 28,
        "max_daily_g_per_kg": Decimal(1),
        "max_g_per_kg_per_28_days": Decimal(2),
        field: 0,
    }
    with pytest.raises(IntegrityError):
        Indication.objects.create(**values)


def test_slugs_are_unique():
    existing = Indication.objects.get(slug="psoriasis")
    existing.pk = None
    with pytest.raises(IntegrityError):
        existing.save()


def test_indication_facts_carry_the_maxima_for_the_engine():
    facts = indication_facts(Indication.objects.get(slug="toxic-epidermal-necrolysis"))
    assert facts == IndicationFacts(
        slug="toxic-epidermal-necrolysis",
        name="Toxic epidermal necrolysis (Lyell's syndrome)",
        category="Drug-induced disorders",
        max_daily_g_per_kg=Decimal(1),
        max_g_per_kg_per_28_days=Decimal(3),
    )
