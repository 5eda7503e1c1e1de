"""Formulary rows as the engine's inputs: the one place they are translated (STYLE)."""

from datetime import date
from decimal import Decimal
from typing import Any

from ivig.engine import DosingPolicy as PolicyFacts
from ivig.engine import LabelRateStep as StepFacts
from ivig.engine import PremedicationDrugFacts, ProductFacts

from .models import DosingPolicy, PremedicationDrug, Product, Stabilizer
from .selectors import current_price
from .services import FormularyError


def product_facts(product: Product, on: date | None = None) -> ProductFacts:
    """What the engine needs of ``product``: active vial sizes, label steps, the price in effect
    ``on`` (default today). Uses prefetched sizes and steps when ``products_list`` loaded them.

    A product with no price in effect cannot be costed (docs/clinical-rules.md 3.7):
    ``FormularyError``.
    """
    price_per_g = current_price(product, on)
    if price_per_g is None:
        raise FormularyError(
            "no_current_price", f"{product.brand_name} has no price in effect; set one first."
        )
    return ProductFacts(
        **_product_rule_fields(product),
        vial_sizes_g=sorted(vial.size_g for vial in product.vial_sizes.all() if vial.active),
        label_rate_steps=[
            StepFacts(rate_mg_per_kg_per_min=step.rate_mg_per_kg_per_min, minutes=step.minutes)
            for step in sorted(product.label_rate_steps.all(), key=lambda step: step.position)
        ],
        label_max_mg_per_kg_per_min=product.label_max_mg_per_kg_per_min,
        at_risk_max_mg_per_kg_per_min=product.at_risk_max_mg_per_kg_per_min,
        price_per_g=price_per_g,
    )


def _product_rule_fields(product: Product) -> dict[str, Any]:
    """The product's facts every rule reads, planning or not: one place for both adapters."""
    return {
        "slug": product.slug,
        "brand_name": product.brand_name,
        "concentration_pct": product.concentration_pct,
        "low_iga": product.low_iga,
        "contains_sucrose": product.contains_sucrose,
        "contains_maltose": contains_maltose(product),
    }


def contains_maltose(product: Product) -> bool:
    """Maltose among the product's stabilizers (MALTOSE_GLUCOSE_INTERFERENCE)."""
    return Stabilizer.MALTOSE in product.stabilizers


def product_rule_facts(product: Product) -> ProductFacts:
    """What the product-dependent safety rules read of ``product`` (name, concentration, low IgA,
    sucrose, maltose), without a query and without a price: for the suitability list only.

    Not for planning: it carries no vial size (a plan from it is INVALID_INPUT), no label step
    and a price of 0. Plans use ``product_facts``.
    """
    return ProductFacts(
        **_product_rule_fields(product),
        vial_sizes_g=[],
        label_rate_steps=[],
        price_per_g=Decimal(0),
    )


def dosing_policy_facts(policy: DosingPolicy) -> PolicyFacts:
    """The pharmacy's dosing policy as the engine's ``DosingPolicy``."""
    return PolicyFacts(
        rounding_tolerance_pct=policy.rounding_tolerance_pct,
        max_rate_ml_per_h=policy.max_rate_ml_per_h,
        premedication_lead_minutes=policy.premedication_lead_minutes,
        observation_minutes=policy.observation_minutes,
        default_at_risk_max_mg_per_kg_per_min=policy.default_at_risk_max_mg_per_kg_per_min,
        adjusted_weight_rule=policy.adjusted_weight_rule,
    )


def premedication_drug_facts(drug: PremedicationDrug) -> PremedicationDrugFacts:
    """A catalogue drug as the engine reads it (docs/clinical-rules.md 3.5)."""
    return PremedicationDrugFacts(
        slug=drug.slug,
        name=drug.name,
        adult_dose=drug.adult_dose,
        dose_unit=drug.dose_unit,
        route=drug.route,
        child_dose_mg_per_kg=drug.child_dose_mg_per_kg,
        child_max_mg_per_kg=drug.child_max_mg_per_kg,
    )
