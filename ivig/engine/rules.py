"""The safety findings as a table of rules (docs/clinical-rules.md 3.8, 3.9).

One small function per finding code, named after the code in lower case (``SUCROSE_RENAL_RISK``
is ``sucrose_renal_risk``): it takes the plan's ``PlanFacts`` (derived values computed once by
the plan) and returns its ``Finding`` or None. Its message is built in ``findings.py`` under the
same name; its severity is ``SEVERITY_BY_CODE[code]``. ``RULES`` is the ordered table that
``compute_plan`` evaluates in full (INVALID_INPUT is the plan's own validation, not a rule).

Rules marked ``reads_product`` depend on the product; they are the ``PRODUCT_RULES`` and read
nothing but the patient's facts and the product, so ``product_findings(patient, product)`` can
run exactly them without a plan (the formulary's "which products suit this patient" list).
A new finding is one function here, one message in ``findings.py`` and one line in ``RULES``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Final

from ivig.engine import findings as f
from ivig.engine.calendar import (
    OwnDay,
    concurrent_order_ids,
    heaviest_own_day,
    heaviest_window,
)
from ivig.engine.limits import valid_age_years
from ivig.engine.models import (
    CycleFacts,
    DosingWeightBasisChoice,
    Finding,
    IndicationFacts,
    LabValue,
    PatientCalendar,
    PatientFacts,
    PremedicationLine,
    ProductFacts,
    ReactionFacts,
    Severity,
)
from ivig.engine.premedication import (
    is_child,
    lines_above_child_maximum,
    mg_per_kg_for_display,
)
from ivig.engine.schedule import max_infusion_days_in_window

# --- the facts every rule reads ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PlanFacts:
    """What the plan knows, derived once. None = unknown (missing, or invalid: INVALID_INPUT)."""

    patient: PatientFacts
    product: ProductFacts | None
    age_years: int | None  # None outside 0-130 years
    renal_factors: tuple[str, ...]  # the patient's renal risk factors, sorted
    thrombosis_factors: tuple[str, ...]
    fluid_overload_factors: tuple[str, ...]
    renal_risk: bool  # a renal factor or age >= 65
    thrombosis_risk: bool
    # Everything below is known only to a plan (product_findings leaves the defaults).
    indication: IndicationFacts | None = None
    dosing_weight_basis_choice: DosingWeightBasisChoice = "auto"
    dosing_weight_kg: Decimal | None = None
    daily_dose_g: Decimal | None = None  # after rounding to vials
    ordered_cycle_dose_g_per_kg: Decimal | None = None  # as ordered, before rounding
    cycles: int | None = None
    cycle_interval_days: int | None = None
    planned_days: tuple[date, ...] | None = None  # every infusion day of the course, in order
    target_rate_ml_per_h: int | None = None
    maximum_rate_ml_per_h: int = 200  # the policy's, never above 200 mL/h
    at_risk_cap_ml_per_h: int | None = None  # the at-risk cap where it binds the plan
    at_risk_cap_from_policy: bool = False  # that cap is the policy's default (rules v3)
    concomitant_immunosuppressant: str | None = None
    evaluated_on: date | None = None
    authorization_covered: bool | None = None
    # The patient's calendar (docs/clinical-rules.md 3.9); None = the course's own calendar only.
    calendar: PatientCalendar | None = None
    own_days: tuple[OwnDay, ...] | None = None  # this order's days on it (None: no calendar)
    weight_kg: Decimal | None = None  # the latest weight, when valid (1-350 kg)
    signed_weight_kg: Decimal | None = None  # the actual weight the signed plan used
    # docs/clinical-rules.md 3.8.2: "from eGFR 48 on 2 Dec 2026" when the latest eGFR is under
    # 60 mL/min/1.73 m² (it then counts as renal impairment in ``renal_risk``).
    renal_egfr_words: str | None = None
    session_on: date | None = None  # the session's day, for a session's plan only
    # docs/clinical-rules.md 3.8.3: reactions on earlier sessions (sessions only).
    prior_reactions: tuple[ReactionFacts, ...] = ()
    # docs/clinical-rules.md 3.5: the order's premedication lines.
    premedication: tuple[PremedicationLine, ...] = ()


def base_facts(patient: PatientFacts, product: ProductFacts | None) -> PlanFacts:
    """The facts the product rules need: the patient's risk groups (docs/clinical-rules.md 3.8)
    and the product. The plan adds the rest with ``dataclasses.replace``."""
    age_years = valid_age_years(patient.age_years)
    factors = set(patient.risk_factors)
    aged = age_years is not None and age_years >= f.RISK_MIN_AGE_YEARS
    renal_factors = tuple(sorted(f.RENAL_RISK_FACTORS & factors))
    thrombosis_factors = tuple(sorted(f.THROMBOSIS_RISK_FACTORS & factors))
    egfr = patient.latest_egfr_ml_min_173m2
    egfr_words = (
        f.egfr_words(egfr, patient.egfr_on)
        if egfr is not None and egfr < f.RENAL_EGFR_BELOW_ML_MIN_173M2
        else None
    )
    return PlanFacts(
        patient=patient,
        product=product,
        age_years=age_years,
        renal_factors=renal_factors,
        thrombosis_factors=thrombosis_factors,
        fluid_overload_factors=tuple(sorted(f.FLUID_OVERLOAD_RISK_FACTORS & factors)),
        renal_risk=bool(renal_factors) or aged or egfr_words is not None,
        thrombosis_risk=bool(thrombosis_factors) or aged,
        renal_egfr_words=egfr_words,
    )


# --- the rules, in the order of the table -----------------------------------------------------


def max_dose_per_28_days(facts: PlanFacts) -> Finding | None:
    """stop: more than the indication's 28-day maximum * dosing weight in 28 consecutive days,
    after rounding: on the patient's calendar when given (every order's grams in any window
    holding a day of this order), else on the course's own calendar (most infusion days in a
    window * the rounded daily dose)."""
    indication, dosing_weight_kg = facts.indication, facts.dosing_weight_kg
    if facts.daily_dose_g is None or indication is None or dosing_weight_kg is None:
        return None
    cap_g = indication.max_g_per_kg_per_28_days * dosing_weight_kg
    if facts.calendar is not None:
        if facts.own_days is None:
            return None
        window = heaviest_window(facts.own_days, facts.calendar.other_days)
        if window is None or window.dose_g <= cap_g:
            return None
        return f.max_dose_per_28_days_on_calendar(
            first_day=window.first_day,
            last_day=window.last_day,
            window_g=window.dose_g,
            order_count=window.order_count,
            cap_g=cap_g,
            max_g_per_kg_per_28_days=indication.max_g_per_kg_per_28_days,
            dosing_weight_kg=dosing_weight_kg,
        )
    if facts.planned_days is None:
        return None
    most_days = max_infusion_days_in_window(facts.planned_days)
    if facts.daily_dose_g * most_days <= cap_g:
        return None
    return f.max_dose_per_28_days(
        days_in_window=most_days,
        daily_dose_g=facts.daily_dose_g,
        cap_g=cap_g,
        max_g_per_kg_per_28_days=indication.max_g_per_kg_per_28_days,
        dosing_weight_kg=dosing_weight_kg,
    )


def max_daily_dose(facts: PlanFacts) -> Finding | None:
    """stop: above the indication's daily maximum * dosing weight, after rounding: on the
    patient's calendar when given (every order's grams on a day of this order), else the
    rounded daily dose."""
    indication, dosing_weight_kg = facts.indication, facts.dosing_weight_kg
    if facts.daily_dose_g is None or indication is None or dosing_weight_kg is None:
        return None
    cap_g = indication.max_daily_g_per_kg * dosing_weight_kg
    if facts.calendar is not None:
        if facts.own_days is None:
            return None
        heaviest = heaviest_own_day(facts.own_days, facts.calendar.other_days)
        if heaviest is None or heaviest.dose_g <= cap_g:
            return None
        return f.max_daily_dose_on_calendar(
            day=heaviest.day,
            day_g=heaviest.dose_g,
            order_count=heaviest.order_count,
            cap_g=cap_g,
            max_daily_g_per_kg=indication.max_daily_g_per_kg,
            dosing_weight_kg=dosing_weight_kg,
        )
    if facts.daily_dose_g <= cap_g:
        return None
    return f.max_daily_dose(
        daily_dose_g=facts.daily_dose_g,
        cap_g=cap_g,
        max_daily_g_per_kg=indication.max_daily_g_per_kg,
        dosing_weight_kg=dosing_weight_kg,
    )


def rate_above_maximum(facts: PlanFacts) -> Finding | None:
    """stop: a requested target rate above the maximum (the plan itself runs at the cap)."""
    target = facts.target_rate_ml_per_h
    if target is None or target <= facts.maximum_rate_ml_per_h:
        return None
    return f.rate_above_maximum(target, facts.maximum_rate_ml_per_h)


def iga_deficiency_with_antibodies(facts: PlanFacts) -> Finding | None:
    """stop: IgA deficient with anti-IgA antibodies and a product that is not low-IgA."""
    product = facts.product
    if product is None or product.low_iga:
        return None
    if facts.patient.iga_status != "deficient_with_antibodies":
        return None
    return f.iga_deficiency_with_antibodies(product.brand_name)


def iga_deficiency(facts: PlanFacts) -> Finding | None:
    """override: IgA deficient (antibodies unknown) and a product that is not low-IgA."""
    product = facts.product
    if product is None or product.low_iga or facts.patient.iga_status != "deficient":
        return None
    return f.iga_deficiency(product.brand_name)


def sucrose_renal_risk(facts: PlanFacts) -> Finding | None:
    """stop: a sucrose-containing product and any renal risk (a factor or age >= 65)."""
    product = facts.product
    if product is None or not product.contains_sucrose or not facts.renal_risk:
        return None
    return f.sucrose_renal_risk(
        product.brand_name, facts.renal_factors, facts.age_years, facts.renal_egfr_words
    )


def renal_risk(facts: PlanFacts) -> Finding | None:
    """override: any renal risk factor, age >= 65, or a latest eGFR under 60 mL/min/1.73 m²
    (docs/clinical-rules.md 3.8.2)."""
    if not facts.renal_risk:
        return None
    return f.renal_risk(
        facts.renal_factors,
        facts.age_years,
        facts.at_risk_cap_ml_per_h,
        facts.renal_egfr_words,
        facts.at_risk_cap_from_policy,
    )


def thrombosis_risk(facts: PlanFacts) -> Finding | None:
    """override: any thrombosis risk factor or age >= 65."""
    if not facts.thrombosis_risk:
        return None
    return f.thrombosis_risk(
        facts.thrombosis_factors,
        facts.age_years,
        facts.at_risk_cap_ml_per_h,
        facts.at_risk_cap_from_policy,
    )


def fluid_overload_risk(facts: PlanFacts) -> Finding | None:
    """override: cardiac insufficiency or renal failure and a product below 10 %."""
    product = facts.product
    if (
        product is None
        or not facts.fluid_overload_factors
        or product.concentration_pct >= f.FLUID_OVERLOAD_BELOW_CONCENTRATION_PCT
    ):
        return None
    return f.fluid_overload_risk(
        facts.fluid_overload_factors, product.brand_name, product.concentration_pct
    )


def maltose_glucose_interference(facts: PlanFacts) -> Finding | None:
    """warn: maltose among the product's stabilizers and diabetes among the risk factors
    (GDH-PQQ glucose meters read falsely high)."""
    product = facts.product
    if product is None or not product.contains_maltose:
        return None
    if "diabetes" not in facts.patient.risk_factors:
        return None
    return f.maltose_glucose_interference(product.brand_name)


def aseptic_meningitis_risk(facts: PlanFacts) -> Finding | None:
    """warn: history of migraine."""
    if "migraine" not in facts.patient.risk_factors:
        return None
    return f.aseptic_meningitis_risk()


def hemolysis_risk(facts: PlanFacts) -> Finding | None:
    """warn: blood group A, B or AB and a cycle dose of 2 g/kg or more as ordered."""
    blood_group = facts.patient.blood_group
    ordered = facts.ordered_cycle_dose_g_per_kg
    if (
        blood_group not in f.HEMOLYSIS_BLOOD_GROUPS
        or ordered is None
        or ordered < f.HEMOLYSIS_MIN_CYCLE_DOSE_G_PER_KG
    ):
        return None
    return f.hemolysis_risk(blood_group, ordered)


def no_concomitant_immunosuppressant(facts: PlanFacts) -> Finding | None:
    """warn: a blistering or connective-tissue indication and no co-therapy recorded."""
    indication = facts.indication
    if (
        indication is None
        or indication.category not in f.IMMUNOSUPPRESSANT_EXPECTED_CATEGORIES
        or (facts.concomitant_immunosuppressant or "").strip()
    ):
        return None
    return f.no_concomitant_immunosuppressant(indication.name)


def weight_outdated(facts: PlanFacts) -> Finding | None:
    """override: the latest weight is more than 30 days older than the evaluation date."""
    measured_on = facts.patient.weight_measured_on
    evaluated_on = facts.evaluated_on
    if (
        measured_on is None
        or evaluated_on is None
        or (evaluated_on - measured_on).days <= f.WEIGHT_OUTDATED_AFTER_DAYS
    ):
        return None
    return f.weight_outdated(measured_on, evaluated_on)


def cycle_interval_unusual(facts: PlanFacts) -> Finding | None:
    """warn: more than one cycle and an interval outside 14-28 days."""
    interval = facts.cycle_interval_days
    if (
        facts.cycles is None
        or facts.cycles <= 1
        or interval is None
        or f.USUAL_CYCLE_INTERVAL_MIN_DAYS <= interval <= f.USUAL_CYCLE_INTERVAL_MAX_DAYS
    ):
        return None
    return f.cycle_interval_unusual(interval)


def dosing_weight_overridden(facts: PlanFacts) -> Finding | None:
    """warn: an explicit dosing-weight basis other than auto."""
    if facts.dosing_weight_basis_choice == "auto":
        return None
    return f.dosing_weight_overridden(facts.dosing_weight_basis_choice, facts.dosing_weight_kg)


def concurrent_ivig_order(facts: PlanFacts) -> Finding | None:
    """override: another open IVIg order of the patient has a day within 27 days of one of this
    order's days (both fit in one 28-day window; docs/clinical-rules.md 3.9)."""
    if facts.calendar is None or not facts.own_days:
        return None
    order_ids = concurrent_order_ids([day.day for day in facts.own_days], facts.calendar.other_days)
    return f.concurrent_ivig_order(order_ids) if order_ids else None


