"""Inputs and outputs of the dose/rate engine (docs/clinical-rules.md 2, 3; docs/api.md).

Inputs are frozen pydantic models that refuse unknown fields. They check *types* only; clinical
*ranges* (weight 1-350 kg, height 40-250 cm, days per cycle 1-5, ...) are the engine's business
and come back as an ``INVALID_INPUT`` finding (docs/clinical-rules.md 3.8), never as a validation
error. The one structural rule enforced here is that a regimen names exactly one of
``total_dose_g_per_kg`` and ``daily_dose_mg_per_kg`` (docs/api.md); the API turns that
``ValueError`` into a 400.

Formulary facts (``ProductFacts``, ``DosingPolicy``) are owned by pharmacists and built by the
formulary app; their sanity constraints (concentration above 0, vial sizes above 0, ...) are
enforced here because a nonsensical formulary row is a data error, not a clinical finding.

``DosePlan`` has exactly the fields of docs/api.md's response, in that order. Every field the engine
may be unable to compute is ``None`` (JSON null). ``DosePlan.model_dump(mode="json")`` (or
``dose_plan_to_json``) gives the docs/api.md shape: decimals as strings without trailing zeros (see
``format_decimal``), except a titration step's ``minutes`` and ``volume_ml`` which keep exactly
one decimal place ("15.0"); whole numbers as integers; dates as ISO 8601.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, model_validator

from ivig.engine.formatting import format_decimal

Sex = Literal["female", "male"]
BloodGroup = Literal["O", "A", "B", "AB", "unknown"]
IgaStatus = Literal["normal", "deficient", "deficient_with_antibodies", "unknown"]
RiskFactor = Literal[
    "migraine",
    "cardiac_disease",
    "cardiac_insufficiency",
    "stroke",
    "myocardial_infarction",
    "thrombosis",
    "hypercoagulable",
    "limited_mobility",
    "estrogen_use",
    "indwelling_catheter",
    "renal_impairment",
    "renal_failure",
    "diabetes",
    "dehydration",
    "sepsis",
    "nephrotoxic_drugs",
]
DosingWeightBasisChoice = Literal["auto", "actual", "ideal", "adjusted"]
DosingWeightBasis = Literal["actual", "ideal", "adjusted"]
RateProtocol = Literal["protocol", "label"]
AdjustedWeightRule = Literal["bmi_or_ibw_percent", "any_adult_above_ibw"]
Severity = Literal["stop", "override", "warn"]
PremedicationRoute = Literal["PO", "IV", "IM", "PR"]
PremedicationDoseUnit = Literal["mg"]

_ONE_PLACE = Decimal("0.1")


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


AboGroup = Literal["O", "A", "B", "AB"]
ReactionSeverity = Literal["mild", "moderate", "severe"]


class LabValue(_Input):
    """One numeric laboratory result: the day it was taken and its value in the unit the field
    holding it names (docs/clinical-rules.md 3.8.2)."""

    taken_on: date
    value: Decimal


class CycleFacts(_Input):
    """A cycle given to the patient (its first and last infusion day) and its dose in g/kg as
    ordered (docs/clinical-rules.md 3.8.2, HEMOLYSIS_SUSPECTED)."""

    first_day: date
    last_day: date
    dose_g_per_kg: Decimal


class HemoglobinReview(_Input):
    """A clinician's response review that names the hemoglobin result it answered, and its
    decision (docs/clinical-rules.md 3.8.2, HEMOLYSIS_SUSPECTED: a decision to continue,
    recorded on or after that result's day, releases the next cycle)."""

    answered: LabValue  # g/dL
    reviewed_on: date
    decision: Literal["continue", "taper", "stop"]


class ReactionFacts(_Input):
    """An infusion reaction (an adverse event of an earlier session of the patient) and whether a
    clinician has recorded a plan for it (docs/clinical-rules.md 3.8.3)."""

    session_id: int
    occurred_on: date
    severity: ReactionSeverity
    symptoms: list[str] = Field(default_factory=list)  # watch-list labels, in words
    rate_at_onset_ml_per_h: int | None = None
    action: str = ""
    planned: bool = False


class PatientFacts(_Input):
    """The patient as the engine sees them. Missing or out-of-range values give INVALID_INPUT."""

    weight_kg: Decimal | None
    height_cm: Decimal | None
    sex: Sex | None
    age_years: int
    blood_group: BloodGroup = "unknown"
    iga_status: IgaStatus = "unknown"
    risk_factors: list[RiskFactor] = Field(default_factory=list)
    pregnant: bool = False
    # Not part of the public API request: the orders app fills it for WEIGHT_OUTDATED.
    weight_measured_on: date | None = None
    # Laboratory facts (docs/clinical-rules.md 3.8.2); not part of the public API request: the
    # orders app fills them from the latest results on or before the evaluation date.
    latest_egfr_ml_min_173m2: Decimal | None = None  # eGFR, mL/min/1.73 m²
    egfr_on: date | None = None
    creatinine_on: date | None = None  # the day of the latest creatinine
    hemoglobin_results: list[LabValue] = Field(default_factory=list)  # g/dL, any order
    last_cycle: CycleFacts | None = None  # the patient's last cycle given (infusions)
    hemoglobin_reviews: list[HemoglobinReview] = Field(default_factory=list)
    iga_below_detection: bool = False  # the latest IgA result is below the detection limit
    iga_on: date | None = None
    abo_from_lab: AboGroup | None = None  # the ABO part of the latest ABO/Rh result
    abo_on: date | None = None


class LabelRateStep(_Input):
    """One step of a product's label titration; ``minutes`` None = runs to the end (last step)."""

    rate_mg_per_kg_per_min: Decimal = Field(gt=0)
    minutes: int | None = Field(default=None, gt=0)


class ProductFacts(_Input):
    """What the formulary knows about a product (seeded from formulary/data/products.csv)."""

    slug: str
    brand_name: str
    concentration_pct: Decimal = Field(gt=0)
    low_iga: bool
    contains_sucrose: bool
    # Maltose among the stabilizers: GDH-PQQ glucose meters read falsely high (label warning).
    contains_maltose: bool = False
    vial_sizes_g: list[Decimal]  # active sizes only; empty gives INVALID_INPUT
    label_rate_steps: list[LabelRateStep]
    label_max_mg_per_kg_per_min: Decimal | None = Field(default=None, gt=0)
    at_risk_max_mg_per_kg_per_min: Decimal | None = Field(default=None, gt=0)
    price_per_g: Decimal = Field(ge=0)

    @model_validator(mode="after")
    def _check_vials_and_steps(self) -> ProductFacts:
        if any(size_g <= 0 for size_g in self.vial_sizes_g):
            raise ValueError("vial sizes must be above 0 g")
        if any(step.minutes is None for step in self.label_rate_steps[:-1]):
            raise ValueError("every label rate step but the last needs its minutes")
        return self


class IndicationFacts(_Input):
    """An indication row of orders/data/indications.csv, as far as the engine needs it."""

    slug: str
    name: str
    category: str
    max_daily_g_per_kg: Decimal = Field(gt=0)
    max_g_per_kg_per_28_days: Decimal = Field(gt=0)


class Regimen(_Input):
    """Exactly one of ``total_dose_g_per_kg`` (per cycle) or ``daily_dose_mg_per_kg``."""

    total_dose_g_per_kg: Decimal | None = None
    daily_dose_mg_per_kg: Decimal | None = None
    days_per_cycle: int
    cycles: int
    cycle_interval_days: int
    start_date: date

    @model_validator(mode="after")
    def _exactly_one_dose(self) -> Regimen:
        if (self.total_dose_g_per_kg is None) == (self.daily_dose_mg_per_kg is None):
            raise ValueError("give exactly one of total_dose_g_per_kg and daily_dose_mg_per_kg")
        return self


class DosingPolicy(_Input):
    """The pharmacy's dosing policy (formulary app)."""

    rounding_tolerance_pct: Decimal = Field(default=Decimal(10), ge=0)
    max_rate_ml_per_h: int = Field(default=200, ge=1)
    premedication_lead_minutes: int = Field(default=30, ge=0)
    observation_minutes: int = Field(default=30, ge=0)
    # docs/clinical-rules.md 3.4 (rules v3): the at-risk maximum where the formulary records none
    # for the product (the Octagam labels' at-risk maximum).
    default_at_risk_max_mg_per_kg_per_min: Decimal = Field(default=Decimal("3.3"), gt=0)
    # docs/clinical-rules.md 3.1 (rules v3): which adults are dosed on adjusted body weight.
    adjusted_weight_rule: AdjustedWeightRule = "bmi_or_ibw_percent"


class PremedicationDrugFacts(_Input):
    """A drug of the pharmacist's premedication catalogue (docs/clinical-rules.md 3.5): its adult
    dose, unit and usual route, and for children the dose per kg of actual weight and the
    maximum per kg (each None where the catalogue has none)."""

    slug: str
    name: str
    adult_dose: Decimal = Field(gt=0)
    dose_unit: PremedicationDoseUnit = "mg"
    route: PremedicationRoute
    child_dose_mg_per_kg: Decimal | None = Field(default=None, gt=0)
    child_max_mg_per_kg: Decimal | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _child_dose_within_maximum(self) -> PremedicationDrugFacts:
        # The children's default must never raise PREMEDICATION_DOSE_HIGH itself.
        dose, maximum = self.child_dose_mg_per_kg, self.child_max_mg_per_kg
        if dose is not None and maximum is not None and dose > maximum:
            raise ValueError("the children's dose per kg must not be above their maximum per kg")
        return self


class PremedicationLine(_Input):
    """One premedication line of an order (docs/clinical-rules.md 3.5): drug, dose with unit,
    route and minutes before the infusion start."""

    drug: PremedicationDrugFacts
    dose: Decimal = Field(gt=0)
    dose_unit: PremedicationDoseUnit = "mg"
    route: PremedicationRoute
    minutes_before: int = Field(default=30, ge=0)


class CalendarDay(_Input):
    """One infusion day of another order of the patient (docs/clinical-rules.md 3.9).

    A live session (not cancelled or missed) with the grams given where recorded, else its
    planned daily dose; or a planned day of a cycle not yet booked. ``order_open``: the order is
    signed, verified or active (only open orders raise CONCURRENT_IVIG_ORDER)."""

    day: date
    dose_g: Decimal = Field(ge=0)
    order_id: int
    order_open: bool


class SessionDay(_Input):
    """A live session of this order (not cancelled or missed), with any proposed booking or
    move already applied by the caller; ``given_g`` None = no grams recorded yet."""

    cycle_number: int
    day: date
    given_g: Decimal | None = Field(default=None, ge=0)


class PatientCalendar(_Input):
    """The patient's IVIg calendar around this order (docs/clinical-rules.md 3.9): the days of the
    patient's *other* orders (never versions of this one) and this order's own live sessions."""

    other_days: list[CalendarDay] = Field(default_factory=list)
    own_sessions: list[SessionDay] = Field(default_factory=list)


class PlanRequest(_Input):
    """Everything the engine needs for one plan. ``product``/``indication`` None = unknown slug."""

    patient: PatientFacts
    product: ProductFacts | None
    indication: IndicationFacts | None
    regimen: Regimen
    dosing_weight_basis: DosingWeightBasisChoice = "auto"
    rate_protocol: RateProtocol = "protocol"
    target_rate_ml_per_h: int = 200
    concomitant_immunosuppressant: str | None = None
    policy: DosingPolicy = Field(default_factory=DosingPolicy)
    # Date of signing; with patient.weight_measured_on it drives WEIGHT_OUTDATED.
    evaluated_on: date | None = None
    # Orders only: False (explicitly not covered) gives NO_AUTHORIZATION; None = not checked.
    authorization_covered: bool | None = None
    # Orders only: the actual weight the signed plan used; drives WEIGHT_CHANGED.
    signed_weight_kg: Decimal | None = Field(default=None, gt=0)
    # Orders only: the patient's IVIg calendar; None = judge the course's own calendar alone.
    calendar: PatientCalendar | None = None
    # Sessions only: the day of the session this plan is checked for; drives CREATININE_DUE
    # (docs/clinical-rules.md 3.8.2). None = not a session's plan (signing, the API).
    session_on: date | None = None
    # Sessions only: the patient's reactions on earlier sessions (docs/clinical-rules.md 3.8.3).
    prior_reactions: list[ReactionFacts] = Field(default_factory=list)
    # Orders only: the order's premedication lines (docs/clinical-rules.md 3.5); drives
    # PREMEDICATION_DOSE_HIGH for children.
    premedication: list[PremedicationLine] = Field(default_factory=list)


def _one_place(value: Decimal) -> str:
    # docs/api.md shows titration minutes and volumes with exactly one decimal place: "15.0", "8.5".
    return format(value.quantize(_ONE_PLACE, rounding=ROUND_HALF_UP), "f")


# Decimals travel as strings without trailing zeros (docs/api.md).
DecimalText = Annotated[Decimal, PlainSerializer(format_decimal, return_type=str, when_used="json")]
# ... except a titration step's minutes and volume, which keep one decimal place.
DecimalOnePlace = Annotated[Decimal, PlainSerializer(_one_place, return_type=str, when_used="json")]


class _Output(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class VialCount(_Output):
    size_g: DecimalText
    count: int


class TitrationStep(_Output):
    """One rate step. ``minutes``/``volume_ml`` are rounded to 0.1 (half up) for display."""

    start_min: int
    rate_ml_per_h: int
    minutes: DecimalOnePlace
    volume_ml: DecimalOnePlace
    # What shaped the step's rate (rates.LimitedBy, docs/clinical-rules.md 3.4 rules v3): shown on
    # the order page and sheet. An explanation, not a number: not part of docs/api.md's JSON (so
    # a step read back from JSON has None) and not compared (a step is its four numbers).
    limited_by: str | None = Field(default=None, exclude=True)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, TitrationStep):
            return NotImplemented
        return (self.start_min, self.rate_ml_per_h, self.minutes, self.volume_ml) == (
            other.start_min,
            other.rate_ml_per_h,
            other.minutes,
            other.volume_ml,
        )

    def __hash__(self) -> int:
        return hash((self.start_min, self.rate_ml_per_h, self.minutes, self.volume_ml))


class CyclePlan(_Output):
    number: int
    days: list[date]


class Finding(_Output):
    code: str
    severity: Severity
    message: str


class DosePlan(_Output):
    """The engine's answer: docs/api.md's response, field for field, in order."""

    bmi: DecimalText | None
    ideal_body_weight_kg: DecimalText | None
    adjusted_body_weight_kg: DecimalText | None
    dosing_weight_kg: DecimalText | None
    dosing_weight_basis: DosingWeightBasis | None
    calculated_daily_dose_g: DecimalText | None
    daily_dose_g: DecimalText | None
    vials: list[VialCount] | None
    waste_g: DecimalText | None
    daily_volume_ml: int | None
    cycle_dose_g: DecimalText | None
    cycle_dose_g_per_kg: DecimalText | None
    titration: list[TitrationStep] | None
    target_rate_reached_min: int | None
    infusion_minutes: int | None
    vital_checks_min: list[int] | None
    premedication_min_before: int | None
    chair_minutes: int | None
    cycles: list[CyclePlan] | None
    cost_per_cycle: DecimalText | None
    findings: list[Finding]

    @property
    def cost_per_course(self) -> Decimal | None:
        """Cost per cycle times the number of cycles (docs/clinical-rules.md 3.7), for pages; not
        part of docs/api.md's JSON."""
        if self.cost_per_cycle is None or self.cycles is None:
            return None
        return self.cost_per_cycle * len(self.cycles)


def dose_plan_to_json(plan: DosePlan) -> dict[str, Any]:
    """The plan as docs/api.md's JSON object (ready for ``json.dumps``)."""
    return plan.model_dump(mode="json")
