"""What must always hold is enforced by the database (CheckConstraint, UniqueConstraint)."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from formulary.models import DosingPolicy, LabelRateStep, Product, ProductPrice, VialSize

from .factories import ProductFactory

pytestmark = pytest.mark.django_db


def _product(**overrides: Any) -> Callable[[], Any]:
    return lambda: ProductFactory.create(**overrides)


def _vial(size_g: str, product_slug: str = "privigen") -> Callable[[], Any]:
    return lambda: VialSize.objects.create(
        product=Product.objects.get(slug=product_slug), size_g=Decimal(size_g)
    )


def _step(position: int, rate: str, minutes: int | None = 30) -> Callable[[], Any]:
    return lambda: LabelRateStep.objects.create(
        product=Product.objects.get(slug="privigen"),
        position=position,
        rate_mg_per_kg_per_min=Decimal(rate),
        minutes=minutes,
    )


def _price(price: str, effective_from: date) -> Callable[[], Any]:
    return lambda: ProductPrice.objects.create(
        product=Product.objects.get(slug="privigen"),
        price_per_g=Decimal(price),
        effective_from=effective_from,
    )


def _policy(**values: Any) -> Callable[[], Any]:
    def update() -> None:
        DosingPolicy.objects.filter(id=1).update(**values)

    return update


BAD_ROWS = {
    "concentration 0 %": _product(concentration_pct=Decimal(0)),
    "concentration above 100 %": _product(concentration_pct=Decimal("100.01")),
    "duplicate slug": _product(slug="privigen"),
    "reserved slug": _product(slug="new"),
    "empty slug": _product(slug=""),
    "negative IgA": _product(iga_ug_per_ml=Decimal(-1)),
    "label maximum 0": _product(label_max_mg_per_kg_per_min=Decimal(0)),
    "at-risk maximum above label maximum": _product(
        label_max_mg_per_kg_per_min=Decimal(4), at_risk_max_mg_per_kg_per_min=Decimal(5)
    ),
    "osmolality range reversed": _product(
        osmolality_min_mosm_per_kg=300, osmolality_max_mosm_per_kg=240
    ),
    "pH range reversed": _product(ph_min=Decimal("6.5"), ph_max=Decimal("4.5")),
    "vial size 0 g": _vial("0"),
    "negative vial size": _vial("-5"),
    "duplicate vial size": _vial("5"),
    "step position 0": _step(0, "1"),
    "duplicate step position": _step(1, "0.7"),
    "step rate 0": _step(9, "0"),
    "step of 0 minutes": _step(9, "9", minutes=0),
    "price 0": _price("0", date(2026, 6, 1)),
    "two prices on one date": _price("99", date(2026, 1, 1)),
    "second policy row": lambda: DosingPolicy.objects.create(id=2),
    "premedication lead under 15 minutes": _policy(premedication_lead_minutes=10),
    "premedication lead over 30 minutes": _policy(premedication_lead_minutes=45),
    "maximum rate over 200 mL/h": _policy(max_rate_ml_per_h=250),
    "tolerance over 50 %": _policy(rounding_tolerance_pct=Decimal(60)),
}


@pytest.mark.parametrize("make", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_the_database_refuses_rows_that_break_an_invariant(make):
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


GOOD_ROWS = {
    "concentration 100 %": _product(concentration_pct=Decimal(100)),
    "single osmolality": _product(osmolality_min_mosm_per_kg=320, osmolality_max_mosm_per_kg=320),
    "at-risk maximum equal to label maximum": _product(
        label_max_mg_per_kg_per_min=Decimal("3.3"), at_risk_max_mg_per_kg_per_min=Decimal("3.3")
    ),
    "same vial size on another product": _vial("40", product_slug="gammaked"),
    "open-ended step": _step(9, "9", minutes=None),
    "a second price on another date": _price("99", date(2026, 6, 1)),
}


@pytest.mark.parametrize("make", GOOD_ROWS.values(), ids=GOOD_ROWS.keys())
def test_the_database_accepts_rows_at_the_boundary(make):
    make()


def test_a_product_shows_its_stabilizers_and_whether_it_is_sugar_free():
    privigen = Product.objects.get(slug="privigen")
    gammagard_sd = Product.objects.get(slug="gammagard-sd")
    assert privigen.sugar_free and privigen.stabilizer_labels == ["proline"]
    assert not gammagard_sd.sugar_free
    bivigam = Product.objects.get(slug="bivigam")
    assert bivigam.stabilizer_labels == ["glycine", "polysorbate 80"]