def weight_changed(facts: PlanFacts) -> Finding | None:
    """override: |latest weight - weight the signed plan used| >= 10 % of the latter
    (docs/clinical-rules.md 3.9): the order must be revised before the next session."""
    weight_kg, signed_kg = facts.weight_kg, facts.signed_weight_kg
    if weight_kg is None or signed_kg is None:
        return None
    if abs(weight_kg - signed_kg) < f.WEIGHT_CHANGED_FRACTION * signed_kg:
        return None
    return f.weight_changed(weight_kg, signed_kg)


def no_authorization(facts: PlanFacts) -> Finding | None:
    """warn: the caller says explicitly that no approved authorization covers the order."""
    return f.no_authorization() if facts.authorization_covered is False else None


def pregnancy(facts: PlanFacts) -> Finding | None:
    """warn: pregnant."""
    return f.pregnancy() if facts.patient.pregnant else None


def creatinine_due(facts: PlanFacts) -> Finding | None:
    """override: a session's plan, a renal risk and no creatinine taken in the 30 days up to the
    session's day (docs/clinical-rules.md 3.8.2). Not judged at signing: a reason given there
    would otherwise stand for every later session."""
    evaluated_on = facts.session_on
    if not facts.renal_risk or evaluated_on is None:
        return None
    taken_on = facts.patient.creatinine_on
    if taken_on is not None and 0 <= (evaluated_on - taken_on).days <= f.CREATININE_DUE_AFTER_DAYS:
        return None
    return f.creatinine_due(taken_on, evaluated_on)


