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

The recipe is a pipeline of pure stages, each a function of the request and of the typed, frozen
values the stages before it returned: ``validate`` (``ValidInputs``) → ``plan_weights``
(``Weights``) → ``plan_course`` (``Course``) → ``plan_dose`` (``Dose``: the daily dose, its
rounding to vials, volume, cycle dose and cost) → ``plan_rates`` (``Rates``) → ``plan_facts`` and
``plan_findings`` (the rules) → ``dose_plan`` (the ``DosePlan``, rounded for display).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
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
from typing import TypeVar

from ivig.engine import findings as f
from ivig.engine.calendar import OwnDay, own_days
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
    DosingPolicy,
    Finding,
    PatientFacts,
    PlanRequest,
    Regimen,
    VialCount,
)
from ivig.engine.rates import (
    RateCaps,
    RateStep,
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
from ivig.engine.weights import BMI_DISPLAY_QUANTUM, Weights, compute_weights, round_weight_kg

ENGINE_DECIMAL_CONTEXT = Context(
    prec=28, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow]
)

_T = TypeVar("_T")
_R = TypeVar("_R")


def compute_plan(request: PlanRequest) -> DosePlan:
    """The dose, vials, rates, schedule, cost and findings for one request (docs/clinical-rules.md
    3)."""
    return plan_with_facts(request)[0]


def plan_with_facts(request: PlanRequest) -> tuple[DosePlan, PlanFacts]:
    """``compute_plan`` and the facts its rules were evaluated on (for tests and tools)."""
    with localcontext(ENGINE_DECIMAL_CONTEXT):
        return _compute_plan(request)


def _compute_plan(request: PlanRequest) -> tuple[DosePlan, PlanFacts]:
    """The pipeline: each stage is a pure function of the request and the stages before it."""
    valid = validate(request)
    weights = plan_weights(request, valid)
    course = plan_course(request.regimen, valid)
    dose = plan_dose(request, valid, weights.dosing_weight_kg, course)
    risk = base_facts(request.patient, request.product)
    rates = plan_rates(request, valid, weights.dosing_weight_kg, dose.volume_ml, risk)
    facts = plan_facts(request, valid, weights.dosing_weight_kg, course, dose, rates, risk)
    problems = valid.problems + weight_problems(weights) + dose.problems
    found = plan_findings(facts, problems)
    return dose_plan(request, weights, course, dose, rates, found), facts


def _or_none(value: _T | None, convert: Callable[[_T], _R]) -> _R | None:
    return None if value is None else convert(value)


# --- validate (docs/clinical-rules.md 3.8 INVALID_INPUT): an invalid value becomes None --------


@dataclass(frozen=True)
class ValidInputs:
    """The request's values after validation: each is None where it is missing or out of range
    (unknown), and ``problems`` lists why, in the order of INVALID_INPUT's message."""

    weight_kg: Decimal | None
    height_cm: Decimal | None
    age_years: int | None
    dose_valid: bool
    days_per_cycle: int | None
    cycles: int | None
    interval_days: int | None
    target_rate_ml_per_h: int | None
    label_steps_missing: bool
    problems: tuple[str, ...]


def _in_range(value: int, low: int, high: int) -> int | None:
    return value if low <= value <= high else None


def _measure(
    value: Decimal | None, low: Decimal, high: Decimal, name: str, unit: str
) -> tuple[Decimal | None, tuple[str, ...]]:
    """A weight or height: None with its problem when missing or outside ``low``-``high``."""
    if value is None:
        return None, (f"{name} is missing",)
    if not low <= value <= high:
        between = f"{format_decimal(low)} and {format_decimal(high)} {unit}"
        return None, (f"{name} {format_decimal(value)} {unit} is not between {between}",)
    return value, ()


