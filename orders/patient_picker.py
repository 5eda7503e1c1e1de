"""Choosing the patient of a new order without listing every patient (a real centre has
thousands): search as you type by MRN or name, at most ``PATIENT_MATCHES`` matches.

The order form's ``patient`` field still validates the chosen id against every patient on the
server; only what is rendered is bounded. With the patient given (``?patient=<id>``, or a form
sent back with one) the page shows that patient and lists none.
"""

from django.db.models import Q, QuerySet

from .models import Patient

PATIENT_MATCHES = 20
PATIENT_QUERY_PARAM = "patient_q"


def patient_matches(query: str, limit: int = PATIENT_MATCHES) -> list[Patient]:
    """At most ``limit`` patients whose MRN or name matches every word of ``query``
    (case-insensitive), by name; none for an empty query. One query."""
    words = query.split()
    if not words:
        return []
    patients: QuerySet[Patient] = Patient.objects.only("pk", "mrn", "family_name", "given_name")
    for term in words[:5]:
        patients = patients.filter(
            Q(mrn__icontains=term) | Q(family_name__icontains=term) | Q(given_name__icontains=term)
        )
    return list(patients.order_by("family_name", "given_name", "mrn")[:limit])


def patient_choices(patients: list[Patient]) -> list[tuple[object, str]]:
    """The select's options: a prompt, then each match."""
    prompt = (
        f"Choose one of {len(patients)} match{'es' if len(patients) != 1 else ''}"
        if patients
        else "Search by MRN or name first"
    )
    return [("", prompt), *((patient.pk, str(patient)) for patient in patients)]
