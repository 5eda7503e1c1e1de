"""Changes to patients and their weights (docs/clinical-rules.md 1, 3.1, 4): one transaction per
call, every rule checked here, every change kept in the history with the acting user, refusals
raised as ``OrderError``.

Role checks are the views' business (docs/clinical-rules.md 1); services assume the caller may act.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from ivig.accounts.models import User
from ivig.engine import unusual_weight_reasons
from orders.errors import OrderError
from orders.saving import save_validated, stale_error

from .models import BloodGroup, IgaStatus, Patient, PatientWeight, RiskFactor

# What a clinician may edit on a patient; ``version`` and timestamps are the service's own.
PATIENT_FIELDS = (
    "mrn",
    "family_name",
    "given_name",
    "date_of_birth",
    "sex",
    "height_cm",
    "blood_group",
    "iga_status",
    "risk_factors",
    "pregnant",
    "allergies",
    "notes",
)


def _in_canonical_order(risk_factors: list[str] | None) -> list[str]:
    """Risk factors in docs/api.md's order, so that reordering is not a change; unknown codes are
    kept (last) for validation to refuse."""
    order = {code: index for index, code in enumerate(RiskFactor.values)}
    return sorted(risk_factors or [], key=lambda code: order.get(code, len(order)))


@transaction.atomic
def patient_create(
    *,
    by: User,
    mrn: str,
    family_name: str,
    given_name: str,
    date_of_birth: date,
    sex: str,
    height_cm: Decimal | None = None,
    blood_group: str = BloodGroup.UNKNOWN,
    iga_status: str = IgaStatus.UNKNOWN,
    risk_factors: list[str] | None = None,
    pregnant: bool = False,
    allergies: str = "",
    notes: str = "",
    weight_kg: Decimal | None = None,
    weight_measured_on: date | None = None,
    confirm_unusual: bool = False,
) -> Patient:
    """Register a patient (docs/clinical-rules.md 1: clinicians register patients), with a first
    weight when ``weight_kg`` is given (measured today unless ``weight_measured_on`` says otherwise;
    an unusual one needs ``confirm_unusual``, docs/clinical-rules.md 3.1.1).

    Refuses a duplicate MRN, unknown risk factor codes (docs/api.md), a future date of birth,
    pregnancy recorded for a male patient and values outside physical bounds.
    """
    patient = Patient(
        mrn=mrn.strip(),
        family_name=family_name.strip(),
        given_name=given_name.strip(),
        date_of_birth=date_of_birth,
        sex=sex,
        height_cm=height_cm,
        blood_group=blood_group,
        iga_status=iga_status,
        risk_factors=_in_canonical_order(risk_factors),
        pregnant=pregnant,
        allergies=allergies,
        notes=notes,
    )
    save_validated(patient, by)
    if weight_kg is not None:
        patient_weight_record(
            patient,
            by=by,
            weight_kg=weight_kg,
            measured_on=weight_measured_on or timezone.localdate(),
            confirm_unusual=confirm_unusual,
        )
    return patient


@transaction.atomic
def patient_update(patient: Patient, *, by: User, version: int, **changes: Any) -> Patient:
    """Change a patient's record; ``version`` is the one the editor saw (docs/clinical-rules.md 4: a
    stale edit is refused with a clear message, never lost, never silently overwriting another's
    change).

    ``changes`` are fields of ``PATIENT_FIELDS``; only those given change. Every saved change
    increments ``version`` and records a history entry by ``by``. A change that changes nothing
    saves nothing.
    """
    unknown = set(changes) - set(PATIENT_FIELDS)
    if unknown:
        raise TypeError(f"patient_update() cannot change {', '.join(sorted(unknown))}")
    current = Patient.objects.select_for_update().get(pk=patient.pk)
    if current.version != version:
        raise stale_error(current, version)
    stored = {name: getattr(current, name) for name in PATIENT_FIELDS}
    for name, value in changes.items():
        if name in ("mrn", "family_name", "given_name"):
            value = value.strip()
        elif name == "risk_factors":
            value = _in_canonical_order(value)
        setattr(current, name, value)
    if all(getattr(current, name) == value for name, value in stored.items()):
        return current
    # Compare-and-swap on the version: the guard that also holds where SELECT ... FOR UPDATE
    # does not lock (SQLite).
    claimed = Patient.objects.filter(pk=current.pk, version=version).update(version=version + 1)
    if not claimed:
        raise stale_error(current, version)
    current.version = version + 1
    current.updated_at = timezone.now()
    save_validated(current, by)
    return current


def _check_unusual_weight(
    patient: Patient, weight_kg: Decimal, measured_on: date, *, confirmed: bool, field: str
) -> None:
    """docs/clinical-rules.md 3.1.1: a weight differing by 20 % or more from the previous one
    measured within 30 days before it, or an adult BMI under 12 or over 80, is refused unless
    ``confirmed``, the reason on ``field`` (the engine's ``unusual_weight_reasons`` decides)."""
    if confirmed:
        return
    previous = (
        PatientWeight.objects.filter(patient=patient, measured_on__lte=measured_on)
        .order_by("-measured_on", "-recorded_at", "-pk")
        .first()
    )
    reasons = unusual_weight_reasons(
        weight_kg=weight_kg,
        height_cm=patient.height_cm,
        age_years=patient.age_years(measured_on) if patient.date_of_birth else None,
        measured_on=measured_on,
        previous_weight_kg=previous.weight_kg if previous else None,
        previous_measured_on=previous.measured_on if previous else None,
    )
    if reasons:
        messages = [f"{reason.rstrip('.')}: confirm it if it is right." for reason in reasons]
        raise OrderError(
            OrderError.UNUSUAL_WEIGHT, " ".join(messages), field_errors={field: messages}
        )


@transaction.atomic
def patient_weight_record(
    patient: Patient,
    *,
    by: User,
    weight_kg: Decimal,
    measured_on: date,
    confirm_unusual: bool = False,
    field: str = "weight_kg",
) -> PatientWeight:
    """Append a measured weight (docs/clinical-rules.md 3.1: the latest weight is the dosing basis;
    3.8: a weight older than 30 days at signing needs an override). Weights are never edited; a
    correction is a new measurement. Refuses a future date, a date before birth and a weight
    outside 0.3-500 kg (the engine flags clinical limits), and an unusual weight unless
    ``confirm_unusual`` (docs/clinical-rules.md 3.1.1; the reason on ``field``)."""
    weight = PatientWeight(
        patient=patient, weight_kg=weight_kg, measured_on=measured_on, recorded_by=by
    )
    try:  # the bounds and dates first: an impossible weight is refused whatever is confirmed
        weight.full_clean()
    except ValidationError as error:
        raise OrderError.from_validation_error(error) from error
    _check_unusual_weight(patient, weight_kg, measured_on, confirmed=confirm_unusual, field=field)
    save_validated(weight, by)
    return weight