def _sex_and_age(patient: PatientFacts) -> tuple[int | None, tuple[str, ...]]:
    problems: tuple[str, ...] = ("sex is missing",) if patient.sex is None else ()
    age_years = _in_range(patient.age_years, AGE_MIN_YEARS, AGE_MAX_YEARS)
    if age_years is None:
        problems += (f"age {patient.age_years} years is not between 0 and 130 years",)
    return age_years, problems


def _dose_problems(regimen: Regimen) -> tuple[str, ...]:
    """The ordered dose must be above 0 (whichever of the two the regimen names)."""
    problems: tuple[str, ...] = ()
    total = regimen.total_dose_g_per_kg
    if total is not None and total <= 0:
        problems += (f"total dose {format_decimal(total)} g/kg is not above 0",)
    daily = regimen.daily_dose_mg_per_kg
    if daily is not None and daily <= 0:
        problems += (f"daily dose {format_decimal(daily)} mg/kg is not above 0",)
    return problems


def _course_shape(
    regimen: Regimen,
) -> tuple[int | None, int | None, int | None, tuple[str, ...]]:
    """Days per cycle, cycles and cycle interval (each None when out of range); the cycles are
    unknown too when the course would end after the last date the calendar holds."""
    problems: tuple[str, ...] = ()
    days = _in_range(regimen.days_per_cycle, DAYS_PER_CYCLE_MIN, DAYS_PER_CYCLE_MAX)
    if days is None:
        problems += (f"{regimen.days_per_cycle} days per cycle is not between 1 and 5",)
    cycles = _in_range(regimen.cycles, CYCLES_MIN, CYCLES_MAX)
    if cycles is None:
        problems += (f"{regimen.cycles} cycles is not between 1 and 60",)
    interval = _in_range(
        regimen.cycle_interval_days, CYCLE_INTERVAL_MIN_DAYS, CYCLE_INTERVAL_MAX_DAYS
    )
    if interval is None:
        problems += (
            f"a cycle interval of {regimen.cycle_interval_days} days is not between 7 and 90 days",
        )
    if cycles is not None and interval is not None and days is not None:
        last_day_ordinal = regimen.start_date.toordinal() + (cycles - 1) * interval + days - 1
        if last_day_ordinal > date.max.toordinal():
            problems += ("the course would end after the last date the calendar can hold",)
            cycles = None
    return days, cycles, interval, problems


def _target_rate(request: PlanRequest) -> tuple[int | None, tuple[str, ...]]:
    rate_ml_per_h = request.target_rate_ml_per_h
    if rate_ml_per_h < TARGET_RATE_MIN_ML_PER_H:
        return None, (f"target rate {rate_ml_per_h} mL/h is below 1 mL/h",)
    return rate_ml_per_h, ()


def _product_and_indication(request: PlanRequest) -> tuple[bool, tuple[str, ...]]:
    """Whether the label rate steps the protocol asks for are missing, and the problems of the
    product (unknown, no active vial, no label steps) and of the indication (unknown)."""
    product = request.product
    problems: tuple[str, ...] = ()
    label_steps_missing = False
    if product is None:
        problems += ("the product is unknown",)
    else:
        if not product.vial_sizes_g:
            problems += (f"{product.brand_name} has no active vial size",)
        label_steps_missing = request.rate_protocol == "label" and not product.label_rate_steps
        if label_steps_missing:
            problems += (f"{product.brand_name} has no label rate steps",)
    if request.indication is None:
        problems += ("the indication is unknown",)
    return label_steps_missing, problems


def _implausible_dose(regimen: Regimen, days_per_cycle: int | None) -> tuple[str, ...]:
    """A daily dose above 10 g/kg is a typing error (MAX_PLAUSIBLE_DAILY_DOSE_G_PER_KG)."""
    per_kg_per_day = daily_dose_g_per_kg(
        total_dose_g_per_kg=regimen.total_dose_g_per_kg,
        daily_dose_mg_per_kg=regimen.daily_dose_mg_per_kg,
        days_per_cycle=days_per_cycle,
    )
    if per_kg_per_day is None or per_kg_per_day <= MAX_PLAUSIBLE_DAILY_DOSE_G_PER_KG:
        return ()
    return (
        f"a daily dose of {format_decimal(per_kg_per_day)} g/kg is implausible (above 10 g/kg)",
    )


