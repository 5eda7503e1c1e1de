"""Engine test data: formulary facts copied from formulary/data/products.csv and indications.csv.

Plain functions (no Django, no database): ``product("privigen")``, ``indication("psoriasis")``
and ``plan_request(...)`` with keyword overrides for everything a test varies.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from ivig.engine import (
    DosingPolicy,
    IndicationFacts,
    LabelRateStep,
    PlanRequest,
    ProductFacts,
)

# slug: (brand, concentration %, low IgA, sucrose, vial sizes g, label steps, label max,
#        at-risk max, price per g) -- rows of formulary/data/products.csv
_PRODUCTS: dict[str, tuple[str, str, bool, bool, str, str, str, str, str]] = {
    "privigen": (
        "Privigen", "10", False, False, "5;10;20;40", "0.5@30;1@30;2@30;4@30;8", "8", "", "95",
    ),
    "gammagard-liquid": (
        "Gammagard Liquid", "10", False, False, "1;2.5;5;10;20;30",
        "0.8@30;1.6@30;3.2@30;6.4@30;8", "8", "", "98",
    ),
    "gammagard-sd": (
        "Gammagard S/D (low IgA)", "5", True, False, "2.5;5;10", "0.5@30;1@30;2@30;3.3", "3.3", "",
        "110",
    ),
    "octagam-5": (
        "Octagam 5%", "5", False, False, "1;2.5;5;10;25", "0.5@30;1@30;2@30;3.3", "3.3", "3.3",
        "92",
    ),
    "octagam-10": (
        "Octagam 10%", "10", False, False, "2;5;10;20;30", "1@30;2@30;4@30;8@30;12", "12", "3.3",
        "92",
    ),
    "bivigam": (
        "Bivigam", "10", False, False, "5;10",
        "0.5@10;1.3@20;2.1@20;2.9@20;3.7@20;4.5@20;5.3@20;6", "6", "2", "90",
    ),
    "carimune-nf": (
        "Carimune NF (discontinued)", "6", False, True, "3;6;12", "0.5@30;1@30;2@30;3", "3", "",
        "80",
    ),
}  # fmt: skip

# products.csv "stabilizer" column: these list maltose
_MALTOSE = frozenset({"octagam-5", "octagam-10"})

# slug: (name, category, max daily g/kg, max g/kg per 28 days) -- rows of indications.csv
_INDICATIONS: dict[str, tuple[str, str, str, str]] = {
    "pemphigus-vulgaris": (
        "Pemphigus vulgaris", "Autoimmune mucocutaneous blistering diseases", "1", "2",
    ),
    "dermatomyositis": ("Dermatomyositis", "Autoimmune connective tissue disorders", "1", "2"),
    "psoriasis": ("Psoriasis", "Miscellaneous dermatoses", "1", "2"),
    "stevens-johnson-syndrome": ("Stevens-Johnson syndrome", "Drug-induced disorders", "1", "3"),
    "kawasaki-disease": ("Kawasaki's syndrome", "Miscellaneous dermatoses", "2", "2"),
}  # fmt: skip


def _label_steps(text: str) -> list[LabelRateStep]:
    steps = []
    for part in text.split(";"):
        rate, _, minutes = part.partition("@")
        steps.append(
            LabelRateStep(
                rate_mg_per_kg_per_min=Decimal(rate), minutes=int(minutes) if minutes else None
            )
        )
    return steps


def product(slug: str, **overrides: Any) -> ProductFacts:
    brand, conc, low_iga, sucrose, vials, steps, label_max, at_risk, price = _PRODUCTS[slug]
    fields: dict[str, Any] = {
        "slug": slug,
        "brand_name": brand,
        "concentration_pct": Decimal(conc),
        "low_iga": low_iga,
        "contains_sucrose": sucrose,
        "contains_maltose": slug in _MALTOSE,
        "vial_sizes_g": [Decimal(size) for size in vials.split(";")],
        "label_rate_steps": _label_steps(steps),
        "label_max_mg_per_kg_per_min": Decimal(label_max) if label_max else None,
        "at_risk_max_mg_per_kg_per_min": Decimal(at_risk) if at_risk else None,
        "price_per_g": Decimal(price),
    }
    fields.update(overrides)
    return ProductFacts(**fields)


PRODUCT_SLUGS = tuple(_PRODUCTS)
INDICATION_SLUGS = tuple(_INDICATIONS)


def indication(slug: str) -> IndicationFacts:
    name, category, max_daily, max_28 = _INDICATIONS[slug]
    return IndicationFacts(
        slug=slug,
        name=name,
        category=category,
        max_daily_g_per_kg=Decimal(max_daily),
        max_g_per_kg_per_28_days=Decimal(max_28),
    )


def _decimal(value: str | int | Decimal | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def plan_request(
    *,
    weight_kg: str | int | None = "70",
    height_cm: str | int | None = "175",
    sex: str | None = "male",
    age_years: int = 40,
    blood_group: str = "O",
    iga_status: str = "normal",
    risk_factors: tuple[str, ...] = (),
    pregnant: bool = False,
    weight_measured_on: date | None = None,
    product_slug: str | None = "privigen",
    indication_slug: str | None = "psoriasis",
    total_dose_g_per_kg: str | int | None = "2",
    daily_dose_mg_per_kg: str | int | None = None,
    days_per_cycle: int = 5,
    cycles: int = 1,
    cycle_interval_days: int = 28,
    start_date: date = date(2027, 1, 4),
    dosing_weight_basis: str = "auto",
    rate_protocol: str = "protocol",
    target_rate_ml_per_h: int = 200,
    concomitant_immunosuppressant: str | None = "mycophenolate",
    policy: DosingPolicy | None = None,
    evaluated_on: date | None = None,
    authorization_covered: bool | None = None,
    product_facts: ProductFacts | None = None,
) -> PlanRequest:
    """A request with sensible defaults: a 70 kg, 175 cm man, Privigen, psoriasis, 2 g/kg/5 d."""
    if daily_dose_mg_per_kg is not None:
        total_dose_g_per_kg = None
    return PlanRequest.model_validate(
        {
            "patient": {
                "weight_kg": _decimal(weight_kg),
                "height_cm": _decimal(height_cm),
                "sex": sex,
                "age_years": age_years,
                "blood_group": blood_group,
                "iga_status": iga_status,
                "risk_factors": list(risk_factors),
                "pregnant": pregnant,
                "weight_measured_on": weight_measured_on,
            },
            "product": product_facts
            if product_facts is not None
            else (None if product_slug is None else product(product_slug)),
            "indication": None if indication_slug is None else indication(indication_slug),
            "regimen": {
                "total_dose_g_per_kg": _decimal(total_dose_g_per_kg),
                "daily_dose_mg_per_kg": _decimal(daily_dose_mg_per_kg),
                "days_per_cycle": days_per_cycle,
                "cycles": cycles,
                "cycle_interval_days": cycle_interval_days,
                "start_date": start_date,
            },
            "dosing_weight_basis": dosing_weight_basis,
            "rate_protocol": rate_protocol,
            "target_rate_ml_per_h": target_rate_ml_per_h,
            "concomitant_immunosuppressant": concomitant_immunosuppressant,
            "policy": policy or DosingPolicy(),
            "evaluated_on": evaluated_on,
            "authorization_covered": authorization_covered,
        }
    )