def hemolysis_suspected(facts: PlanFacts) -> Finding | None:
    """stop: after a cycle of 2 g/kg or more, a hemoglobin taken after its first day and within
    14 days after its last day is 2 g/dL or more below the pre-cycle value (the latest taken on
    or before the first day), and no later hemoglobin is back within 2 g/dL of it
    (docs/clinical-rules.md 3.8.2)."""
    cycle = facts.patient.last_cycle
    if cycle is None or cycle.dose_g_per_kg < f.HEMOLYSIS_MIN_CYCLE_DOSE_G_PER_KG:
        return None
    readings = _hemoglobin_around(cycle, facts.patient.hemoglobin_results)
    if readings is None:
        return None
    pre, in_window, after = readings
    low = min(in_window, key=lambda result: (result.value, result.taken_on))
    latest_day = after[-1].taken_on
    latest = next(result for result in after if result.taken_on == latest_day)
    threshold = pre.value - f.HEMOLYSIS_DROP_G_DL
    if low.value > threshold or latest.value > threshold:
        return None
    if _hemolysis_reviewed(facts, in_window, after, threshold):
        return None
    return f.hemolysis_suspected(
        before_g_dl=pre.value,
        before_on=pre.taken_on,
        after_g_dl=low.value,
        after_on=low.taken_on,
        cycle_first_day=cycle.first_day,
        cycle_dose_g_per_kg=cycle.dose_g_per_kg,
    )