def validate(request: PlanRequest) -> ValidInputs:
    """Stage 1: every INVALID_INPUT range, in the order of the finding's message."""
    patient, regimen = request.patient, request.regimen
    weight_kg, weight_problems = _measure(
        patient.weight_kg, WEIGHT_MIN_KG, WEIGHT_MAX_KG, "weight", "kg"
    )
    height_cm, height_problems = _measure(
        patient.height_cm, HEIGHT_MIN_CM, HEIGHT_MAX_CM, "height", "cm"
    )
    age_years, person_problems = _sex_and_age(patient)
    dose_problems = _dose_problems(regimen)
    days, cycles, interval, course_problems = _course_shape(regimen)
    target_rate_ml_per_h, rate_problems = _target_rate(request)
    label_steps_missing, product_problems = _product_and_indication(request)
    implausible = () if dose_problems else _implausible_dose(regimen, days)
    return ValidInputs(
        weight_kg=weight_kg,
        height_cm=height_cm,
        age_years=age_years,
        dose_valid=not dose_problems and not implausible,
        days_per_cycle=days,
        cycles=cycles,
        interval_days=interval,
        target_rate_ml_per_h=target_rate_ml_per_h,
        label_steps_missing=label_steps_missing,
        problems=weight_problems
        + height_problems
        + person_problems
        + dose_problems
        + course_problems
        + rate_problems
        + product_problems
        + implausible,
    )


# --- weights (docs/clinical-rules.md 3.1) ---------------------------------------------------


def plan_weights(request: PlanRequest, valid: ValidInputs) -> Weights:
    """Stage 2: BMI, ideal and adjusted body weight and the dosing weight, from valid values."""
    return compute_weights(
        weight_kg=valid.weight_kg,
        height_cm=valid.height_cm,
        sex=request.patient.sex,
        age_years=valid.age_years,
        pregnant=request.patient.pregnant,
        basis_choice=request.dosing_weight_basis,
        adjusted_weight_rule=request.policy.adjusted_weight_rule,
    )


def weight_problems(weights: Weights) -> tuple[str, ...]:
    """A dosing weight of 0 kg or less (explicit ``ideal`` for a very short patient)."""
    if weights.dosing_weight_not_positive:
        return (f"the dosing weight ({weights.basis} body weight) is 0 kg",)
    return ()


# --- the course's calendar (docs/clinical-rules.md 3.6) --------------------------------------


@dataclass(frozen=True)
class Course:
    """The course's cycles and every infusion day in order; None when a cycle value is unknown."""

    cycles: tuple[CyclePlan, ...] | None = None
    planned_days: tuple[date, ...] | None = None


def plan_course(regimen: Regimen, valid: ValidInputs) -> Course:
    """Stage 3: the cycles' days from the start date, days per cycle, cycles and interval."""
    if valid.days_per_cycle is None or valid.cycles is None or valid.interval_days is None:
        return Course()
    days = cycle_days(regimen.start_date, valid.days_per_cycle, valid.cycles, valid.interval_days)
    return Course(
        cycles=tuple(
            CyclePlan.model_construct(number=number, days=cycle)
            for number, cycle in enumerate(days, start=1)
        ),
        planned_days=tuple(day for cycle in days for day in cycle),
    )


# --- dose and vials (docs/clinical-rules.md 3.2, 3.3, 3.7) ----------------------------------


