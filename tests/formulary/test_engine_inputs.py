"""Formulary rows become the engine's inputs in one place (formulary/engine_inputs.py)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from formulary.engine_inputs import dosing_policy_facts, product_facts, product_rule_facts
from formulary.models import Product
from formulary.selectors import current_policy, products_list
from formulary.services import FormularyError
from ivig.engine import DosingPolicy, LabelRateStep, ProductFacts

from .factories import ProductFactory

pytestmark = pytest.mark.django_db


def test_privigen_as_the_engine_sees_it():
    facts = product_facts(Product.objects.get(slug="privigen"))
    assert facts == ProductFacts(
        slug="privigen",
        brand_name="Privigen",
        concentration_pct=Decimal(10),
        low_iga=False,
        contains_sucrose=False,
        vial_sizes_g=[Decimal(5), Decimal(10), Decimal(20), Decimal(40)],
        label_rate_steps=[
            LabelRateStep(rate_mg_per_kg_per_min=Decimal("0.5"), minutes=30),
            LabelRateStep(rate_mg_per_kg_per_min=Decimal(1), minutes=30),
            LabelRateStep(rate_mg_per_kg_per_min=Decimal(2), minutes=30),
            LabelRateStep(rate_mg_per_kg_per_min=Decimal(4), minutes=30),
            LabelRateStep(rate_mg_per_kg_per_min=Decimal(8), minutes=None),
        ],
        label_max_mg_per_kg_per_min=Decimal(8),
        at_risk_max_mg_per_kg_per_min=None,
        price_per_g=Decimal(95),
    )


def test_only_active_vial_sizes_reach_the_engine():
    product = ProductFactory.create(vial_sizes=["20", "5", "10"])
    product.vial_sizes.filter(size_g=10).update(active=False)
    assert product_facts(product).vial_sizes_g == [5, 20]


def test_the_price_in_effect_on_a_date():
    product = ProductFactory.create(price="90")
    later = timezone.localdate() + timedelta(days=10)
    product.prices.create(price_per_g=Decimal(99), effective_from=later)
    assert product_facts(product).price_per_g == 90
    assert product_facts(product, on=later).price_per_g == 99


def test_a_product_without_a_price_in_effect_cannot_be_planned():
    product = ProductFactory.create(price=False)
    with pytest.raises(FormularyError) as caught:
        product_facts(product, on=date(2026, 1, 1))
    assert caught.value.code == "no_current_price"


def test_a_listed_product_needs_no_further_query(django_assert_num_queries):
    products = list(products_list())
    with django_assert_num_queries(0):
        facts = [product_facts(product) for product in products]
    assert len(facts) == Product.objects.count()


def test_the_policy_as_the_engine_sees_it():
    assert dosing_policy_facts(current_policy()) == DosingPolicy(
        rounding_tolerance_pct=Decimal(10),
        max_rate_ml_per_h=200,
        premedication_lead_minutes=30,
        observation_minutes=30,
    )


@pytest.mark.parametrize(
    ("slug", "maltose"), [("octagam-5", True), ("octagam-10", True), ("privigen", False)]
)
def test_maltose_comes_from_the_stabilizers(slug, maltose):
    product = Product.objects.get(slug=slug)
    assert product_facts(product).contains_maltose is maltose
    assert product_rule_facts(product).contains_maltose is maltose


def test_product_rule_facts_cannot_be_planned_from():
    facts = product_rule_facts(ProductFactory.create(price=False, stabilizers=["maltose"]))
    assert facts.contains_maltose
    assert facts.vial_sizes_g == []  # a plan from these facts is INVALID_INPUT, never costed
