"""The IVIg dose/rate engine: pure Python + pydantic, no Django (docs/clinical-rules.md 2, 3;
docs/api.md).

One entry point, ``compute_plan(PlanRequest) -> DosePlan``. Where each rule lives:
- ``weights``: BMI, ideal/adjusted body weight, dosing-weight basis (docs/clinical-rules.md 3.1)
- ``dosing``: daily dose, rounding to vials, vial mix, volume, cycle dose, cost (3.2, 3.3, 3.7)
- ``rates``: protocol and label titration, caps, infusion minutes (3.4)
- ``premedication``: premedication lines, children's weight-based doses (3.5)
- ``schedule``: vital checks, chair time, cycle calendar, 28-day windows (3.5, 3.6)
- ``findings``: finding codes, severities, messages and order (3.8)
- ``rules``: the table of rules deciding each finding; ``product_findings`` (3.8, 3.9)
- ``calendar``: the patient's IVIg calendar: grams per day, 28-day windows, concurrent orders
  (docs/clinical-rules.md 3.9); ``limits``: the INVALID_INPUT ranges
- ``plan``: validation (INVALID_INPUT) and the recipe tying them together
- ``models``: the pydantic inputs and outputs; ``formatting``: ``format_decimal``
"""

from ivig.engine.dosing import (
    COST_QUANTUM,
    CYCLE_DOSE_PER_KG_QUANTUM,
    DOSE_DISPLAY_QUANTUM_G,
    FALLBACK_DOSE_QUANTUM_G,
)
from ivig.engine.findings import (
    FINDING_TITLES,
    RENAL_RISK_FACTORS,
    RISK_MIN_AGE_YEARS,
    SEVERITY_BY_CODE,
    THROMBOSIS_RISK_FACTORS,
    USUAL_CYCLE_INTERVAL_MAX_DAYS,
    USUAL_CYCLE_INTERVAL_MIN_DAYS,
    WEIGHT_OUTDATED_AFTER_DAYS,
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
    CalendarDay,
    CycleFacts,
    CyclePlan,
    DosePlan,
    DosingPolicy,
    Finding,
    HemoglobinReview,
    IndicationFacts,
    LabelRateStep,
    LabValue,
    PatientCalendar,
    PatientFacts,
    PlanRequest,
    PremedicationDrugFacts,
    PremedicationLine,
    ProductFacts,
    ReactionFacts,
    Regimen,
    RiskFactor,
    SessionDay,
    TitrationStep,
    VialCount,
    dose_plan_to_json,
)
from ivig.engine.plan import compute_plan
from ivig.engine.premedication import (
    DEFAULT_DRUGS as DEFAULT_PREMEDICATION_DRUGS,
)
from ivig.engine.premedication import (
    child_dose_mg,
    default_dose,
    default_lines,
)
from ivig.engine.rates import (
    ABSOLUTE_MAX_RATE_ML_PER_H,
    MIN_RATE_ML_PER_H,
    PROTOCOL_START_ML_PER_KG_PER_H,
    PROTOCOL_STEP_MINUTES,
    PROTOCOL_STEP_ML_PER_H,
)
from ivig.engine.rules import PRODUCT_RULES, RULES, PlanFacts, Rule, product_findings
from ivig.engine.schedule import (
    VITALS_EVERY_MIN_UNTIL_STABLE,
    VITALS_EVERY_MIN_WHEN_STABLE,
    WINDOW_DAYS,
)
from ivig.engine.weights import (
    ADJUSTED_BASIS_ACTUAL_OVER_IBW_RATIO,
    ADJUSTED_BASIS_BMI_OVER,
    ADJUSTED_BASIS_MIN_AGE_YEARS,
    ADJUSTED_BASIS_MIN_HEIGHT_CM,
    ADJUSTED_WEIGHT_FRACTION_OF_EXCESS,
    IBW_BASE_FEMALE_KG,
    IBW_BASE_MALE_KG,
    IBW_KG_PER_INCH_OVER_60,
    ideal_and_adjusted_weights_apply,
    unusual_weight_reasons,
)

__all__ = [
    "ABSOLUTE_MAX_RATE_ML_PER_H",
    "ADJUSTED_BASIS_ACTUAL_OVER_IBW_RATIO",
    "ADJUSTED_BASIS_BMI_OVER",
    "ADJUSTED_BASIS_MIN_AGE_YEARS",
    "ADJUSTED_BASIS_MIN_HEIGHT_CM",
    "ADJUSTED_WEIGHT_FRACTION_OF_EXCESS",
    "AGE_MAX_YEARS",
    "AGE_MIN_YEARS",
    "COST_QUANTUM",
    "CYCLES_MAX",
    "CYCLES_MIN",
    "CYCLE_DOSE_PER_KG_QUANTUM",
    "CYCLE_INTERVAL_MAX_DAYS",
    "CYCLE_INTERVAL_MIN_DAYS",
    "DAYS_PER_CYCLE_MAX",
    "DAYS_PER_CYCLE_MIN",
    "DEFAULT_PREMEDICATION_DRUGS",
    "DOSE_DISPLAY_QUANTUM_G",
    "FALLBACK_DOSE_QUANTUM_G",
    "FINDING_TITLES",
    "HEIGHT_MAX_CM",
    "HEIGHT_MIN_CM",
    "IBW_BASE_FEMALE_KG",
    "IBW_BASE_MALE_KG",
    "IBW_KG_PER_INCH_OVER_60",
    "MAX_PLAUSIBLE_DAILY_DOSE_G_PER_KG",
    "MIN_RATE_ML_PER_H",
    "PRODUCT_RULES",
    "PROTOCOL_START_ML_PER_KG_PER_H",
    "PROTOCOL_STEP_MINUTES",
    "PROTOCOL_STEP_ML_PER_H",
    "RENAL_RISK_FACTORS",
    "RISK_MIN_AGE_YEARS",
    "RULES",
    "SEVERITY_BY_CODE",
    "TARGET_RATE_MIN_ML_PER_H",
    "THROMBOSIS_RISK_FACTORS",
    "USUAL_CYCLE_INTERVAL_MAX_DAYS",
    "USUAL_CYCLE_INTERVAL_MIN_DAYS",
    "VITALS_EVERY_MIN_UNTIL_STABLE",
    "VITALS_EVERY_MIN_WHEN_STABLE",
    "WEIGHT_MAX_KG",
    "WEIGHT_MIN_KG",
    "WEIGHT_OUTDATED_AFTER_DAYS",
    "WINDOW_DAYS",
    "CalendarDay",
    "CycleFacts",
    "CyclePlan",
    "DosePlan",
    "DosingPolicy",
    "Finding",
    "HemoglobinReview",
    "IndicationFacts",
    "LabValue",
    "LabelRateStep",
    "PatientCalendar",
    "PatientFacts",
    "PlanFacts",
    "PlanRequest",
    "PremedicationDrugFacts",
    "PremedicationLine",
    "ProductFacts",
    "ReactionFacts",
    "Regimen",
    "RiskFactor",
    "Rule",
    "SessionDay",
    "TitrationStep",
    "VialCount",
    "child_dose_mg",
    "compute_plan",
    "default_dose",
    "default_lines",
    "dose_plan_to_json",
    "format_decimal",
    "ideal_and_adjusted_weights_apply",
    "product_findings",
    "unusual_weight_reasons",
]
