"""Safety finding codes, severities, messages and their order (docs/clinical-rules.md 3.8).

Severities: ``stop`` (the order cannot be signed), ``override`` (signing needs a reason), ``warn``.
Findings are listed stop, override, warn, then by code alphabetically; each code at most once.

Risk groups (docs/clinical-rules.md 3.8): renal = renal_impairment, renal_failure, diabetes,
dehydration, sepsis, nephrotoxic_drugs, or age ≥ 65; thrombosis = cardiac_disease,
cardiac_insufficiency, stroke, myocardial_infarction, thrombosis, hypercoagulable,
limited_mobility, estrogen_use, indwelling_catheter, or age ≥ 65.
An age outside 0-130 (INVALID_INPUT) does not count.

When each code is raised, as implemented (rules.py decides; the messages are built here):
- INVALID_INPUT (stop): one finding listing every problem (see plan.py).
- MAX_DOSE_PER_28_DAYS (stop): most infusion days in any 28 days * rounded daily dose
  > max_g_per_kg_per_28_days * dosing weight.
- MAX_DAILY_DOSE (stop): rounded daily dose > max_daily_g_per_kg * dosing weight.
- RATE_ABOVE_MAXIMUM (stop): target rate above the maximum (policy, never above 200 mL/h); the
  plan is still computed at the cap.
- IGA_DEFICIENCY_WITH_ANTIBODIES (stop) / IGA_DEFICIENCY (override): IgA status
  ``deficient_with_antibodies`` / ``deficient`` and a product that is not low-IgA.
- SUCROSE_RENAL_RISK (stop): product contains sucrose and a renal risk.
- RENAL_RISK / THROMBOSIS_RISK (override): any renal / thrombosis risk.
- FLUID_OVERLOAD_RISK (override): cardiac_insufficiency or renal_failure and concentration < 10 %.
- ASEPTIC_MENINGITIS_RISK (warn): migraine.
- HEMOLYSIS_RISK (warn): blood group A, B or AB and cycle dose as ordered ≥ 2 g/kg.
- NO_CONCOMITANT_IMMUNOSUPPRESSANT (warn): indication category "Autoimmune mucocutaneous
  blistering diseases" or "Autoimmune connective tissue disorders" and no (or a blank)
  concomitant immunosuppressant.
- WEIGHT_OUTDATED (override): weight date and evaluation date both known and more than 30 days
  apart.
- CYCLE_INTERVAL_UNUSUAL (warn): more than one cycle and an interval outside 14-28 days.
- DOSING_WEIGHT_OVERRIDDEN (warn): an explicit basis other than ``auto``.
- NO_AUTHORIZATION (warn): only when the caller says explicitly that no authorization covers the
  order (``authorization_covered is False``).
- PREGNANCY (warn): pregnant.
- MALTOSE_GLUCOSE_INTERFERENCE (warn): maltose among the product's stabilizers and diabetes.
- CONCURRENT_IVIG_ORDER (override): another open order of the patient has a day within 27 days
  of one of this order's days (both in one 28-day window; docs/clinical-rules.md 3.9).
- WEIGHT_CHANGED (override): |latest weight - weight the signed plan used| >= 10 % of the
  latter (docs/clinical-rules.md 3.9).
- PREMEDICATION_DOSE_HIGH (override): a child (age < 18) with a premedication line above its
  drug's children's maximum per kg of actual weight (docs/clinical-rules.md 3.5).
With the patient's calendar (docs/clinical-rules.md 3.9) the two dose maxima are judged on the
grams of every order per calendar day; see rules.py and calendar.py.

The rules themselves (when each code is raised) are the functions of rules.py.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Final

from ivig.engine.formatting import format_decimal
from ivig.engine.models import Finding, Severity

INVALID_INPUT: Final = "INVALID_INPUT"
MAX_DOSE_PER_28_DAYS: Final = "MAX_DOSE_PER_28_DAYS"
MAX_DAILY_DOSE: Final = "MAX_DAILY_DOSE"
RATE_ABOVE_MAXIMUM: Final = "RATE_ABOVE_MAXIMUM"
IGA_DEFICIENCY_WITH_ANTIBODIES: Final = "IGA_DEFICIENCY_WITH_ANTIBODIES"
IGA_DEFICIENCY: Final = "IGA_DEFICIENCY"
SUCROSE_RENAL_RISK: Final = "SUCROSE_RENAL_RISK"
RENAL_RISK: Final = "RENAL_RISK"
THROMBOSIS_RISK: Final = "THROMBOSIS_RISK"
FLUID_OVERLOAD_RISK: Final = "FLUID_OVERLOAD_RISK"
ASEPTIC_MENINGITIS_RISK: Final = "ASEPTIC_MENINGITIS_RISK"
HEMOLYSIS_RISK: Final = "HEMOLYSIS_RISK"
NO_CONCOMITANT_IMMUNOSUPPRESSANT: Final = "NO_CONCOMITANT_IMMUNOSUPPRESSANT"
WEIGHT_OUTDATED: Final = "WEIGHT_OUTDATED"
CYCLE_INTERVAL_UNUSUAL: Final = "CYCLE_INTERVAL_UNUSUAL"
DOSING_WEIGHT_OVERRIDDEN: Final = "DOSING_WEIGHT_OVERRIDDEN"
NO_AUTHORIZATION: Final = "NO_AUTHORIZATION"
PREGNANCY: Final = "PREGNANCY"
MALTOSE_GLUCOSE_INTERFERENCE: Final = "MALTOSE_GLUCOSE_INTERFERENCE"
CONCURRENT_IVIG_ORDER: Final = "CONCURRENT_IVIG_ORDER"
WEIGHT_CHANGED: Final = "WEIGHT_CHANGED"
# From laboratory results and earlier reactions (docs/clinical-rules.md 3.8.2, 3.8.3).
CREATININE_DUE: Final = "CREATININE_DUE"
HEMOLYSIS_SUSPECTED: Final = "HEMOLYSIS_SUSPECTED"
IGA_STATUS_CHECK: Final = "IGA_STATUS_CHECK"
BLOOD_GROUP_CHECK: Final = "BLOOD_GROUP_CHECK"
PRIOR_INFUSION_REACTION: Final = "PRIOR_INFUSION_REACTION"
# docs/clinical-rules.md 3.5
PREMEDICATION_DOSE_HIGH: Final = "PREMEDICATION_DOSE_HIGH"

# Typographic signs for messages (escaped: ruff flags the literal characters as confusable).
TIMES: Final = "\u00d7"
RANGE_DASH: Final = "\u2013"

SEVERITY_BY_CODE: Final[dict[str, Severity]] = {
    INVALID_INPUT: "stop",
    MAX_DOSE_PER_28_DAYS: "stop",
    MAX_DAILY_DOSE: "stop",
    RATE_ABOVE_MAXIMUM: "stop",
    IGA_DEFICIENCY_WITH_ANTIBODIES: "stop",
    IGA_DEFICIENCY: "override",
    SUCROSE_RENAL_RISK: "stop",
    RENAL_RISK: "override",
    THROMBOSIS_RISK: "override",
    FLUID_OVERLOAD_RISK: "override",
    ASEPTIC_MENINGITIS_RISK: "warn",
    HEMOLYSIS_RISK: "warn",
    NO_CONCOMITANT_IMMUNOSUPPRESSANT: "warn",
    WEIGHT_OUTDATED: "override",
    CYCLE_INTERVAL_UNUSUAL: "warn",
    DOSING_WEIGHT_OVERRIDDEN: "warn",
    NO_AUTHORIZATION: "warn",
    PREGNANCY: "warn",
    MALTOSE_GLUCOSE_INTERFERENCE: "warn",
    CONCURRENT_IVIG_ORDER: "override",
    WEIGHT_CHANGED: "override",
    CREATININE_DUE: "override",
    HEMOLYSIS_SUSPECTED: "stop",
    IGA_STATUS_CHECK: "warn",
    BLOOD_GROUP_CHECK: "warn",
    PRIOR_INFUSION_REACTION: "override",
    PREMEDICATION_DOSE_HIGH: "override",
}
# Each code in plain words for people (docs/clinical-rules.md 3.8); pages show the title first
# and the code as secondary text.
FINDING_TITLES: Final[dict[str, str]] = {
    INVALID_INPUT: "The order is incomplete or invalid",
    MAX_DOSE_PER_28_DAYS: "Above the 28-day maximum dose",
    MAX_DAILY_DOSE: "Above the maximum daily dose",
    RATE_ABOVE_MAXIMUM: "Infusion rate above the maximum",
    IGA_DEFICIENCY_WITH_ANTIBODIES: "IgA deficiency with anti-IgA antibodies",
    IGA_DEFICIENCY: "IgA deficiency",
    SUCROSE_RENAL_RISK: "Sucrose-containing product with a renal risk",
    RENAL_RISK: "Renal risk",
    THROMBOSIS_RISK: "Thrombosis risk",
    FLUID_OVERLOAD_RISK: "Fluid overload risk",
    ASEPTIC_MENINGITIS_RISK: "Aseptic meningitis risk",
    HEMOLYSIS_RISK: "Hemolysis risk",
    NO_CONCOMITANT_IMMUNOSUPPRESSANT: "No concomitant immunosuppressant",
    WEIGHT_OUTDATED: "Weight out of date",
    CYCLE_INTERVAL_UNUSUAL: "Unusual interval between cycles",
    DOSING_WEIGHT_OVERRIDDEN: "Dosing weight chosen by hand",
    NO_AUTHORIZATION: "No insurance authorization",
    PREGNANCY: "Pregnancy",
    MALTOSE_GLUCOSE_INTERFERENCE: "Maltose: glucose meter readings falsely high",
    CONCURRENT_IVIG_ORDER: "Another IVIg order at the same time",
    WEIGHT_CHANGED: "Weight changed since signing",
    CREATININE_DUE: "Creatinine check due",
    HEMOLYSIS_SUSPECTED: "Hemolysis suspected",
    IGA_STATUS_CHECK: "IgA status to check",
    BLOOD_GROUP_CHECK: "Blood group to check",
    PRIOR_INFUSION_REACTION: "Reaction on an earlier infusion",
    PREMEDICATION_DOSE_HIGH: "Premedication dose high for a child",
}
SEVERITY_ORDER: Final[dict[Severity, int]] = {"stop": 0, "override": 1, "warn": 2}

RENAL_RISK_FACTORS: Final = frozenset(
    {"renal_impairment", "renal_failure", "diabetes", "dehydration", "sepsis", "nephrotoxic_drugs"}
)
THROMBOSIS_RISK_FACTORS: Final = frozenset(
    {
        "cardiac_disease",
        "cardiac_insufficiency",
        "stroke",
        "myocardial_infarction",
        "thrombosis",
        "hypercoagulable",
        "limited_mobility",
        "estrogen_use",
        "indwelling_catheter",
    }
)
FLUID_OVERLOAD_RISK_FACTORS: Final = frozenset({"cardiac_insufficiency", "renal_failure"})
RISK_MIN_AGE_YEARS: Final = 65
FLUID_OVERLOAD_BELOW_CONCENTRATION_PCT: Final = Decimal(10)
HEMOLYSIS_BLOOD_GROUPS: Final = frozenset({"A", "B", "AB"})
HEMOLYSIS_MIN_CYCLE_DOSE_G_PER_KG: Final = Decimal(2)
IMMUNOSUPPRESSANT_EXPECTED_CATEGORIES: Final = frozenset(
    {"Autoimmune mucocutaneous blistering diseases", "Autoimmune connective tissue disorders"}
)
WEIGHT_OUTDATED_AFTER_DAYS: Final = 30
WEIGHT_CHANGED_FRACTION: Final = Decimal("0.10")
PERCENT_DISPLAY_QUANTUM: Final = Decimal("0.1")
USUAL_CYCLE_INTERVAL_MIN_DAYS: Final = 14
USUAL_CYCLE_INTERVAL_MAX_DAYS: Final = 28
# docs/clinical-rules.md 3.8.2
RENAL_EGFR_BELOW_ML_MIN_173M2: Final = Decimal(60)
CREATININE_DUE_AFTER_DAYS: Final = 30
HEMOLYSIS_DROP_G_DL: Final = Decimal(2)
HEMOLYSIS_WINDOW_DAYS: Final = 14


def finding(code: str, message: str) -> Finding:
    return Finding(code=code, severity=SEVERITY_BY_CODE[code], message=message)


def ordered(findings: Iterable[Finding]) -> list[Finding]:
    """Stop, override, warn, then code; the first finding of a code wins (at most once each)."""
    unique: dict[str, Finding] = {}
    for item in findings:
        unique.setdefault(item.code, item)
    return sorted(unique.values(), key=lambda item: (SEVERITY_ORDER[item.severity], item.code))


def _join(words: Iterable[str]) -> str:
    items = list(words)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def day_words(day: date) -> str:
    """A date as people read it in a message: "2 Dec 2026"."""
    return f"{day.day} {day:%b %Y}"


def egfr_words(egfr_ml_min_173m2: Decimal, egfr_on: date | None) -> str:
    """Why an eGFR counts as renal impairment: "from eGFR 48 on 2 Dec 2026"."""
    on = "" if egfr_on is None else f" on {day_words(egfr_on)}"
    return f"from eGFR {format_decimal(egfr_ml_min_173m2)}{on}"


def _factor_words(factors: Iterable[str], age_years: int | None, egfr: str | None = None) -> str:
    words = [factor.replace("_", " ") for factor in sorted(set(factors))]
    if age_years is not None and age_years >= RISK_MIN_AGE_YEARS:
        words.append(f"age {age_years}")
    if egfr:
        words.append(egfr)
    return _join(words)


# --- messages ---------------------------------------------------------------------------------


def invalid_input(problems: Iterable[str]) -> Finding:
    return finding(INVALID_INPUT, "Cannot plan: " + "; ".join(problems) + ".")


def max_dose_per_28_days(
    *,
    days_in_window: int,
    daily_dose_g: Decimal,
    cap_g: Decimal,
    max_g_per_kg_per_28_days: Decimal,
    dosing_weight_kg: Decimal,
) -> Finding:
    window_g = daily_dose_g * days_in_window
    return finding(
        MAX_DOSE_PER_28_DAYS,
        f"{days_in_window} infusion days of {format_decimal(daily_dose_g)} g fall within 28 days "
        f"({format_decimal(window_g)} g), above the indication's 28-day maximum of "
        f"{format_decimal(cap_g)} g ({format_decimal(max_g_per_kg_per_28_days)} g/kg {TIMES} "
        f"{format_decimal(dosing_weight_kg)} kg).",
    )


def max_daily_dose(
    *,
    daily_dose_g: Decimal,
    cap_g: Decimal,
    max_daily_g_per_kg: Decimal,
    dosing_weight_kg: Decimal,
) -> Finding:
    return finding(
        MAX_DAILY_DOSE,
        f"Daily dose {format_decimal(daily_dose_g)} g is above the indication's maximum of "
        f"{format_decimal(cap_g)} g ({format_decimal(max_daily_g_per_kg)} g/kg {TIMES} "
        f"{format_decimal(dosing_weight_kg)} kg).",
    )


def rate_above_maximum(target_rate_ml_per_h: int, maximum_ml_per_h: int) -> Finding:
    return finding(
        RATE_ABOVE_MAXIMUM,
        f"Target rate {target_rate_ml_per_h} mL/h is above the maximum of {maximum_ml_per_h} "
        f"mL/h; the plan never runs faster than {maximum_ml_per_h} mL/h.",
    )


def iga_deficiency_with_antibodies(brand_name: str) -> Finding:
    return finding(
        IGA_DEFICIENCY_WITH_ANTIBODIES,
        f"IgA deficiency with anti-IgA antibodies: {brand_name} is not a low-IgA product "
        "(risk of anaphylaxis); choose a low-IgA product.",
    )


def iga_deficiency(brand_name: str) -> Finding:
    return finding(
        IGA_DEFICIENCY,
        f"IgA deficiency (anti-IgA antibodies unknown): {brand_name} is not a low-IgA product; "
        "check anti-IgA antibodies or choose a low-IgA product.",
    )


def sucrose_renal_risk(
    brand_name: str, factors: Iterable[str], age_years: int | None, egfr: str | None = None
) -> Finding:
    return finding(
        SUCROSE_RENAL_RISK,
        f"{brand_name} contains sucrose, linked to a disproportionate share of IVIg acute renal "
        f"failure, and the patient has a renal risk ({_factor_words(factors, age_years, egfr)}); "
        "choose a sucrose-free product.",
    )


def _at_risk_cap_note(at_risk_cap_ml_per_h: int | None, from_policy: bool = False) -> str:
    if at_risk_cap_ml_per_h is None:
        return ""
    source = (
        "the dosing policy's maximum for patients at risk, as the label gives none"
        if from_policy
        else "the label's maximum for patients at risk"
    )
    return f" The rate is capped at {at_risk_cap_ml_per_h} mL/h ({source})."


def renal_risk(
    factors: Iterable[str],
    age_years: int | None,
    at_risk_cap_ml_per_h: int | None,
    egfr: str | None = None,
    cap_from_policy: bool = False,
) -> Finding:
    return finding(
        RENAL_RISK,
        f"Renal risk ({_factor_words(factors, age_years, egfr)}): give the minimum practicable "
        "dose and infusion rate, ensure adequate hydration and check creatinine."
        + _at_risk_cap_note(at_risk_cap_ml_per_h, cap_from_policy),
    )


def thrombosis_risk(
    factors: Iterable[str],
    age_years: int | None,
    at_risk_cap_ml_per_h: int | None,
    cap_from_policy: bool = False,
) -> Finding:
    capped = _at_risk_cap_note(at_risk_cap_ml_per_h, cap_from_policy)
    return finding(
        THROMBOSIS_RISK,
        f"Thrombosis risk ({_factor_words(factors, age_years)}): give the minimum practicable "
        f"dose and infusion rate and ensure adequate hydration.{capped}",
    )


def fluid_overload_risk(
    factors: Iterable[str], brand_name: str, concentration_pct: Decimal
) -> Finding:
    return finding(
        FLUID_OVERLOAD_RISK,
        f"{_factor_words(factors, None).capitalize()} with a "
        f"{format_decimal(concentration_pct)} % product ({brand_name}): risk of fluid overload; "
        "consider a 10 % product and watch fluid balance.",
    )


def aseptic_meningitis_risk() -> Finding:
    return finding(
        ASEPTIC_MENINGITIS_RISK,
        "History of migraine: risk of aseptic meningitis, more frequent with high doses and "
        "rapid infusion; watch for moderate to severe headache.",
    )


def hemolysis_risk(blood_group: str, cycle_dose_g_per_kg: Decimal) -> Finding:
    return finding(
        HEMOLYSIS_RISK,
        f"Blood group {blood_group} with {format_decimal(cycle_dose_g_per_kg)} g/kg per cycle as "
        "ordered: risk of hemolysis; check hemoglobin.",
    )


def no_concomitant_immunosuppressant(indication_name: str) -> Finding:
    return finding(
        NO_CONCOMITANT_IMMUNOSUPPRESSANT,
        f"No concomitant cytotoxic or immunosuppressive therapy recorded for {indication_name}: "
        "risk of rebound; the protocol pairs IVIg with rituximab, cyclophosphamide, "
        "mycophenolate or azathioprine.",
    )


def weight_outdated(measured_on: date, evaluated_on: date) -> Finding:
    age_days = (evaluated_on - measured_on).days
    return finding(
        WEIGHT_OUTDATED,
        f"The latest weight is {age_days} days old (measured {measured_on.isoformat()}), more "
        f"than {WEIGHT_OUTDATED_AFTER_DAYS} days: weigh the patient again.",
    )


def cycle_interval_unusual(cycle_interval_days: int) -> Finding:
    return finding(
        CYCLE_INTERVAL_UNUSUAL,
        f"Cycles {cycle_interval_days} days apart: outside the protocol's usual "
        f"{USUAL_CYCLE_INTERVAL_MIN_DAYS}{RANGE_DASH}{USUAL_CYCLE_INTERVAL_MAX_DAYS} days.",
    )


def dosing_weight_overridden(basis: str, dosing_weight_kg: Decimal | None) -> Finding:
    weight = "" if dosing_weight_kg is None else f" ({format_decimal(dosing_weight_kg)} kg)"
    return finding(
        DOSING_WEIGHT_OVERRIDDEN,
        f"Dosing weight basis set explicitly to {basis} body weight{weight} instead of auto.",
    )


def no_authorization() -> Finding:
    return finding(
        NO_AUTHORIZATION,
        "No approved insurance authorization covers this order: sessions cannot start until one "
        "does.",
    )


def pregnancy() -> Finding:
    return finding(PREGNANCY, "Pregnant: IVIg may be used in pregnancy; note for the team.")


def maltose_glucose_interference(brand_name: str) -> Finding:
    return finding(
        MALTOSE_GLUCOSE_INTERFERENCE,
        f"{brand_name} contains maltose and the patient has diabetes: glucose meters using "
        "GDH-PQQ (glucose dehydrogenase pyrroloquinoline quinone) read falsely high with "
        "maltose-containing IVIg (the product label's boxed warning); measure blood glucose "
        "with a glucose-specific method.",
    )


def concurrent_ivig_order(order_ids: Iterable[int]) -> Finding:
    ids = sorted(set(order_ids))
    orders = _join(str(order_id) for order_id in ids)
    which = f"order {orders}" if len(ids) == 1 else f"orders {orders}"
    return finding(
        CONCURRENT_IVIG_ORDER,
        f"Another open IVIg order of the patient ({which}) has infusion days within 28 days of "
        "this order's: signing needs a reason why both are meant (e.g. a loading order).",
    )


def _percent(part: Decimal, whole: Decimal) -> str:
    ratio = part * 100 / whole
    return format_decimal(ratio.quantize(PERCENT_DISPLAY_QUANTUM, rounding=ROUND_HALF_UP))


def weight_changed(weight_kg: Decimal, signed_weight_kg: Decimal) -> Finding:
    direction = "more" if weight_kg > signed_weight_kg else "less"
    change = _percent(abs(weight_kg - signed_weight_kg), signed_weight_kg)
    return finding(
        WEIGHT_CHANGED,
        f"The latest weight, {format_decimal(weight_kg)} kg, is {change} % {direction} than the "
        f"{format_decimal(signed_weight_kg)} kg the signed plan used: the order must be revised "
        "(new version) before the next session.",
    )


def max_dose_per_28_days_on_calendar(
    *,
    first_day: date,
    last_day: date,
    window_g: Decimal,
    order_count: int,
    cap_g: Decimal,
    max_g_per_kg_per_28_days: Decimal,
    dosing_weight_kg: Decimal,
) -> Finding:
    return finding(
        MAX_DOSE_PER_28_DAYS,
        f"From {first_day.isoformat()} to {last_day.isoformat()} the patient's IVIg calendar "
        f"holds {format_decimal(window_g)} g ({_orders(order_count)}), above this order's "
        f"28-day maximum of {format_decimal(cap_g)} g "
        f"({format_decimal(max_g_per_kg_per_28_days)} g/kg {TIMES} "
        f"{format_decimal(dosing_weight_kg)} kg).",
    )


def max_daily_dose_on_calendar(
    *,
    day: date,
    day_g: Decimal,
    order_count: int,
    cap_g: Decimal,
    max_daily_g_per_kg: Decimal,
    dosing_weight_kg: Decimal,
) -> Finding:
    return finding(
        MAX_DAILY_DOSE,
        f"On {day.isoformat()} the patient's IVIg calendar holds {format_decimal(day_g)} g "
        f"({_orders(order_count)}), above this order's daily maximum of "
        f"{format_decimal(cap_g)} g ({format_decimal(max_daily_g_per_kg)} g/kg {TIMES} "
        f"{format_decimal(dosing_weight_kg)} kg).",
    )


def _orders(order_count: int) -> str:
    if order_count <= 1:
        return "this order alone"
    return f"{order_count} orders, this one included"


# --- from laboratory results and earlier reactions (docs/clinical-rules.md 3.8.2, 3.8.3) -------


def creatinine_due(creatinine_on: date | None, evaluated_on: date) -> Finding:
    last = (
        "no creatinine is recorded"
        if creatinine_on is None
        else f"the latest creatinine is from {day_words(creatinine_on)}"
    )
    return finding(
        CREATININE_DUE,
        f"Renal risk and {last}: check creatinine within {CREATININE_DUE_AFTER_DAYS} days "
        f"before the infusion (by {day_words(evaluated_on)}), or give the reason to go ahead.",
    )


def hemolysis_suspected(
    *,
    before_g_dl: Decimal,
    before_on: date,
    after_g_dl: Decimal,
    after_on: date,
    cycle_first_day: date,
    cycle_dose_g_per_kg: Decimal,
) -> Finding:
    return finding(
        HEMOLYSIS_SUSPECTED,
        f"Hemoglobin fell from {format_decimal(before_g_dl)} g/dL ({day_words(before_on)}) to "
        f"{format_decimal(after_g_dl)} g/dL ({day_words(after_on)}) after the "
        f"{format_decimal(cycle_dose_g_per_kg)} g/kg cycle that began {day_words(cycle_first_day)}"
        f": suspected hemolysis. Do not infuse; assess the patient (hemolysis work-up). The "
        f"stop lifts when a later hemoglobin is less than {format_decimal(HEMOLYSIS_DROP_G_DL)} "
        "g/dL below the pre-cycle value, or when a clinician records a response review that "
        "names this hemoglobin result with the decision to continue.",
    )


def iga_status_check(iga_status: str, iga_on: date | None) -> Finding:
    on = "" if iga_on is None else f" on {day_words(iga_on)}"
    return finding(
        IGA_STATUS_CHECK,
        f"IgA below the detection limit{on} while the recorded IgA status is {iga_status}: "
        "check anti-IgA antibodies and update the IgA status (anaphylaxis risk with products "
        "that are not low-IgA).",
    )


def blood_group_check(recorded: str, from_lab: str, abo_on: date | None) -> Finding:
    on = "" if abo_on is None else f" on {day_words(abo_on)}"
    if recorded == "unknown":
        what = "the blood group is not recorded: record it (hemolysis risk is judged on it)"
    else:
        what = f"the recorded blood group is {recorded}: check and correct the record"
    return finding(BLOOD_GROUP_CHECK, f"The laboratory's ABO group is {from_lab}{on}, but {what}.")


def prior_infusion_reaction(reactions: Iterable[tuple[date, str, str, int | None]]) -> Finding:
    """``reactions``: (day, severity, symptoms in words, rate at onset) of each unplanned one."""
    parts = []
    for day, severity, symptoms, rate in sorted(reactions):
        at = "" if rate is None else f" at {rate} mL/h"
        parts.append(f"{day_words(day)}: {severity} ({symptoms or 'no symptom listed'}){at}")
    return finding(
        PRIOR_INFUSION_REACTION,
        "Infusion reaction on an earlier session (" + "; ".join(parts) + ") has no plan yet: "
        "a clinician records one (a lower maximum rate, added premedication, or continue "
        "unchanged with a reason) before this session starts.",
    )


def premedication_dose_high(lines: Iterable[tuple[str, Decimal, str, Decimal, Decimal]]) -> Finding:
    """``lines``: (drug name, dose, unit, dose per kg rounded for display, maximum per kg)."""
    parts = [
        f"{name} {format_decimal(dose)} {unit} is {format_decimal(per_kg)} {unit}/kg, above "
        f"{format_decimal(maximum)} {unit}/kg"
        for name, dose, unit, per_kg, maximum in lines
    ]
    return finding(
        PREMEDICATION_DOSE_HIGH,
        "Premedication above the children's maximum for this child's actual weight ("
        + "; ".join(parts)
        + "): lower the dose, or give the reason for it.",
    )