def _hemoglobin_around(
    cycle: CycleFacts, results: Sequence[LabValue]
) -> tuple[LabValue, list[LabValue], list[LabValue]] | None:
    """The pre-cycle hemoglobin, those in the cycle's window and all after its first day, in
    order; None without a pre-cycle value or without one in the window."""
    # Sorted by day, then value: on a day with several results the pre-cycle value is the
    # highest and the latest value the lowest (the conservative reading of the same day).
    ordered = sorted(results, key=lambda result: (result.taken_on, result.value))
    before = [result for result in ordered if result.taken_on <= cycle.first_day]
    after = [result for result in ordered if result.taken_on > cycle.first_day]
    window_end = cycle.last_day.toordinal() + f.HEMOLYSIS_WINDOW_DAYS
    in_window = [result for result in after if result.taken_on.toordinal() <= window_end]
    if not before or not in_window:
        return None
    return before[-1], in_window, after


def _hemolysis_reviewed(
    facts: PlanFacts, in_window: list[LabValue], after: list[LabValue], threshold: Decimal
) -> bool:
    """A clinician's review with the decision to continue, recorded on or after the day of the
    fallen hemoglobin it names (one of the cycle's window, 2 g/dL or more below the pre-cycle
    value), answers the fall: the next cycle is released, unless a later result fell lower
    still (a new fall, not the one reviewed) (docs/clinical-rules.md 3.8.2)."""
    fallen = [(result.taken_on, result.value) for result in in_window if result.value <= threshold]
    for review in facts.patient.hemoglobin_reviews:
        answered = review.answered
        if review.decision != "continue" or (answered.taken_on, answered.value) not in fallen:
            continue
        if review.reviewed_on < answered.taken_on:
            continue
        lower_since = any(
            result.taken_on > answered.taken_on and result.value < answered.value
            for result in after
        )
        if not lower_since:
            return True
    return False