@dataclass(frozen=True)
class Dose:
    """The calculated daily dose (full precision), its rounding to vials and what follows from
    it; ``rounding`` None = the daily dose is unknown (and so is everything after it)."""

    calculated_g: Decimal | None = None
    rounding: VialRounding | None = None
    volume_ml: int | None = None
    cycle_dose_g: Decimal | None = None
    cycle_dose_g_per_kg: Decimal | None = None
    cost_per_cycle: Decimal | None = None
    problems: tuple[str, ...] = ()

    @property
    def daily_dose_g(self) -> Decimal | None:
        return None if self.rounding is None else self.rounding.daily_dose_g


def _calculated_dose_g(
    regimen: Regimen, valid: ValidInputs, dosing_weight_kg: Decimal | None
) -> Decimal | None:
    if dosing_weight_kg is None or not valid.dose_valid:
        return None
    return calculated_daily_dose_g(
        total_dose_g_per_kg=regimen.total_dose_g_per_kg,
        daily_dose_mg_per_kg=regimen.daily_dose_mg_per_kg,
        days_per_cycle=valid.days_per_cycle,
        dosing_weight_kg=dosing_weight_kg,
    )


def _vial_rounding(
    request: PlanRequest,
    calc_g: Decimal,
    dosing_weight_kg: Decimal,
    days_per_cycle: int,
    course: Course,
) -> VialRounding | None:
    """Rounding to vials within the indication's maxima; None when the product or indication
    is unknown. The course's own calendar sets W; with the cycles unknown (INVALID_INPUT) one
    cycle's consecutive days are all that is known."""
    product, indication = request.product, request.indication
    if product is None or not product.vial_sizes_g or indication is None:
        return None
    days_in_window = (
        days_per_cycle
        if course.planned_days is None
        else max_infusion_days_in_window(course.planned_days)
    )
    return round_to_vials(
        calculated_daily_dose_g=calc_g,
        vial_sizes_g=tuple(product.vial_sizes_g),
        tolerance_pct=request.policy.rounding_tolerance_pct,
        caps=DoseCaps(
            daily_cap_g=indication.max_daily_g_per_kg * dosing_weight_kg,
            window_cap_g=indication.max_g_per_kg_per_28_days * dosing_weight_kg,
            days_in_window=days_in_window,
        ),
    )


def plan_dose(
    request: PlanRequest, valid: ValidInputs, dosing_weight_kg: Decimal | None, course: Course
) -> Dose:
    """Stage 4: the calculated daily dose, rounded to vials; then volume, cycle dose and cost."""
    calc_g = _calculated_dose_g(request.regimen, valid, dosing_weight_kg)
    days_per_cycle = valid.days_per_cycle
    if calc_g is None or dosing_weight_kg is None or days_per_cycle is None:
        return Dose(calculated_g=calc_g)
    rounding = _vial_rounding(request, calc_g, dosing_weight_kg, days_per_cycle, course)
    if rounding is None:
        return Dose(calculated_g=calc_g)
    if rounding.daily_dose_g <= 0:
        return Dose(calculated_g=calc_g, problems=("the daily dose rounds to 0 g",))
    product = request.product
    assert product is not None  # rounding needs the product's vials
    cycle_dose_g = rounding.daily_dose_g * days_per_cycle
    return Dose(
        calculated_g=calc_g,
        rounding=rounding,
        volume_ml=daily_volume_ml(rounding.daily_dose_g, product.concentration_pct),
        cycle_dose_g=cycle_dose_g,
        cycle_dose_g_per_kg=cycle_dose_g_per_kg(cycle_dose_g, dosing_weight_kg),
        cost_per_cycle=cost_per_cycle(rounding.dispensed_g, days_per_cycle, product.price_per_g),
    )


# --- rates (docs/clinical-rules.md 3.4) -----------------------------------------------------


@dataclass(frozen=True)
class Rates:
    """The plan's rate caps and titration; None when the volume or a rate input is unknown."""

    caps: RateCaps | None = None
    titration: Titration | None = None

    @property
    def at_risk_cap_ml_per_h(self) -> int | None:
        """The at-risk cap where it binds the plan (below the top rate otherwise used)."""
        caps = self.caps
        if caps is None or caps.at_risk_max_ml_per_h is None:
            return None
        return min(caps.top_rate_ml_per_h, caps.at_risk_max_ml_per_h)


