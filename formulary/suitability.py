"""Which products suit a patient (DESIGN 5: "for a patient's risks, list products that raise no
stop or override").

Only the rules of DESIGN 3.8 that depend on the product are asked here; the patient-only
findings (RENAL_RISK, THROMBOSIS_RISK, ...) are the same whatever the product, so they cannot
tell products apart:
- IGA_DEFICIENCY_WITH_ANTIBODIES (stop) / IGA_DEFICIENCY (override): IgA deficient and a
  product that is not low-IgA;
- SUCROSE_RENAL_RISK (stop): a sucrose-containing product and any renal risk factor
  (renal_impairment, renal_failure, diabetes, dehydration, sepsis, nephrotoxic_drugs, age ≥ 65);
- FLUID_OVERLOAD_RISK (override): cardiac insufficiency or renal failure and a product below 10 %.

The risk groups, thresholds and messages are the engine's own (``ivig.engine.findings``), so a
product listed as suitable raises none of these findings when the order is planned.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import get_args

from ivig.engine import RENAL_RISK_FACTORS, RISK_MIN_AGE_YEARS, Finding, RiskFactor
from ivig.engine import findings as engine_findings
from ivig.engine.models import IgaStatus
from ivig.templatetags.clinical import num

from .models import Product
from .selectors import products_list

IGA_STATUSES: tuple[str, ...] = get_args(IgaStatus)
RISK_FACTORS: tuple[str, ...] = get_args(RiskFactor)
IGA_DEFICIENT = frozenset({"deficient", "deficient_with_antibodies"})


@dataclass(frozen=True)
class ProductFit:
    """A product for this patient: why it suits (``notes``) or the findings it would raise."""

    product: Product
    notes: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def suitable(self) -> bool:
        return not self.findings


@dataclass(frozen=True)
class Suitability:
    suitable: list[ProductFit]
    unsuitable: list[ProductFit]


@dataclass(frozen=True)
class PatientRisks:
    """The patient facts the product-dependent rules look at."""

    iga_status: str
    renal_factors: list[str]
    fluid_overload_factors: list[str]
    age_years: int

    @property
    def renal_risk(self) -> bool:
        return bool(self.renal_factors) or self.age_years >= RISK_MIN_AGE_YEARS


def patient_risks(*, iga_status: str, risk_factors: Iterable[str], age_years: int) -> PatientRisks:
    """Check the codes (API.md) and group them; an unknown code is a ``ValueError``."""
    factors = set(risk_factors)
    unknown = sorted(factors - set(RISK_FACTORS))
    if unknown:
        raise ValueError(f"unknown risk factors: {', '.join(unknown)}")
    if iga_status not in IGA_STATUSES:
        raise ValueError(f"unknown IgA status: {iga_status}")
    return PatientRisks(
        iga_status=iga_status,
        renal_factors=sorted(factors & RENAL_RISK_FACTORS),
        fluid_overload_factors=sorted(factors & engine_findings.FLUID_OVERLOAD_RISK_FACTORS),
        age_years=age_years,
    )


def product_fit(product: Product, risks: PatientRisks) -> ProductFit:
    """The stop and override findings ``product`` would raise for ``risks``, or why it suits."""
    findings: list[Finding] = []
    notes: list[str] = []
    if risks.iga_status in IGA_DEFICIENT:
        if product.low_iga:
            notes.append("low IgA")
        elif risks.iga_status == "deficient_with_antibodies":
            findings.append(engine_findings.iga_deficiency_with_antibodies(product.brand_name))
        else:
            findings.append(engine_findings.iga_deficiency(product.brand_name))
    if risks.renal_risk:
        if product.contains_sucrose:
            findings.append(
                engine_findings.sucrose_renal_risk(
                    product.brand_name, risks.renal_factors, risks.age_years
                )
            )
        else:
            notes.append("sucrose-free")
    if risks.fluid_overload_factors:
        if product.concentration_pct < engine_findings.FLUID_OVERLOAD_BELOW_CONCENTRATION_PCT:
            findings.append(
                engine_findings.fluid_overload_risk(
                    risks.fluid_overload_factors, product.brand_name, product.concentration_pct
                )
            )
        else:
            notes.append(f"{num(product.concentration_pct)} % (less fluid)")
    return ProductFit(product=product, notes=[] if findings else notes, findings=findings)


def suitable_products(
    *,
    iga_status: str,
    risk_factors: Iterable[str],
    age_years: int,
    products: Iterable[Product] | None = None,
) -> Suitability:
    """The active products (or ``products``) split into those that raise no product-dependent
    stop or override finding for this patient, with why, and the others, with their findings."""
    risks = patient_risks(iga_status=iga_status, risk_factors=risk_factors, age_years=age_years)
    candidates = products if products is not None else products_list().filter(active=True)
    fits = [product_fit(product, risks) for product in candidates]
    return Suitability(
        suitable=[fit for fit in fits if fit.suitable],
        unsuitable=[fit for fit in fits if not fit.suitable],
    )