def iga_status_check(facts: PlanFacts) -> Finding | None:
    """warn: the latest IgA result is below the detection limit while the IgA status is normal
    or unknown (docs/clinical-rules.md 3.8.2)."""
    patient = facts.patient
    if not patient.iga_below_detection or patient.iga_status not in ("normal", "unknown"):
        return None
    return f.iga_status_check(patient.iga_status, patient.iga_on)


def blood_group_check(facts: PlanFacts) -> Finding | None:
    """warn: the latest ABO/Rh result's ABO group differs from the recorded blood group, or no
    blood group is recorded (docs/clinical-rules.md 3.8.2)."""
    patient = facts.patient
    if patient.abo_from_lab is None or patient.abo_from_lab == patient.blood_group:
        return None
    return f.blood_group_check(patient.blood_group, patient.abo_from_lab, patient.abo_on)


def prior_infusion_reaction(facts: PlanFacts) -> Finding | None:
    """override: a reaction on an earlier session of the patient with no plan recorded by a
    clinician (docs/clinical-rules.md 3.8.3)."""
    unplanned = [reaction for reaction in facts.prior_reactions if not reaction.planned]
    if not unplanned:
        return None
    return f.prior_infusion_reaction(
        (r.occurred_on, r.severity, ", ".join(r.symptoms), r.rate_at_onset_ml_per_h)
        for r in unplanned
    )


def premedication_dose_high(facts: PlanFacts) -> Finding | None:
    """override: a child (age < 18) whose premedication line is above its drug's children's
    maximum per kg of actual weight: diphenhydramine 1.25 mg/kg, acetaminophen 15 mg/kg
    (docs/clinical-rules.md 3.5). Unknown age or weight: not judged (INVALID_INPUT says why)."""
    return child_premedication_dose_high(facts.premedication, facts.age_years, facts.weight_kg)


