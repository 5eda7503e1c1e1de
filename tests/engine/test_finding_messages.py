# Messages are pinned verbatim, one line each, with their real multiplication sign and en dash.
# ruff: noqa: E501, RUF001
"""Every finding's words in full (docs/clinical-rules.md 3.8): the message is what the clinician
reads at signing, verification and the chair, so its text is pinned here, builder by builder,
with the code and the severity. A changed word is a changed rule text: change it here too, on
purpose.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal as D

import pytest

from ivig.engine import findings as f
from ivig.engine.models import Finding

# (builder call, code, severity, message)
CASES: list[tuple[Callable[[], Finding], str, str, str]] = [
    (
        lambda: f.invalid_input(["weight is missing", "sex is missing"]),
        "INVALID_INPUT",
        "stop",
        "Cannot plan: weight is missing; sex is missing.",
    ),
    (
        lambda: f.max_dose_per_28_days(
            days_in_window=5,
            daily_dose_g=D(30),
            cap_g=D(140),
            max_g_per_kg_per_28_days=D(2),
            dosing_weight_kg=D(70),
        ),
        "MAX_DOSE_PER_28_DAYS",
        "stop",
        "5 infusion days of 30 g fall within 28 days (150 g), above the indication's 28-day maximum of 140 g (2 g/kg × 70 kg).",
    ),
    (
        lambda: f.max_daily_dose(
            daily_dose_g=D(75), cap_g=D(70), max_daily_g_per_kg=D(1), dosing_weight_kg=D(70)
        ),
        "MAX_DAILY_DOSE",
        "stop",
        "Daily dose 75 g is above the indication's maximum of 70 g (1 g/kg × 70 kg).",
    ),
    (
        lambda: f.rate_above_maximum(250, 200),
        "RATE_ABOVE_MAXIMUM",
        "stop",
        "Target rate 250 mL/h is above the maximum of 200 mL/h; the plan never runs faster than 200 mL/h.",
    ),
    (
        lambda: f.iga_deficiency_with_antibodies("Privigen"),
        "IGA_DEFICIENCY_WITH_ANTIBODIES",
        "stop",
        "IgA deficiency with anti-IgA antibodies: Privigen is not a low-IgA product (risk of anaphylaxis); choose a low-IgA product.",
    ),
    (
        lambda: f.iga_deficiency("Privigen"),
        "IGA_DEFICIENCY",
        "override",
        "IgA deficiency (anti-IgA antibodies unknown): Privigen is not a low-IgA product; check anti-IgA antibodies or choose a low-IgA product.",
    ),
    (
        lambda: f.sucrose_renal_risk(
            "Carimune NF", ["diabetes", "renal_impairment"], 70, "from eGFR 48 on 2 Dec 2026"
        ),
        "SUCROSE_RENAL_RISK",
        "stop",
        "Carimune NF contains sucrose, linked to a disproportionate share of IVIg acute renal failure, and the patient has a renal risk (diabetes, renal impairment, age 70 and from eGFR 48 on 2 Dec 2026); choose a sucrose-free product.",
    ),
    (
        lambda: f.renal_risk(["renal_impairment"], 40, 138),
        "RENAL_RISK",
        "override",
        "Renal risk (renal impairment): give the minimum practicable dose and infusion rate, ensure adequate hydration and check creatinine. The rate is capped at 138 mL/h (the label's maximum for patients at risk).",
    ),
    (
        lambda: f.renal_risk([], 70, None, "from eGFR 48"),
        "RENAL_RISK",
        "override",
        "Renal risk (age 70 and from eGFR 48): give the minimum practicable dose and infusion rate, ensure adequate hydration and check creatinine.",
    ),
    (
        lambda: f.thrombosis_risk(["cardiac_disease", "thrombosis"], None, 84),
        "THROMBOSIS_RISK",
        "override",
        "Thrombosis risk (cardiac disease and thrombosis): give the minimum practicable dose and infusion rate and ensure adequate hydration. The rate is capped at 84 mL/h (the label's maximum for patients at risk).",
    ),
    (
        lambda: f.thrombosis_risk(["thrombosis"], 64, None),
        "THROMBOSIS_RISK",
        "override",
        "Thrombosis risk (thrombosis): give the minimum practicable dose and infusion rate and ensure adequate hydration.",
    ),
    (
        lambda: f.fluid_overload_risk(["renal_failure"], "Octagam 5%", D(5)),
        "FLUID_OVERLOAD_RISK",
        "override",
        "Renal failure with a 5 % product (Octagam 5%): risk of fluid overload; consider a 10 % product and watch fluid balance.",
    ),
    (
        lambda: f.aseptic_meningitis_risk(),
        "ASEPTIC_MENINGITIS_RISK",
        "warn",
        "History of migraine: risk of aseptic meningitis, more frequent with high doses and rapid infusion; watch for moderate to severe headache.",
    ),
    (
        lambda: f.hemolysis_risk("A", D("2.5")),
        "HEMOLYSIS_RISK",
        "warn",
        "Blood group A with 2.5 g/kg per cycle as ordered: risk of hemolysis; check hemoglobin.",
    ),
    (
        lambda: f.no_concomitant_immunosuppressant("Pemphigus vulgaris"),
        "NO_CONCOMITANT_IMMUNOSUPPRESSANT",
        "warn",
        "No concomitant cytotoxic or immunosuppressive therapy recorded for Pemphigus vulgaris: risk of rebound; the protocol pairs IVIg with rituximab, cyclophosphamide, mycophenolate or azathioprine.",
    ),
    (
        lambda: f.weight_outdated(date(2026, 9, 1), date(2026, 12, 2)),
        "WEIGHT_OUTDATED",
        "override",
        "The latest weight is 92 days old (measured 2026-09-01), more than 30 days: weigh the patient again.",
    ),
    (
        lambda: f.cycle_interval_unusual(13),
        "CYCLE_INTERVAL_UNUSUAL",
        "warn",
        "Cycles 13 days apart: outside the protocol's usual 14–28 days.",
    ),
    (
        lambda: f.dosing_weight_overridden("ideal", D("56.9")),
        "DOSING_WEIGHT_OVERRIDDEN",
        "warn",
        "Dosing weight basis set explicitly to ideal body weight (56.9 kg) instead of auto.",
    ),
    (
        lambda: f.dosing_weight_overridden("actual", None),
        "DOSING_WEIGHT_OVERRIDDEN",
        "warn",
        "Dosing weight basis set explicitly to actual body weight instead of auto.",
    ),
    (
        lambda: f.no_authorization(),
        "NO_AUTHORIZATION",
        "warn",
        "No approved insurance authorization covers this order: sessions cannot start until one does.",
    ),
    (
        lambda: f.pregnancy(),
        "PREGNANCY",
        "warn",
        "Pregnant: IVIg may be used in pregnancy; note for the team.",
    ),
    (
        lambda: f.maltose_glucose_interference("Octagam 10%"),
        "MALTOSE_GLUCOSE_INTERFERENCE",
        "warn",
        "Octagam 10% contains maltose and the patient has diabetes: glucose meters using GDH-PQQ (glucose dehydrogenase pyrroloquinoline quinone) read falsely high with maltose-containing IVIg (the product label's boxed warning); measure blood glucose with a glucose-specific method.",
    ),
    (
        lambda: f.concurrent_ivig_order([12, 7]),
        "CONCURRENT_IVIG_ORDER",
        "override",
        "Another open IVIg order of the patient (orders 7 and 12) has infusion days within 28 days of this order's: signing needs a reason why both are meant (e.g. a loading order).",
    ),
    (
        lambda: f.weight_changed(D(77), D(70)),
        "WEIGHT_CHANGED",
        "override",
        "The latest weight, 77 kg, is 10 % more than the 70 kg the signed plan used: the order must be revised (new version) before the next session.",
    ),
    (
        lambda: f.weight_changed(D("64.75"), D(70)),
        "WEIGHT_CHANGED",
        "override",
        "The latest weight, 64.75 kg, is 7.5 % less than the 70 kg the signed plan used: the order must be revised (new version) before the next session.",
    ),
    (
        lambda: f.max_dose_per_28_days_on_calendar(
            first_day=date(2027, 1, 4),
            last_day=date(2027, 1, 31),
            window_g=D(160),
            order_count=2,
            cap_g=D(140),
            max_g_per_kg_per_28_days=D(2),
            dosing_weight_kg=D(70),
        ),
        "MAX_DOSE_PER_28_DAYS",
        "stop",
        "From 2027-01-04 to 2027-01-31 the patient's IVIg calendar holds 160 g (2 orders, this one included), above this order's 28-day maximum of 140 g (2 g/kg × 70 kg).",
    ),
    (
        lambda: f.max_daily_dose_on_calendar(
            day=date(2027, 1, 4),
            day_g=D(80),
            order_count=1,
            cap_g=D(70),
            max_daily_g_per_kg=D(1),
            dosing_weight_kg=D(70),
        ),
        "MAX_DAILY_DOSE",
        "stop",
        "On 2027-01-04 the patient's IVIg calendar holds 80 g (this order alone), above this order's daily maximum of 70 g (1 g/kg × 70 kg).",
    ),
    (
        lambda: f.creatinine_due(date(2026, 10, 1), date(2026, 12, 2)),
        "CREATININE_DUE",
        "override",
        "Renal risk and the latest creatinine is from 1 Oct 2026: check creatinine within 30 days before the infusion (by 2 Dec 2026), or give the reason to go ahead.",
    ),
    (
        lambda: f.creatinine_due(None, date(2026, 12, 2)),
        "CREATININE_DUE",
        "override",
        "Renal risk and no creatinine is recorded: check creatinine within 30 days before the infusion (by 2 Dec 2026), or give the reason to go ahead.",
    ),
    (
        lambda: f.hemolysis_suspected(
            before_g_dl=D("13.5"),
            before_on=date(2026, 11, 30),
            after_g_dl=D("11.2"),
            after_on=date(2026, 12, 9),
            cycle_first_day=date(2026, 12, 1),
            cycle_dose_g_per_kg=D(2),
        ),
        "HEMOLYSIS_SUSPECTED",
        "stop",
        "Hemoglobin fell from 13.5 g/dL (30 Nov 2026) to 11.2 g/dL (9 Dec 2026) after the 2 g/kg cycle that began 1 Dec 2026: suspected hemolysis. Do not infuse; assess the patient (hemolysis work-up). The stop lifts when a later hemoglobin is less than 2 g/dL below the pre-cycle value, or when a clinician records a response review that names this hemoglobin result with the decision to continue.",
    ),
    (
        lambda: f.weight_changed(D("88.04"), D(80)),
        "WEIGHT_CHANGED",
        "override",
        "The latest weight, 88.04 kg, is 10.1 % more than the 80 kg the signed plan used: the order must be revised (new version) before the next session.",
    ),
    (
        lambda: f.thrombosis_risk(["thrombosis"], 65, None),
        "THROMBOSIS_RISK",
        "override",
        "Thrombosis risk (thrombosis and age 65): give the minimum practicable dose and infusion rate and ensure adequate hydration.",
    ),
    (
        lambda: f.renal_risk(["diabetes", "renal_impairment", "sepsis"], 64, None),
        "RENAL_RISK",
        "override",
        "Renal risk (diabetes, renal impairment and sepsis): give the minimum practicable dose and infusion rate, ensure adequate hydration and check creatinine.",
    ),
    (
        lambda: f.premedication_dose_high([("Diphenhydramine", D(25), "mg", D("2.08"), D("1.25"))]),
        "PREMEDICATION_DOSE_HIGH",
        "override",
        "Premedication above the children's maximum for this child's actual weight (Diphenhydramine 25 mg is 2.08 mg/kg, above 1.25 mg/kg): lower the dose, or give the reason for it.",
    ),
]


@pytest.mark.parametrize(("build", "code", "severity", "message"), CASES)
def test_finding_words(
    build: Callable[[], Finding], code: str, severity: str, message: str
) -> None:
    finding = build()
    assert (finding.code, finding.severity, finding.message) == (code, severity, message)
