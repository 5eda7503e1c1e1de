"""Model rows → engine inputs, in one place (DESIGN 2, STYLE: services translate rows into
engine inputs here, never in views)."""

from datetime import date

from ivig.engine import IndicationFacts, PatientFacts

from .models import Indication, Patient, PatientWeight


def indication_facts(indication: Indication) -> IndicationFacts:
    """The indication's maxima for MAX_DAILY_DOSE and MAX_DOSE_PER_28_DAYS (DESIGN 3.8)."""
    return IndicationFacts(
        slug=indication.slug,
        name=indication.name,
        category=indication.category,
        max_daily_g_per_kg=indication.max_daily_g_per_kg,
        max_g_per_kg_per_28_days=indication.max_g_per_kg_per_28_days,
    )


def latest_weight(patient: Patient, *, as_of: date) -> PatientWeight | None:
    """The latest weight measured on or before ``as_of`` (DESIGN 3.1), or None."""
    return patient.weights.filter(measured_on__lte=as_of).first()


def patient_facts(patient: Patient, *, as_of: date) -> PatientFacts:
    """The patient as the engine sees them on ``as_of``: age on that date and the latest weight
    measured on or before it, with its date for WEIGHT_OUTDATED (DESIGN 3.1, 3.8)."""
    weight = latest_weight(patient, as_of=as_of)
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
    )
