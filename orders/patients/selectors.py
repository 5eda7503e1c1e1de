"""Read queries about patients: the patient list with each latest weight, the patient page's
weights and history, and the order form's patient picker.

The picker chooses the patient of a new order without listing every patient (a real centre has
thousands): search as you type by MRN or name, at most ``PATIENT_MATCHES`` matches.

The order form's ``patient`` field still validates the chosen id against every patient on the
server; only what is rendered is bounded. With the patient given (``?patient=<id>``, or a form
sent back with one) the page shows that patient and lists none.

Every search of patients by what was typed, here and on other tables' pages (orders,
authorizations, sessions), asks ``patient_has_text`` or ``patients_with_text``: on PostgreSQL
each is read from the trigram indexes of the MRN and the names (docs/architecture.md, "Text
search").
"""

from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery

from ivig.audit.history import HistoryEntry, history_entries, newest_first

from .models import WEIGHT_LATEST_FIRST, Patient, PatientWeight, RiskFactor

PATIENT_MATCHES = 20
PATIENT_QUERY_PARAM = "patient_q"


def patient_has_text(term: str) -> Q:
    """The patient's MRN, family or given name contains ``term``, whatever the case. Compared
    as ``UPPER(column) LIKE UPPER('%term%')``, which PostgreSQL reads from the trigram index of
    each column's upper case (orders migration 0026) and SQLite by scanning."""
    return Q(mrn__icontains=term) | Q(family_name__icontains=term) | Q(given_name__icontains=term)


def patients_with_text(term: str) -> QuerySet[Patient, Any]:
    """The ids of the patients ``patient_has_text`` finds, for the rows of other tables
    (``patient__in=``): PostgreSQL reads the few patients from their indexes, then their rows
    by the patient's index, instead of joining every row to its patient to compare names."""
    return Patient.objects.filter(patient_has_text(term)).values("pk")


def patient_matches(query: str, limit: int = PATIENT_MATCHES) -> list[Patient]:
    """At most ``limit`` patients whose MRN or name matches every word of ``query``
    (case-insensitive), by name; none for an empty query. One query."""
    words = query.split()
    if not words:
        return []
    patients: QuerySet[Patient] = Patient.objects.only("pk", "mrn", "family_name", "given_name")
    for term in words[:5]:
        patients = patients.filter(patient_has_text(term))
    return list(patients.order_by("family_name", "given_name", "mrn")[:limit])


def patient_choices(patients: list[Patient]) -> list[tuple[object, str]]:
    """The select's options: a prompt, then each match."""
    prompt = (
        f"Choose one of {len(patients)} match{'es' if len(patients) != 1 else ''}"
        if patients
        else "Search by MRN or name first"
    )
    return [("", prompt), *((patient.pk, str(patient)) for patient in patients)]


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
        patients = patients.filter(patient_has_text(term))
    return patients_with_latest_weight(patients)


def patient_weights(patient: Patient) -> QuerySet[PatientWeight]:
    """The patient's weights, latest first, with who recorded each."""
    return patient.weights.select_related("recorded_by").order_by(*WEIGHT_LATEST_FIRST)


def patient_history(patient: Patient) -> list[HistoryEntry]:
    """Every change of the patient's record and weights, newest first, with who, when and each
    field before and after (docs/clinical-rules.md 4: the history shows who did what when). Two
    queries whatever the length of the history."""
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
