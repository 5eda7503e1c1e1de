"""The data migration seeds every product of formulary/data/products.csv and the default policy."""

import csv
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings

from formulary.models import DosingPolicy, Product
from formulary.selectors import current_price

pytestmark = pytest.mark.django_db

SEED_CSV = Path(settings.BASE_DIR) / "formulary" / "data" / "products.csv"
REFERENCE_CSV = Path(settings.BASE_DIR).parent / "shared" / "reference" / "products.csv"


def _rows() -> list[dict[str, str]]:
    with SEED_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _optional(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def test_the_seed_file_is_the_reference_file():
    if not REFERENCE_CSV.exists():
        pytest.skip(f"no shared reference beside the repository ({REFERENCE_CSV})")
    assert SEED_CSV.read_text(encoding="utf-8") == REFERENCE_CSV.read_text(encoding="utf-8")


def test_every_row_is_seeded_and_nothing_else():
    assert sorted(Product.objects.values_list("slug", flat=True)) == sorted(
        row["slug"] for row in _rows()
    )


@pytest.mark.parametrize("row", _rows(), ids=lambda row: row["slug"])
def test_each_product_has_its_figures_vial_sizes_steps_and_price(row):
    product = Product.objects.get(slug=row["slug"])
    assert product.brand_name == row["brand_name"]
    assert product.manufacturer == row["manufacturer"]
    assert product.form == row["form"].split(" ")[0]
    assert product.concentration_pct == Decimal(row["concentration_pct"])
    assert product.iga_ug_per_ml == Decimal(row["iga_ug_per_ml"])
    assert product.low_iga is (row["low_iga"] == "true")
    assert product.contains_sucrose is (row["contains_sucrose"] == "true")
    assert product.hcpcs_code == row["hcpcs"]
    assert product.label_max_mg_per_kg_per_min == Decimal(row["label_max_mg_per_kg_min"])
    assert product.at_risk_max_mg_per_kg_per_min == _optional(row["at_risk_max_mg_per_kg_min"])
    assert product.active is (row["active"] == "true")
    low, _, high = row["osmolality_mosm_per_kg"].partition("-")
    osmolality = (int(low), int(high or low)) if low else (None, None)
    assert (product.osmolality_min_mosm_per_kg, product.osmolality_max_mosm_per_kg) == osmolality

    sizes = sorted(Decimal(size) for size in row["vial_sizes_g"].split(";"))
    assert [vial.size_g for vial in product.vial_sizes.all()] == sizes
    assert all(vial.active for vial in product.vial_sizes.all())

    expected_steps = []
    for step in row["label_rate_steps_mg_per_kg_min"].split(";"):
        rate, _, minutes = step.partition("@")
        expected_steps.append((Decimal(rate), int(minutes) if minutes else None))
    steps = product.label_rate_steps.order_by("position")
    assert [(s.rate_mg_per_kg_per_min, s.minutes) for s in steps] == expected_steps
    assert [s.position for s in steps] == list(range(1, len(expected_steps) + 1))

    price = product.prices.get()
    assert price.effective_from == date(2026, 1, 1)
    assert price.price_per_g == Decimal(row["demo_price_per_g_usd"])
    assert current_price(product, on=date(2026, 1, 1)) == price.price_per_g
    assert product.history.get().history_change_reason == "Seeded from the product labels' figures"


def test_stabilizers_are_seeded_as_choice_codes():
    stabilizers = dict(Product.objects.values_list("slug", "stabilizers"))
    assert stabilizers["privigen"] == ["proline"]
    assert stabilizers["gammagard-sd"] == ["glucose", "glycine", "albumin"]
    assert stabilizers["gammaplex-5"] == ["sorbitol", "glycine"]
    assert stabilizers["bivigam"] == ["glycine", "polysorbate_80"]


def test_carimune_is_kept_inactive_with_its_sucrose():
    carimune = Product.objects.get(slug="carimune-nf")
    assert not carimune.active
    assert carimune.contains_sucrose and carimune.stabilizers == ["sucrose"]
    assert carimune.form == Product.Form.LYOPHILIZED
    assert carimune.concentration_pct == 6
    assert "reconstituted to 6%" in carimune.notes


def test_only_gammagard_sd_is_low_iga():
    assert list(Product.objects.filter(low_iga=True).values_list("slug", flat=True)) == [
        "gammagard-sd"
    ]


def test_the_default_policy_is_seeded():
    policy = DosingPolicy.objects.get()
    assert policy.rounding_tolerance_pct == 10
    assert policy.max_rate_ml_per_h == 200
    assert policy.premedication_lead_minutes == 30
    assert policy.observation_minutes == 30
    assert policy.version == 1
    assert policy.history.count() == 1
