"""Read queries of the orders app: what pages and the API list and show."""

from django.db.models import OuterRef, Q, QuerySet, Subquery

from ivig.audit.history import HistoryEntry, history_entries, newest_first

from .models import WEIGHT_LATEST_FIRST, Patient, PatientWeight, RiskFactor


def patients_with_latest_weight(patients: QuerySet[Patient] | None = None) -> QuerySet[Patient]:
    """Annotate ``latest_weight_kg`` and ``latest_weight_measured_on`` in the same query, so a
    list of any length costs one query."""
    if patients is None:
        patients = Patient.objects.all()
    latest = PatientWeight.objects.filter(patient=OuterRef("pk")).order_by(*WEIGHT_LATEST_FIRST)
    return patients.annotate(
        latest_weight_kg=Subquery(latest.values("weight_kg")[:1]),
        latest_weight_measured_on=Subquery(latest.values("measured_on")[:1]),
    )


def patients_search(query: str = "") -> QuerySet[Patient]:
    """Patients whose MRN or name matches every word of ``query`` (case-insensitive; all
    patients for an empty query), with their latest weight."""
    patients = Patient.objects.all()
    for term in query.split():
        patients = patients.filter(
            Q(mrn__icontains=term) | Q(family_name__icontains=term) | Q(given_name__icontains=term)
        )
    return patients_with_latest_weight(patients)


def patient_weights(patient: Patient) -> QuerySet[PatientWeight]:
    """The patient's weights, latest first, with who recorded each."""
    return patient.weights.select_related("recorded_by").order_by(*WEIGHT_LATEST_FIRST)


def patient_history(patient: Patient) -> list[HistoryEntry]:
    """Every change of the patient's record and weights, newest first, with who, when and each
    field before and after (DESIGN 4: the history shows who did what when). Two queries
    whatever the length of the history."""
    patient_records = patient.history.select_related("history_user")
    weight_records = PatientWeight.history.filter(patient_id=patient.pk).select_related(
        "history_user"
    )
    return newest_first(
        [
            *history_entries(
                patient_records,
                Patient,
                lambda record: "Patient record",
                value_labels={"risk_factors": dict(RiskFactor.choices)},
            ),
            *history_entries(
                weight_records,
                PatientWeight,
                lambda record: "Weight",
                quiet_fields=("patient", "recorded_by", "recorded_at"),
            ),
        ]
    )
