"""``compute_plan``: the one entry point of the dose/rate engine (docs/clinical-rules.md 3,
docs/api.md).

It validates the clinical ranges, computes every number it can, evaluates every finding whose
inputs are valid, and returns a ``DosePlan``. It never raises for a clinical problem: those are
findings. All arithmetic runs in a fixed Decimal context (28 significant digits), so a caller's
context cannot change a dose; every rounding to a displayed or clinical quantum names its mode.

INVALID_INPUT (stop, docs/clinical-rules.md 3.8): one finding whose message lists every problem,
among: weight missing or outside 1-350 kg, height missing or outside 40-250 cm (both inclusive), sex
missing, age outside 0-130 years, dose ≤ 0, days per cycle outside 1-5, cycles outside 1-60, cycle
interval outside 7-90 days, target rate below 1 mL/h, unknown product or indication, and (our
additions, so that nothing is planned from data that cannot be planned):
- the product has no active vial size;
- the label rate protocol is asked for a product without label rate steps;
- the dosing weight rounds to 0 kg or less (explicit ``ideal`` for a very short patient);
- the daily dose rounds to 0 g (a dose under 0.05 g with no vial amount within tolerance);
  the daily dose and everything computed from it are then null;
- a daily dose above 10 g/kg (``MAX_PLAUSIBLE_DAILY_DOSE_G_PER_KG``, five times the highest
  daily maximum of any indication): a typing error, refused so that an absurd order cannot
  produce an endless infusion schedule.

The patient's calendar (``PlanRequest.calendar``, docs/clinical-rules.md 3.9): when given, the
two dose maxima are judged on every order's grams per calendar day (calendar.py) and
CONCURRENT_IVIG_ORDER is checked; the rounding itself always looks at the course's own calendar,
so another order never changes this order's dose, only its findings. ``signed_weight_kg``
drives WEIGHT_CHANGED. Without them the plan is the one docs/api.md describes.

Output: the many small rows (titration steps, cycles) are built with ``model_construct`` (no
re-validation): their values come typed from the engine's own functions (checked by mypy and the
tests, including a JSON round trip through full validation); the ``DosePlan`` itself is validated.

An invalid value is treated as unknown: every number that does not depend on it is still
computed, every number that does is null (e.g. an unknown indication leaves the rounding cap
unknown, so the daily dose and everything after it are null, while the calculated daily dose is
shown). The premedication lead comes from the policy and is always given.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import (
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
    localcontext,
)

from ivig.engine import findings as f
from ivig.engine.calendar import own_days
from ivig.engine.dosing import (
    DOSE_DISPLAY_QUANTUM_G,
    DoseCaps,
    VialRounding,
    calculated_daily_dose_g,
    cost_per_cycle,
    cycle_dose_g_per_kg,
    daily_dose_g_per_kg,
    daily_volume_ml,
    ordered_cycle_dose_g_per_kg,
    round_to_vials,
)
from ivig.engine.formatting import format_decimal
from ivig.engine.limits import (
    AGE_MAX_YEARS,
    AGE_MIN_YEARS,
    CYCLE_INTERVAL_MAX_DAYS,
    CYCLE_INTERVAL_MIN_DAYS,
    CYCLES_MAX,
    CYCLES_MIN,
    DAYS_PER_CYCLE_MAX,
    DAYS_PER_CYCLE_MIN,
    HEIGHT_MAX_CM,
    HEIGHT_MIN_CM,
    MAX_PLAUSIBLE_DAILY_DOSE_G_PER_KG,
    TARGET_RATE_MIN_ML_PER_H,
    WEIGHT_MAX_KG,
    WEIGHT_MIN_KG,
)
from ivig.engine.models import (
    CyclePlan,
    DosePlan,
    PlanRequest,
    VialCount,
)
from ivig.engine.rates import (
    RateCaps,
    Titration,
    label_steps,
    max_rate_ml_per_h,
    protocol_steps,
    rate_caps,
    titration,
)
from ivig.engine.rules import PlanFacts, base_facts, evaluate
from ivig.engine.schedule import (
    chair_minutes,
    cycle_days,
    max_infusion_days_in_window,
    vital_checks_min,
)
from ivig.engine.weights import BMI_DISPLAY_QUANTUM, compute_weights, round_weight_kg

ENGINE_DECIMAL_CONTEXT = Context(
    prec=28, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)


def compute_plan(request: PlanRequest) -> DosePlan:
    """The dose, vials, rates, schedule, cost and findings for one request (docs/clinical-rules.md
    3)."""
    return plan_with_facts(request)[0]


def plan_with_facts(request: PlanRequest) -> tuple[DosePlan, PlanFacts]:
    """``compute_plan`` and the facts its rules were evaluated on (for tests and tools)."""
    with localcontext(ENGINE_DECIMAL_CONTEXT):
        return _compute_plan(request)


def _in_range(value: int, low: int, high: int) -> int | None:
    return value if low <= value <= high else None


def _compute_plan(request: PlanRequest) -> tuple[DosePlan, PlanFacts]:
    patient = request.patient
    regimen = request.regimen
    product = request.product
    indication = request.indication
    policy = request.policy
    problems: list[str] = []

    # --- validate (docs/clinical-rules.md 3.8 INVALID_INPUT); an invalid value becomes None
    # --------------------
    weight_kg = patient.weight_kg
    if weight_kg is None:
        problems.append("weight is missing")
    elif not WEIGHT_MIN_KG <= weight_kg <= WEIGHT_MAX_KG:
        problems.append(f"weight {format_decimal(weight_kg)} kg is not between 1 and 350 kg")
        weight_kg = None
    height_cm = patient.height_cm
    if height_cm is None:
        problems.append("height is missing")
    elif not HEIGHT_MIN_CM <= height_cm <= HEIGHT_MAX_CM:
        problems.append(f"height {format_decimal(height_cm)} cm is not between 40 and 250 cm")
        height_cm = None
    if patient.sex is None:
        problems.append("sex is missing")
    age_years = _in_range(patient.age_years, AGE_MIN_YEARS, AGE_MAX_YEARS)
    if age_years is None:
        problems.append(f"age {patient.age_years} years is not between 0 and 130 years")

    dose_valid = True
    if regimen.total_dose_g_per_kg is not None and regimen.total_dose_g_per_kg <= 0:
        problems.append(
            f"total dose {format_decimal(regimen.total_dose_g_per_kg)} g/kg is not above 0"
        )
        dose_valid = False
    if regimen.daily_dose_mg_per_kg is not None and regimen.daily_dose_mg_per_kg <= 0:
        problems.append(
            f"daily dose {format_decimal(regimen.daily_dose_mg_per_kg)} mg/kg is not above 0"
        )
        dose_valid = False
    days_per_cycle = _in_range(regimen.days_per_cycle, DAYS_PER_CYCLE_MIN, DAYS_PER_CYCLE_MAX)
    if days_per_cycle is None:
        problems.append(f"{regimen.days_per_cycle} days per cycle is not between 1 and 5")
    cycles = _in_range(regimen.cycles, CYCLES_MIN, CYCLES_MAX)
    if cycles is None:
        problems.append(f"{regimen.cycles} cycles is not between 1 and 60")
    interval_days = _in_range(
        regimen.cycle_interval_days, CYCLE_INTERVAL_MIN_DAYS, CYCLE_INTERVAL_MAX_DAYS
    )
    if interval_days is None:
        problems.append(
            f"a cycle interval of {regimen.cycle_interval_days} days is not between 7 and 90 days"
        )
    if cycles is not None and interval_days is not None and days_per_cycle is not None:
        last_day_ordinal = (
            regimen.start_date.toordinal() + (cycles - 1) * interval_days + days_per_cycle - 1
        )
        if last_day_ordinal > date.max.toordinal():
            problems.append("the course would end after the last date the calendar can hold")
            cycles = None
    target_rate_ml_per_h: int | None = request.target_rate_ml_per_h
    if request.target_rate_ml_per_h < TARGET_RATE_MIN_ML_PER_H:
        problems.append(f"target rate {request.target_rate_ml_per_h} mL/h is below 1 mL/h")
        target_rate_ml_per_h = None
    if product is None:
        problems.append("the product is unknown")
    elif not product.vial_sizes_g:
        problems.append(f"{product.brand_name} has no active vial size")
    label_steps_missing = (
        product is not None and request.rate_protocol == "label" and not product.label_rate_steps
    )
    if label_steps_missing:
        assert product is not None
        problems.append(f"{product.brand_name} has no label rate steps")
    if indication is None:
        problems.append("the indication is unknown")
    if dose_valid:
        per_kg_per_day = daily_dose_g_per_kg(
            total_dose_g_per_kg=regimen.total_dose_g_per_kg,
            daily_dose_mg_per_kg=regimen.daily_dose_mg_per_kg,
            days_per_cycle=days_per_cycle,
        )
        if per_kg_per_day is not None and per_kg_per_day > MAX_PLAUSIBLE_DAILY_DOSE_G_PER_KG:
            problems.append(
                f"a daily dose of {format_decimal(per_kg_per_day)} g/kg is implausible "
                "(above 10 g/kg)"
            )
            dose_valid = False

    # --- weights (docs/clinical-rules.md 3.1)
    # ----------------------------------------------------------------
    weights = compute_weights(
        weight_kg=weight_kg,
        height_cm=height_cm,
        sex=patient.sex,
        age_years=age_years,
        pregnant=patient.pregnant,
        basis_choice=request.dosing_weight_basis,
        adjusted_weight_rule=policy.adjusted_weight_rule,
    )
    if weights.dosing_weight_not_positive:
        problems.append(f"the dosing weight ({weights.basis} body weight) is 0 kg")
    dosing_weight_kg = weights.dosing_weight_kg

    # --- the course's calendar (docs/clinical-rules.md 3.6) ----------------------------------
    cycle_plans: list[CyclePlan] | None = None
    planned_days: tuple[date, ...] | None = None
    if days_per_cycle is not None and cycles is not None and interval_days is not None:
        days = cycle_days(regimen.start_date, days_per_cycle, cycles, interval_days)
        cycle_plans = [
            CyclePlan.model_construct(number=number, days=cycle)
            for number, cycle in enumerate(days, start=1)
        ]
        planned_days = tuple(day for cycle in days for day in cycle)

    # --- dose and vials (docs/clinical-rules.md 3.2, 3.3, 3.7) ------------------------------
    calc_g: Decimal | None = None
    if dosing_weight_kg is not None and dose_valid:
        calc_g = calculated_daily_dose_g(
            total_dose_g_per_kg=regimen.total_dose_g_per_kg,
            daily_dose_mg_per_kg=regimen.daily_dose_mg_per_kg,
            days_per_cycle=days_per_cycle,
            dosing_weight_kg=dosing_weight_kg,
        )
    rounding: VialRounding | None = None
    if (
        calc_g is not None
        and dosing_weight_kg is not None
        and days_per_cycle is not None
        and product is not None
        and product.vial_sizes_g
        and indication is not None
    ):
        # The course's own calendar sets W; with the cycles unknown (INVALID_INPUT) one cycle's
        # consecutive days are all that is known.
        days_in_window = (
            days_per_cycle if planned_days is None else max_infusion_days_in_window(planned_days)
        )
        rounding = round_to_vials(
            calculated_daily_dose_g=calc_g,
            vial_sizes_g=tuple(product.vial_sizes_g),
            tolerance_pct=policy.rounding_tolerance_pct,
            caps=DoseCaps(
                daily_cap_g=indication.max_daily_g_per_kg * dosing_weight_kg,
                window_cap_g=indication.max_g_per_kg_per_28_days * dosing_weight_kg,
                days_in_window=days_in_window,
            ),
        )
    if rounding is not None and rounding.daily_dose_g <= 0:
        problems.append("the daily dose rounds to 0 g")
        rounding = None
    volume_ml: int | None = None
    cycle_dose_g: Decimal | None = None
    cycle_g_per_kg: Decimal | None = None
    cost: Decimal | None = None
    if rounding is not None:
        assert product is not None and days_per_cycle is not None and dosing_weight_kg is not None
        volume_ml = daily_volume_ml(rounding.daily_dose_g, product.concentration_pct)
        cycle_dose_g = rounding.daily_dose_g * days_per_cycle
        cycle_g_per_kg = cycle_dose_g_per_kg(cycle_dose_g, dosing_weight_kg)
        cost = cost_per_cycle(rounding.dispensed_g, days_per_cycle, product.price_per_g)

    # --- rates (docs/clinical-rules.md 3.4)
    # -----------------------------------------------------------------
    risk_facts = base_facts(patient, product)

    caps: RateCaps | None = None
    planned: Titration | None = None
    if (
        volume_ml is not None
        and product is not None
        and dosing_weight_kg is not None
        and target_rate_ml_per_h is not None
        and not label_steps_missing
    ):
        caps = rate_caps(
            target_rate_ml_per_h=target_rate_ml_per_h,
            policy_max_rate_ml_per_h=policy.max_rate_ml_per_h,
            label_max_mg_per_kg_per_min=product.label_max_mg_per_kg_per_min,
            at_risk_max_mg_per_kg_per_min=product.at_risk_max_mg_per_kg_per_min,
            patient_at_risk=risk_facts.renal_risk or risk_facts.thrombosis_risk,
            dosing_weight_kg=dosing_weight_kg,
            concentration_pct=product.concentration_pct,
            default_at_risk_max_mg_per_kg_per_min=policy.default_at_risk_max_mg_per_kg_per_min,
        )
        steps = (
            protocol_steps(
                dosing_weight_kg, caps, product.label_rate_steps, product.concentration_pct
            )
            if request.rate_protocol == "protocol"
            else label_steps(
                product.label_rate_steps, dosing_weight_kg, product.concentration_pct, caps
            )
        )
        planned = titration(steps, volume_ml)

    # --- findings (docs/clinical-rules.md 3.8): the table of rules in rules.py ---------------
    at_risk_cap_ml_per_h = None
    if caps is not None and caps.at_risk_max_ml_per_h is not None:
        at_risk_cap_ml_per_h = min(caps.top_rate_ml_per_h, caps.at_risk_max_ml_per_h)
    facts = replace(
        risk_facts,
        indication=indication,
        dosing_weight_basis_choice=request.dosing_weight_basis,
        dosing_weight_kg=dosing_weight_kg,
        daily_dose_g=None if rounding is None else rounding.daily_dose_g,
        ordered_cycle_dose_g_per_kg=ordered_cycle_dose_g_per_kg(
            total_dose_g_per_kg=regimen.total_dose_g_per_kg,
            daily_dose_mg_per_kg=regimen.daily_dose_mg_per_kg,
            days_per_cycle=days_per_cycle,
        )
        if dose_valid
        else None,
        cycles=cycles,
        cycle_interval_days=interval_days,
        planned_days=planned_days,
        target_rate_ml_per_h=target_rate_ml_per_h,
        maximum_rate_ml_per_h=max_rate_ml_per_h(policy.max_rate_ml_per_h),
        at_risk_cap_ml_per_h=at_risk_cap_ml_per_h,
        at_risk_cap_from_policy=caps is not None and caps.at_risk_from_policy,
        concomitant_immunosuppressant=request.concomitant_immunosuppressant,
        evaluated_on=request.evaluated_on,
        authorization_covered=request.authorization_covered,
        calendar=request.calendar,
        own_days=None
        if request.calendar is None or cycle_plans is None
        else tuple(
            own_days(
                [cycle.days for cycle in cycle_plans],
                None if rounding is None else rounding.daily_dose_g,
                request.calendar.own_sessions,
            )
        ),
        weight_kg=weight_kg,
        signed_weight_kg=request.signed_weight_kg,
        session_on=request.session_on,
        prior_reactions=tuple(request.prior_reactions),
    )
    found = evaluate(facts)
    if problems:
        found.insert(0, f.invalid_input(problems))

    # --- the plan ----------------------------------------------------------------------------
    infusion_minutes = None if planned is None else planned.infusion_minutes
    plan = DosePlan(
        bmi=None
        if weights.bmi is None
        else weights.bmi.quantize(BMI_DISPLAY_QUANTUM, rounding=ROUND_HALF_UP),
        ideal_body_weight_kg=None
        if weights.ideal_kg is None
        else round_weight_kg(weights.ideal_kg),
        adjusted_body_weight_kg=None
        if weights.adjusted_kg is None
        else round_weight_kg(weights.adjusted_kg),
        dosing_weight_kg=dosing_weight_kg,
        dosing_weight_basis=weights.basis,
        calculated_daily_dose_g=None
        if calc_g is None
        else calc_g.quantize(DOSE_DISPLAY_QUANTUM_G, rounding=ROUND_HALF_UP),
        daily_dose_g=None if rounding is None else rounding.daily_dose_g,
        vials=None
        if rounding is None
        else [VialCount(size_g=size_g, count=count) for size_g, count in rounding.vials],
        waste_g=None if rounding is None else rounding.waste_g,
        daily_volume_ml=volume_ml,
        cycle_dose_g=cycle_dose_g,
        cycle_dose_g_per_kg=cycle_g_per_kg,
        titration=None if planned is None else planned.plan_steps(),
        target_rate_reached_min=None if planned is None else planned.target_rate_reached_min,
        infusion_minutes=infusion_minutes,
        vital_checks_min=None
        if planned is None
        else vital_checks_min(planned.infusion_minutes, planned.target_rate_reached_min),
        premedication_min_before=policy.premedication_lead_minutes,
        chair_minutes=None
        if infusion_minutes is None
        else chair_minutes(
            policy.premedication_lead_minutes, infusion_minutes, policy.observation_minutes
        ),
        cycles=cycle_plans,
        cost_per_cycle=cost,
        findings=f.ordered(found),
    )
    return plan, facts
