"""Which products suit a patient (docs/clinical-rules.md 5: "for a patient's risks, list products
that raise no stop or override").

The engine's product rules decide (``ivig.engine.product_findings``: exactly the rules of
docs/clinical-rules.md 3.8 whose condition reads the product, the same functions every plan
runs), so this list cannot drift from the plan:
- IGA_DEFICIENCY_WITH_ANTIBODIES (stop) / IGA_DEFICIENCY (override): IgA deficient and a
  product that is not low-IgA;
- SUCROSE_RENAL_RISK (stop): a sucrose-containing product and any renal risk;
- FLUID_OVERLOAD_RISK (override): cardiac insufficiency or renal failure and a product below 10 %;
- MALTOSE_GLUCOSE_INTERFERENCE (warn): a maltose-containing product and diabetes.
A product is unsuitable when it raises a stop or an override (``findings``); a warning
(``warnings``) is shown but leaves it suitable. The patient-only findings (RENAL_RISK, ...) are
the same whatever the product, so they cannot tell products apart and are not listed.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import get_args

from ivig.engine import (
    RENAL_RISK_FACTORS,
    RISK_MIN_AGE_YEARS,
    Finding,
    PatientFacts,
    RiskFactor,
    product_findings,
)
from ivig.engine import findings as engine_findings
from ivig.engine.models import IgaStatus
from ivig.templatetags.clinical import num

from .engine_inputs import product_rule_facts
from .models import Product
from .selectors import products_list

IGA_STATUSES: tuple[str, ...] = get_args(IgaStatus)
RISK_FACTORS: tuple[str, ...] = get_args(RiskFactor)
IGA_DEFICIENT = frozenset({"deficient", "deficient_with_antibodies"})


@dataclass(frozen=True)
class ProductFit:
    """A product for this patient: why it suits (``notes``), the stop and override findings that
    make it unsuitable (``findings``) and the warnings it raises all the same (``warnings``)."""

    product: Product
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)

    @property
    def suitable(self) -> bool:
        return not self.findings


@dataclass(frozen=True)
class Suitability:
    suitable: list[ProductFit]
    unsuitable: list[ProductFit]


def suitability_patient(
    *, iga_status: str, risk_factors: Iterable[str], age_years: int
) -> PatientFacts:
    """The patient as the product rules see them; an unknown code is a ``ValueError``."""
    factors = sorted(set(risk_factors))
    unknown = [factor for factor in factors if factor not in RISK_FACTORS]
    if unknown:
        raise ValueError(f"unknown risk factors: {', '.join(unknown)}")
    if iga_status not in IGA_STATUSES:
        raise ValueError(f"unknown IgA status: {iga_status}")
    # Weight, height and sex play no part in a product rule.
    return PatientFacts.model_validate(
        {
            "weight_kg": None,
            "height_cm": None,
            "sex": None,
            "age_years": age_years,
            "iga_status": iga_status,
            "risk_factors": factors,
        }
    )


def _notes(product: Product, patient: PatientFacts) -> list[str]:
    """Why a product that raises no stop or override suits this patient's risks."""
    factors = set(patient.risk_factors)
    notes = []
    if patient.iga_status in IGA_DEFICIENT and product.low_iga:
        notes.append("low IgA")
    renal = factors & RENAL_RISK_FACTORS or patient.age_years >= RISK_MIN_AGE_YEARS
    if renal and not product.contains_sucrose:
        notes.append("sucrose-free")
    if factors & engine_findings.FLUID_OVERLOAD_RISK_FACTORS:
        notes.append(f"{num(product.concentration_pct)} % (less fluid)")
    return notes


def product_fit(product: Product, patient: PatientFacts) -> ProductFit:
    """The findings ``product`` would raise for ``patient`` (the engine's product rules)."""
    found = product_findings(patient, product_rule_facts(product))
    blocking = [finding for finding in found if finding.severity != "warn"]
    return ProductFit(
        product=product,
        notes=[] if blocking else _notes(product, patient),
        findings=blocking,
        warnings=[finding for finding in found if finding.severity == "warn"],
    )


def suitable_products(
    *,
    iga_status: str,
    risk_factors: Iterable[str],
    age_years: int,
    products: Iterable[Product] | None = None,
) -> Suitability:
    """The active products (or ``products``) split into those that raise no product-dependent
    stop or override finding for this patient, with why, and the others, with their findings."""
    patient = suitability_patient(
        iga_status=iga_status, risk_factors=risk_factors, age_years=age_years
    )
    candidates = products if products is not None else products_list().filter(active=True)
    fits = [product_fit(product, patient) for product in candidates]
    return Suitability(
        suitable=[fit for fit in fits if fit.suitable],
        unsuitable=[fit for fit in fits if not fit.suitable],
    )