def child_premedication_dose_high(
    lines: Sequence[PremedicationLine], age_years: int | None, weight_kg: Decimal | None
) -> Finding | None:
    """PREMEDICATION_DOSE_HIGH for ``lines`` (an order's, or the lines a reaction plan adds):
    the finding naming each line above its drug's children's maximum per kg of ``weight_kg``
    (actual), or None for an adult, an unknown age or weight, or no line above."""
    if age_years is None or weight_kg is None or not is_child(age_years):
        return None
    above = lines_above_child_maximum(tuple(lines), weight_kg)
    if not above:
        return None
    return f.premedication_dose_high(
        (
            line.drug.name,
            line.dose,
            line.dose_unit,
            mg_per_kg_for_display(per_kg),
            line.drug.child_max_mg_per_kg or per_kg,
        )
        for line, per_kg in above
    )


# --- the table --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Rule:
    """One finding: its code, whether its condition reads the product, and its check."""

    code: str
    check: Callable[[PlanFacts], Finding | None]
    reads_product: bool = False

    @property
    def severity(self) -> Severity:
        return f.SEVERITY_BY_CODE[self.code]


RULES: Final[tuple[Rule, ...]] = (
    Rule(f.MAX_DOSE_PER_28_DAYS, max_dose_per_28_days),
    Rule(f.MAX_DAILY_DOSE, max_daily_dose),
    Rule(f.RATE_ABOVE_MAXIMUM, rate_above_maximum),
    Rule(f.IGA_DEFICIENCY_WITH_ANTIBODIES, iga_deficiency_with_antibodies, reads_product=True),
    Rule(f.IGA_DEFICIENCY, iga_deficiency, reads_product=True),
    Rule(f.SUCROSE_RENAL_RISK, sucrose_renal_risk, reads_product=True),
    Rule(f.RENAL_RISK, renal_risk),
    Rule(f.THROMBOSIS_RISK, thrombosis_risk),
    Rule(f.FLUID_OVERLOAD_RISK, fluid_overload_risk, reads_product=True),
    Rule(f.MALTOSE_GLUCOSE_INTERFERENCE, maltose_glucose_interference, reads_product=True),
    Rule(f.ASEPTIC_MENINGITIS_RISK, aseptic_meningitis_risk),
    Rule(f.HEMOLYSIS_RISK, hemolysis_risk),
    Rule(f.NO_CONCOMITANT_IMMUNOSUPPRESSANT, no_concomitant_immunosuppressant),
    Rule(f.WEIGHT_OUTDATED, weight_outdated),
    Rule(f.WEIGHT_CHANGED, weight_changed),
    Rule(f.CONCURRENT_IVIG_ORDER, concurrent_ivig_order),
    Rule(f.CYCLE_INTERVAL_UNUSUAL, cycle_interval_unusual),
    Rule(f.DOSING_WEIGHT_OVERRIDDEN, dosing_weight_overridden),
    Rule(f.NO_AUTHORIZATION, no_authorization),
    Rule(f.PREGNANCY, pregnancy),
    Rule(f.CREATININE_DUE, creatinine_due),
    Rule(f.HEMOLYSIS_SUSPECTED, hemolysis_suspected),
    Rule(f.IGA_STATUS_CHECK, iga_status_check),
    Rule(f.BLOOD_GROUP_CHECK, blood_group_check),
    Rule(f.PRIOR_INFUSION_REACTION, prior_infusion_reaction),
    Rule(f.PREMEDICATION_DOSE_HIGH, premedication_dose_high),
)
PRODUCT_RULES: Final[tuple[Rule, ...]] = tuple(rule for rule in RULES if rule.reads_product)


def evaluate(facts: PlanFacts, rules: tuple[Rule, ...] = RULES) -> list[Finding]:
    """Every finding the rules raise, in the order of the table (not yet sorted)."""
    found = []
    for rule in rules:
        finding = rule.check(facts)
        if finding is not None:
            found.append(finding)
    return found


def product_findings(patient: PatientFacts, product: ProductFacts) -> list[Finding]:
    """The findings that depend on the product, for this patient and ``product``: exactly the
    ``PRODUCT_RULES``, ordered stop, override, warn, then code. The same functions run in every
    plan, so a product listed as raising none of them raises none when the order is planned."""
    return f.ordered(evaluate(base_facts(patient, product), PRODUCT_RULES))
