"""Formulary test data: a product with vial sizes, label steps and a price, made in one call."""

from datetime import date
from decimal import Decimal
from typing import Any, cast

import factory
from factory.django import DjangoModelFactory

from formulary.models import LabelRateStep, Product, ProductPrice, VialSize

PRICE_FROM = date(2026, 1, 1)


class ProductFactory(DjangoModelFactory[Product]):
    """``ProductFactory.create(vial_sizes=["5"], steps=[("1", 30), ("4", None)], price="90")``;
    post-generation hooks receive the product as ``self``."""

    class Meta:
        model = Product
        skip_postgeneration_save = True

    slug = factory.Sequence(lambda n: f"test-product-{n}")
    brand_name = factory.Sequence(lambda n: f"Testgam {n}")
    manufacturer = "Test Biologics"
    concentration_pct = Decimal(10)
    form = Product.Form.LIQUID
    iga_ug_per_ml = Decimal(40)
    low_iga = False
    stabilizers = factory.LazyFunction(lambda: ["glycine"])
    contains_sucrose = False
    label_max_mg_per_kg_per_min = Decimal(8)
    hcpcs_code = "J1599"

    @factory.post_generation
    def vial_sizes(self, create: bool, sizes: Any, **kwargs: Any) -> None:
        for size in ("5", "10") if sizes is None else sizes:
            VialSize.objects.create(product=cast(Product, self), size_g=Decimal(size))

    @factory.post_generation
    def steps(self, create: bool, steps: Any, **kwargs: Any) -> None:
        default = (("1", 30), ("2", 30), ("4", None))
        for position, (rate, minutes) in enumerate(default if steps is None else steps, 1):
            LabelRateStep.objects.create(
                product=cast(Product, self),
                position=position,
                rate_mg_per_kg_per_min=Decimal(rate),
                minutes=minutes,
            )

    @factory.post_generation
    def price(self, create: bool, price: Any, **kwargs: Any) -> None:
        if price is not False:
            ProductPrice.objects.create(
                product=cast(Product, self),
                price_per_g=Decimal(price or "90"),
                effective_from=PRICE_FROM,
            )
