"""Engine throughput: median microseconds per ``compute_plan`` on one core.

Run: ``.venv/bin/python bench/engine.py [--rounds N]``. Builds about 50 realistic requests
(products, weights, dosing-weight bases, rate protocols, regimens, risk factors), warms up,
then times every request many times with ``time.perf_counter`` and reports the median time
per plan, the 95th percentile and plans per second. Target: median under 200 µs.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ivig.engine import (
    IndicationFacts,
    LabelRateStep,
    PatientFacts,
    PlanRequest,
    ProductFacts,
    Regimen,
    compute_plan,
)

TARGET_MEDIAN_US = 200

# slug: (concentration %, low IgA, sucrose, vial sizes, label steps, label max, at-risk max, price)
PRODUCTS = {
    "privigen": ("10", False, False, "5;10;20;40", "0.5@30;1@30;2@30;4@30;8", "8", "", "95"),
    "gammagard-liquid": (
        "10", False, False, "1;2.5;5;10;20;30", "0.8@30;1.6@30;3.2@30;6.4@30;8", "8", "", "98",
    ),
    "gammagard-sd": ("5", True, False, "2.5;5;10", "0.5@30;1@30;2@30;3.3", "3.3", "", "110"),
    "octagam-5": ("5", False, False, "1;2.5;5;10;25", "0.5@30;1@30;2@30;3.3", "3.3", "3.3", "92"),
    "octagam-10": (
        "10", False, False, "2;5;10;20;30", "1@30;2@30;4@30;8@30;12", "12", "3.3", "92",
    ),
    "bivigam": (
        "10", False, False, "5;10", "0.5@10;1.3@20;2.1@20;2.9@20;3.7@20;4.5@20;5.3@20;6", "6",
        "2", "90",
    ),
    "carimune-nf": ("6", False, True, "3;6;12", "0.5@30;1@30;2@30;3", "3", "", "80"),
}  # fmt: skip

INDICATIONS = {
    "pemphigus-vulgaris": ("Autoimmune mucocutaneous blistering diseases", "1", "2"),
    "dermatomyositis": ("Autoimmune connective tissue disorders", "1", "2"),
    "psoriasis": ("Miscellaneous dermatoses", "1", "2"),
    "stevens-johnson-syndrome": ("Drug-induced disorders", "1", "3"),
    "kawasaki-disease": ("Miscellaneous dermatoses", "2", "2"),
}


def product(slug: str) -> ProductFacts:
    conc, low_iga, sucrose, vials, steps, label_max, at_risk, price = PRODUCTS[slug]
    return ProductFacts(
        slug=slug,
        brand_name=slug.title(),
        concentration_pct=Decimal(conc),
        low_iga=low_iga,
        contains_sucrose=sucrose,
        vial_sizes_g=[Decimal(size) for size in vials.split(";")],
        label_rate_steps=[
            LabelRateStep(
                rate_mg_per_kg_per_min=Decimal(part.partition("@")[0]),
                minutes=int(part.partition("@")[2]) if "@" in part else None,
            )
            for part in steps.split(";")
        ],
        label_max_mg_per_kg_per_min=Decimal(label_max) if label_max else None,
        at_risk_max_mg_per_kg_per_min=Decimal(at_risk) if at_risk else None,
        price_per_g=Decimal(price),
    )


def indication(slug: str) -> IndicationFacts:
    category, max_daily, max_28 = INDICATIONS[slug]
    return IndicationFacts(
        slug=slug,
        name=slug.replace("-", " "),
        category=category,
        max_daily_g_per_kg=Decimal(max_daily),
        max_g_per_kg_per_28_days=Decimal(max_28),
    )


def requests() -> list[PlanRequest]:
    """About 50 requests cycling through realistic combinations (deterministic)."""
    patients = [  # weight, height, sex, age, risk factors, blood group
        ("82.5", "168", "female", 57, ["migraine"], "A"),
        ("70", "175", "male", 40, [], "O"),
        ("120", "180", "male", 50, ["diabetes"], "B"),
        ("25", "125", "male", 8, [], "O"),
        ("61.2", "165", "female", 33, [], "AB"),
        ("95", "160", "female", 71, ["cardiac_insufficiency"], "A"),
        ("54", "150", "female", 45, ["estrogen_use"], "O"),
        ("140", "190", "male", 62, ["thrombosis", "renal_impairment"], "unknown"),
        ("12", "88", "female", 2, [], "O"),
    ]
    regimens = [  # total g/kg, daily mg/kg, days, cycles, interval
        ("2", None, 5, 6, 28),
        ("2", None, 2, 3, 21),
        (None, "400", 5, 4, 28),
        (None, "1000", 2, 6, 28),
        ("3", None, 3, 1, 28),
        ("2", None, 1, 1, 28),
    ]
    slugs = list(PRODUCTS)
    indication_slugs = list(INDICATIONS)
    bases = ["auto", "auto", "auto", "actual", "ideal", "adjusted"]
    built = []
    for index in range(50):
        weight, height, sex, age, risks, blood = patients[index % len(patients)]
        total, daily, days, cycles, interval = regimens[index % len(regimens)]
        built.append(
            PlanRequest.model_validate(
                {
                    "patient": PatientFacts.model_validate(
                        {
                            "weight_kg": Decimal(weight),
                            "height_cm": Decimal(height),
                            "sex": sex,
                            "age_years": age,
                            "blood_group": blood,
                            "risk_factors": risks,
                        }
                    ),
                    "product": product(slugs[index % len(slugs)]),
                    "indication": indication(indication_slugs[index % len(indication_slugs)]),
                    "regimen": Regimen(
                        total_dose_g_per_kg=None if total is None else Decimal(total),
                        daily_dose_mg_per_kg=None if daily is None else Decimal(daily),
                        days_per_cycle=days,
                        cycles=cycles,
                        cycle_interval_days=interval,
                        start_date=date(2027, 1, 4),
                    ),
                    "dosing_weight_basis": bases[index % len(bases)],
                    "rate_protocol": "label" if index % 3 == 0 else "protocol",
                    "target_rate_ml_per_h": 150 if index % 4 == 0 else 200,
                    "concomitant_immunosuppressant": "rituximab" if index % 2 else None,
                }
            )
        )
    return built


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="timed passes over the requests")
    args = parser.parse_args()

    batch = requests()
    for request in batch * 5:  # warm-up: caches, imports, branch predictors
        compute_plan(request)

    samples_us: list[float] = []
    started = time.perf_counter()
    for _ in range(args.rounds):
        for request in batch:
            begin = time.perf_counter()
            compute_plan(request)
            samples_us.append((time.perf_counter() - begin) * 1e6)
    elapsed_s = time.perf_counter() - started

    median_us = statistics.median(samples_us)
    p95_us = statistics.quantiles(samples_us, n=20)[-1]
    print(f"Python {platform.python_version()} ({platform.python_implementation()})")
    print(f"{len(batch)} requests x {args.rounds} rounds = {len(samples_us)} plans")
    print(f"median {median_us:.1f} µs per plan, p95 {p95_us:.1f} µs")
    print(f"{len(samples_us) / elapsed_s:,.0f} plans/s on one core")
    verdict = "OK" if median_us < TARGET_MEDIAN_US else "SLOWER THAN TARGET"
    print(f"target median < {TARGET_MEDIAN_US} µs: {verdict}")


if __name__ == "__main__":
    main()