def _rate_steps(request: PlanRequest, dosing_weight_kg: Decimal, caps: RateCaps) -> list[RateStep]:
    product = request.product
    assert product is not None  # the caps need the product
    if request.rate_protocol == "protocol":
        return protocol_steps(
            dosing_weight_kg, caps, product.label_rate_steps, product.concentration_pct
        )
    return label_steps(product.label_rate_steps, dosing_weight_kg, product.concentration_pct, caps)


def plan_rates(
    request: PlanRequest,
    valid: ValidInputs,
    dosing_weight_kg: Decimal | None,
    volume_ml: int | None,
    risk: PlanFacts,
) -> Rates:
    """Stage 5: the rate caps and the titration running the daily volume."""
    product, policy = request.product, request.policy
    target_rate_ml_per_h = valid.target_rate_ml_per_h
    if (
        volume_ml is None
        or product is None
        or dosing_weight_kg is None
        or target_rate_ml_per_h is None
        or valid.label_steps_missing
    ):
        return Rates()
    caps = rate_caps(
        target_rate_ml_per_h=target_rate_ml_per_h,
        policy_max_rate_ml_per_h=policy.max_rate_ml_per_h,
        label_max_mg_per_kg_per_min=product.label_max_mg_per_kg_per_min,
        at_risk_max_mg_per_kg_per_min=product.at_risk_max_mg_per_kg_per_min,
        patient_at_risk=risk.renal_risk or risk.thrombosis_risk,
        dosing_weight_kg=dosing_weight_kg,
        concentration_pct=product.concentration_pct,
        default_at_risk_max_mg_per_kg_per_min=policy.default_at_risk_max_mg_per_kg_per_min,
    )
    steps = _rate_steps(request, dosing_weight_kg, caps)
    return Rates(caps=caps, titration=titration(steps, volume_ml))


# --- findings (docs/clinical-rules.md 3.8): the table of rules in rules.py -------------------


def _ordered_cycle_dose_g_per_kg(regimen: Regimen, valid: ValidInputs) -> Decimal | None:
    if not valid.dose_valid:
        return None
    return ordered_cycle_dose_g_per_kg(
        total_dose_g_per_kg=regimen.total_dose_g_per_kg,
        daily_dose_mg_per_kg=regimen.daily_dose_mg_per_kg,
        days_per_cycle=valid.days_per_cycle,
    )


def _own_days(request: PlanRequest, course: Course, dose: Dose) -> tuple[OwnDay, ...] | None:
    """This order's days on the patient's calendar (docs/clinical-rules.md 3.9)."""
    if request.calendar is None or course.cycles is None:
        return None
    cycle_dates = [cycle.days for cycle in course.cycles]
    return tuple(own_days(cycle_dates, dose.daily_dose_g, request.calendar.own_sessions))


def plan_facts(
    request: PlanRequest,
    valid: ValidInputs,
    dosing_weight_kg: Decimal | None,
    course: Course,
    dose: Dose,
    rates: Rates,
    risk: PlanFacts,
) -> PlanFacts:
    """Stage 6: the facts the rules are evaluated on (the patient's risk plus the plan)."""
    return replace(
        risk,
        indication=request.indication,
        dosing_weight_basis_choice=request.dosing_weight_basis,
        dosing_weight_kg=dosing_weight_kg,
        daily_dose_g=dose.daily_dose_g,
        ordered_cycle_dose_g_per_kg=_ordered_cycle_dose_g_per_kg(request.regimen, valid),
        cycles=valid.cycles,
        cycle_interval_days=valid.interval_days,
        planned_days=course.planned_days,
        target_rate_ml_per_h=valid.target_rate_ml_per_h,
        maximum_rate_ml_per_h=max_rate_ml_per_h(request.policy.max_rate_ml_per_h),
        at_risk_cap_ml_per_h=rates.at_risk_cap_ml_per_h,
        at_risk_cap_from_policy=rates.caps is not None and rates.caps.at_risk_from_policy,
        concomitant_immunosuppressant=request.concomitant_immunosuppressant,
        evaluated_on=request.evaluated_on,
        authorization_covered=request.authorization_covered,
        calendar=request.calendar,
        own_days=_own_days(request, course, dose),
        weight_kg=valid.weight_kg,
        signed_weight_kg=request.signed_weight_kg,
        session_on=request.session_on,
        prior_reactions=tuple(request.prior_reactions),
        premedication=tuple(request.premedication),
    )


