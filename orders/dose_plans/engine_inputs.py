"""Model rows → engine inputs, in one place (docs/clinical-rules.md 2, STYLE: services translate
rows into engine inputs here, never in views)."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from typing import Any

from formulary.engine_inputs import dosing_policy_facts, product_facts
from formulary.models import DosingPolicy, Product
from ivig.engine import (
    CycleFacts,
    HemoglobinReview,
    IndicationFacts,
    PatientFacts,
    PlanRequest,
    Regimen,
)
from orders.labs.selectors import lab_fact_fields_of, lab_fields_from
from orders.models import Indication, Order, Patient, PatientWeight
from orders.patients.models import WEIGHT_LATEST_FIRST
from orders.ports import last_cycle_source
from orders.premedication.services import premedication_line_facts
from orders.reviews.selectors import hemoglobin_reviews_of

from .per_request import once_per_request, policy_in_force


def indication_facts(indication: Indication) -> IndicationFacts:
    """The indication's maxima for MAX_DAILY_DOSE and MAX_DOSE_PER_28_DAYS (docs/clinical-rules.md
    3.8)."""
    return IndicationFacts(
        slug=indication.slug,
        name=indication.name,
        category=indication.category,
        max_daily_g_per_kg=indication.max_daily_g_per_kg,
        max_g_per_kg_per_28_days=indication.max_g_per_kg_per_28_days,
    )


def latest_weight(patient: Patient, *, as_of: date) -> PatientWeight | None:
    """The latest weight measured on or before ``as_of`` (docs/clinical-rules.md 3.1), or None
    (``latest_weights`` of one patient)."""
    return latest_weights([patient], as_of=as_of)[patient.pk]


def latest_weights(patients: Sequence[Patient], *, as_of: date) -> dict[int, PatientWeight | None]:
    """Per patient id, the latest weight measured on or before ``as_of`` (``latest_weight_of``),
    or None: one query, whatever the number of patients."""
    weights: dict[int, list[PatientWeight]] = {patient.pk: [] for patient in patients}
    for weight in PatientWeight.objects.filter(
        patient_id__in=list(weights), measured_on__lte=as_of
    ).order_by(*WEIGHT_LATEST_FIRST):
        weights[weight.patient_id].append(weight)
    return {pk: latest_weight_of(rows, as_of=as_of) for pk, rows in weights.items()}


def latest_weight_of(weights: Iterable[PatientWeight], *, as_of: date) -> PatientWeight | None:
    """The latest weight measured on or before ``as_of`` among a patient's weights already read,
    latest first (the model's ordering, ``WEIGHT_LATEST_FIRST``)."""
    return next((weight for weight in weights if weight.measured_on <= as_of), None)


def patient_facts_key(patient_id: int, as_of: date) -> tuple[str, int, date]:
    """The key a patient's facts on ``as_of`` are kept under within a request that only reads
    (``once_per_request``; ``orders.dose_plans.plan_facts`` reads a page's in bulk)."""
    return ("patient facts", patient_id, as_of)


def patient_facts(patient: Patient, *, as_of: date) -> PatientFacts:
    """The patient as the engine sees them on ``as_of``: age on that date and the latest weight
    measured on or before it, with its date for WEIGHT_OUTDATED (docs/clinical-rules.md 3.1, 3.8);
    the laboratory results taken on or before it and the last cycle given (docs/clinical-rules.md
    3.8.2). Read once per patient and day within a request that only reads (the patient page
    charts each of the patient's orders)."""
    if patient.pk is None:
        return _read_patient_facts(patient, as_of)
    return once_per_request(
        patient_facts_key(patient.pk, as_of), lambda: _read_patient_facts(patient, as_of)
    )


@dataclass(frozen=True)
class PlanWeight:
    """The latest weight a plan is made from, as a page shows it beside the plan."""

    weight_kg: Decimal
    measured_on: date


def plan_weight(patient: Patient, *, as_of: date) -> PlanWeight | None:
    """The latest weight measured on or before ``as_of`` as the plans of that day read it
    (``patient_facts``), or None: the figure a page shows beside its plan is the plan's (one
    truth, docs/clinical-rules.md 3.1), and a page that plans reads it once (issue 21)."""
    facts = patient_facts(patient, as_of=as_of)
    if facts.weight_kg is None or facts.weight_measured_on is None:
        return None
    return PlanWeight(weight_kg=facts.weight_kg, measured_on=facts.weight_measured_on)


def _read_patient_facts(patient: Patient, as_of: date) -> PatientFacts:
    return patients_facts([patient], as_of=as_of)[patient.pk]


def patients_facts(patients: Sequence[Patient], *, as_of: date) -> dict[int, PatientFacts]:
    """Per patient id, ``patient_facts`` read afresh, each fact for every patient at once: four
    queries (weights, laboratory results, last cycles given, hemoglobin reviews), whatever the
    number of patients."""
    weights = latest_weights(patients, as_of=as_of)
    labs = lab_fact_fields_of(patients, as_of=as_of)
    last_cycles = last_cycle_source()(patients, as_of)
    reviews = hemoglobin_reviews_of(patients, as_of=as_of)
    return {
        patient.pk: facts_of(
            patient,
            as_of=as_of,
            weight=weights[patient.pk],
            labs=labs[patient.pk],
            last_cycle=last_cycles[patient.pk],
            reviews=reviews[patient.pk],
        )
        for patient in patients
    }


def new_patient_facts(
    patient: Patient, *, as_of: date, weight: PatientWeight | None
) -> PatientFacts:
    """``patient_facts`` of a patient with no laboratory result, no cycle given and no review
    yet, whose latest weight as of ``as_of`` the caller has read (``seed_scale``'s new
    patients)."""
    return facts_of(
        patient, as_of=as_of, weight=weight, labs=lab_fields_from([]), last_cycle=None, reviews=[]
    )


def facts_of(
    patient: Patient,
    *,
    as_of: date,
    weight: PatientWeight | None,
    labs: dict[str, Any],
    last_cycle: CycleFacts | None,
    reviews: list[HemoglobinReview],
) -> PatientFacts:
    """``PatientFacts`` from the rows ``patient_facts`` reads."""
    return PatientFacts(
        weight_kg=weight.weight_kg if weight else None,
        height_cm=patient.height_cm,
        sex=patient.sex or None,
        age_years=patient.age_years(as_of),
        blood_group=patient.blood_group,
        iga_status=patient.iga_status,
        risk_factors=list(patient.risk_factors),
        pregnant=patient.pregnant,
        weight_measured_on=weight.measured_on if weight else None,
        **labs,
        last_cycle=last_cycle,
        hemoglobin_reviews=reviews,
    )


def product_facts_key(product_id: int, on: date) -> tuple[str, int, date]:
    """The key a product's facts costed on ``on`` are kept under within a request that only
    reads (``once_per_request``; ``orders.dose_plans.plan_facts`` reads a page's in bulk)."""
    return ("product facts", product_id, on)


@dataclass(frozen=True)
class RegimenValues:
    """An order's regimen and administration choices, saved or straight from a form."""

    total_dose_g_per_kg: Decimal | None
    daily_dose_mg_per_kg: Decimal | None
    days_per_cycle: int
    cycles: int
    cycle_interval_days: int
    start_date: date
    dosing_weight_basis: str = "auto"
    rate_protocol: str = "protocol"
    target_rate_ml_per_h: int = 200
    concomitant_immunosuppressant: str = ""


REGIMEN_FIELDS = tuple(field.name for field in fields(RegimenValues))


def plan_request_from_values(
    *,
    patient: Patient,
    product: Product,
    indication: Indication,
    regimen: RegimenValues,
    evaluated_on: date,
    weight_today_kg: Decimal | None = None,
    facts: PatientFacts | None = None,
    policy: DosingPolicy | None = None,
) -> PlanRequest:
    """The engine's request for these rows and choices on ``evaluated_on`` (docs/clinical-rules.md
    2: the one path from rows to the engine, for saved orders and for the order form's live
    preview).

    ``weight_today_kg``, when given, is used as a weight measured on ``evaluated_on`` (the
    order form records it on saving). The product is costed at its price on ``evaluated_on``;
    a product without a price is ``FormularyError`` (docs/clinical-rules.md 3.7). A regimen that
    names both or neither dose is the engine's ``ValueError``.

    ``facts`` and ``policy``, when given, are the patient's facts on ``evaluated_on`` and the
    policy in force already read (``seed_scale``, planning thousands of orders at once).
    """
    if facts is None:
        facts = patient_facts(patient, as_of=evaluated_on)
    if weight_today_kg is not None:
        facts = facts.model_copy(
            update={"weight_kg": weight_today_kg, "weight_measured_on": evaluated_on}
        )
    return PlanRequest(
        patient=facts,
        product=once_per_request(
            product_facts_key(product.pk, evaluated_on),
            lambda: product_facts(product, on=evaluated_on),
        ),
        indication=indication_facts(indication),
        regimen=Regimen(
            total_dose_g_per_kg=regimen.total_dose_g_per_kg,
            daily_dose_mg_per_kg=regimen.daily_dose_mg_per_kg,
            days_per_cycle=regimen.days_per_cycle,
            cycles=regimen.cycles,
            cycle_interval_days=regimen.cycle_interval_days,
            start_date=regimen.start_date,
        ),
        dosing_weight_basis=regimen.dosing_weight_basis,
        rate_protocol=regimen.rate_protocol,
        target_rate_ml_per_h=regimen.target_rate_ml_per_h,
        concomitant_immunosuppressant=regimen.concomitant_immunosuppressant or None,
        policy=dosing_policy_facts(policy or policy_in_force()),
        evaluated_on=evaluated_on,
        # NO_AUTHORIZATION: judged for saved orders by
        # ``orders.dose_plans.plan_accessor.order_plan``.
        authorization_covered=None,
    )


def regimen_values(order: Order) -> RegimenValues:
    return RegimenValues(**{name: getattr(order, name) for name in REGIMEN_FIELDS})


def plan_request_for_order(
    order: Order,
    *,
    evaluated_on: date,
    facts: PatientFacts | None = None,
    policy: DosingPolicy | None = None,
) -> PlanRequest:
    """The engine's request for a saved order on ``evaluated_on`` (the signing date drives
    WEIGHT_OUTDATED, docs/clinical-rules.md 3.8): the patient's latest weight as of that date
    (``facts`` and ``policy``: ``plan_request_from_values``)."""
    request = plan_request_from_values(
        patient=order.patient,
        product=order.product,
        indication=order.indication,
        regimen=regimen_values(order),
        evaluated_on=evaluated_on,
        facts=facts,
        policy=policy,
    )
    # docs/clinical-rules.md 3.5: the order's premedication lines (PREMEDICATION_DOSE_HIGH).
    return request.model_copy(update={"premedication": premedication_line_facts(order)})
