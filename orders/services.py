"""Changes to patients (DESIGN 1, 4): one transaction per call, every rule checked here, every
change kept in the history with the acting user, refusals raised as ``OrderError``.

Role checks are the views' business (DESIGN 1); services assume the caller may act.
"""

from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from ivig.accounts.models import User

from .errors import OrderError
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
    """Risk factors in API.md's order, so that reordering is not a change; unknown codes are
    kept (last) for validation to refuse."""
    order = {code: index for index, code in enumerate(RiskFactor.values)}
    return sorted(risk_factors or [], key=lambda code: order.get(code, len(order)))


def _save_validated(instance: Patient | PatientWeight, by: User) -> None:
    """Validate every field, rule and constraint, then save with ``by`` in the history."""
    try:
        instance.full_clean()
    except ValidationError as error:
        raise OrderError.from_validation_error(error) from error
    instance._history_user = by  # type: ignore[union-attr]
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        # A concurrent registration took the MRN between the check and the insert.
        if (
            isinstance(instance, Patient)
            and Patient.objects.filter(mrn=instance.mrn).exclude(pk=instance.pk).exists()
        ):
            raise OrderError(
                OrderError.DUPLICATE_MRN,
                f"A patient with MRN {instance.mrn} already exists.",
                field_errors={"mrn": [f"A patient with MRN {instance.mrn} already exists."]},
            ) from error
        raise


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
) -> Patient:
    """Register a patient (DESIGN 1: clinicians register patients), with a first weight when
    ``weight_kg`` is given (measured today unless ``weight_measured_on`` says otherwise).

    Refuses a duplicate MRN, unknown risk factor codes (API.md), a future date of birth,
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
    _save_validated(patient, by)
    if weight_kg is not None:
        patient_weight_record(
            patient,
            by=by,
            weight_kg=weight_kg,
            measured_on=weight_measured_on or timezone.localdate(),
        )
    return patient


def _stale_error(patient_id: int, version: int) -> OrderError:
    latest = Patient.history.filter(id=patient_id).select_related("history_user").first()
    who = f" by {latest.history_user}" if latest and latest.history_user else ""
    when = (
        f" at {timezone.localtime(latest.history_date):%Y-%m-%d %H:%M}"
        if latest is not None
        else ""
    )
    message = (
        f"This patient was changed{who}{when} after you opened it (you had version {version}). "
        "Nothing was saved: open the patient again to see that change, then make yours."
    )
    return OrderError(OrderError.STALE_VERSION, message)


@transaction.atomic
def patient_update(patient: Patient, *, by: User, version: int, **changes: Any) -> Patient:
    """Change a patient's record; ``version`` is the one the editor saw (DESIGN 4: a stale edit
    is refused with a clear message, never lost, never silently overwriting another's change).

    ``changes`` are fields of ``PATIENT_FIELDS``; only those given change. Every saved change
    increments ``version`` and records a history entry by ``by``. A change that changes nothing
    saves nothing.
    """
    unknown = set(changes) - set(PATIENT_FIELDS)
    if unknown:
        raise TypeError(f"patient_update() cannot change {', '.join(sorted(unknown))}")
    current = Patient.objects.select_for_update().get(pk=patient.pk)
    if current.version != version:
        raise _stale_error(current.pk, version)
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
        raise _stale_error(current.pk, version)
    current.version = version + 1
    current.updated_at = timezone.now()
    _save_validated(current, by)
    return current


@transaction.atomic
def patient_weight_record(
    patient: Patient, *, by: User, weight_kg: Decimal, measured_on: date
) -> PatientWeight:
    """Append a measured weight (DESIGN 3.1: the latest weight is the dosing basis; 3.8: a
    weight older than 30 days at signing needs an override). Weights are never edited; a
    correction is a new measurement. Refuses a future date, a date before birth and a weight
    outside 0.3-500 kg (the engine flags clinical limits)."""
    weight = PatientWeight(
        patient=patient, weight_kg=weight_kg, measured_on=measured_on, recorded_by=by
    )
    _save_validated(weight, by)
    return weight