def plan_findings(facts: PlanFacts, problems: tuple[str, ...]) -> list[Finding]:
    """Stage 7: every rule's finding, INVALID_INPUT first when there is a problem, in order."""
    found = evaluate(facts)
    if problems:
        found.insert(0, f.invalid_input(list(problems)))
    return f.ordered(found)


# --- the plan -----------------------------------------------------------------------------


def dose_plan(
    request: PlanRequest,
    weights: Weights,
    course: Course,
    dose: Dose,
    rates: Rates,
    found: list[Finding],
) -> DosePlan:
    """Stage 8: the plan as docs/api.md gives it, every number rounded for display."""
    policy = request.policy
    planned = rates.titration
    rounding = dose.rounding
    infusion_minutes = _or_none(planned, lambda run: run.infusion_minutes)
    return DosePlan(
        bmi=_or_none(weights.bmi, _bmi_for_display),
        ideal_body_weight_kg=_or_none(weights.ideal_kg, round_weight_kg),
        adjusted_body_weight_kg=_or_none(weights.adjusted_kg, round_weight_kg),
        dosing_weight_kg=weights.dosing_weight_kg,
        dosing_weight_basis=weights.basis,
        calculated_daily_dose_g=_or_none(dose.calculated_g, _dose_for_display),
        daily_dose_g=dose.daily_dose_g,
        vials=_or_none(rounding, _vial_counts),
        waste_g=_or_none(rounding, lambda vials: vials.waste_g),
        daily_volume_ml=dose.volume_ml,
        cycle_dose_g=dose.cycle_dose_g,
        cycle_dose_g_per_kg=dose.cycle_dose_g_per_kg,
        titration=_or_none(planned, Titration.plan_steps),
        target_rate_reached_min=_or_none(planned, lambda run: run.target_rate_reached_min),
        infusion_minutes=infusion_minutes,
        vital_checks_min=_or_none(planned, _vital_checks),
        premedication_min_before=policy.premedication_lead_minutes,
        chair_minutes=_or_none(infusion_minutes, lambda minutes: _chair_minutes(policy, minutes)),
        cycles=_or_none(course.cycles, list),
        cost_per_cycle=dose.cost_per_cycle,
        findings=found,
    )


def _vital_checks(run: Titration) -> list[int]:
    return vital_checks_min(run.infusion_minutes, run.target_rate_reached_min)


def _chair_minutes(policy: DosingPolicy, infusion_minutes: int) -> int:
    return chair_minutes(
        policy.premedication_lead_minutes, infusion_minutes, policy.observation_minutes
    )


def _bmi_for_display(bmi: Decimal) -> Decimal:
    return bmi.quantize(BMI_DISPLAY_QUANTUM, rounding=ROUND_HALF_UP)


def _dose_for_display(dose_g: Decimal) -> Decimal:
    return dose_g.quantize(DOSE_DISPLAY_QUANTUM_G, rounding=ROUND_HALF_UP)


def _vial_counts(rounding: VialRounding) -> list[VialCount]:
    return [VialCount(size_g=size_g, count=count) for size_g, count in rounding.vials]
