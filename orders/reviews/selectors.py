"""Read queries of response reviews that other rules need (docs/clinical-rules.md 10, 3.8.2)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.db.models import F

from ivig.engine import HemoglobinReview, LabValue
from orders.patients.models import Patient

from .models import ResponseReview


def hemoglobin_reviews(patient: Patient, *, as_of: date) -> list[HemoglobinReview]:
    """The patient's response reviews dated on or before ``as_of`` that name the hemoglobin
    result they answered (``hemoglobin_reviews_of`` for one patient)."""
    return hemoglobin_reviews_of([patient], as_of=as_of)[patient.pk]


def hemoglobin_reviews_of(
    patients: Sequence[Patient], *, as_of: date
) -> dict[int, list[HemoglobinReview]]:
    """Per patient id, the patient's response reviews dated on or before ``as_of`` that name the
    hemoglobin result they answered (HEMOLYSIS_SUSPECTED, docs/clinical-rules.md 3.8.2), newest
    first: one query, whatever the number of patients."""
    rows = (
        ResponseReview.objects.filter(
            lineage__patient_id__in=[patient.pk for patient in patients],
            reviewed_on__lte=as_of,
            hemoglobin_result__isnull=False,
            hemoglobin_result__value__isnull=False,
        )
        .annotate(patient_key=F("lineage__patient_id"))
        .select_related("hemoglobin_result")
    )
    reviews: dict[int, list[HemoglobinReview]] = {patient.pk: [] for patient in patients}
    for row in rows:
        if row.hemoglobin_result is None or row.hemoglobin_result.value is None:
            continue
        reviews[row.patient_key].append(
            HemoglobinReview(
                answered=LabValue(
                    taken_on=row.hemoglobin_result.taken_on,
                    value=row.hemoglobin_result.value,
                ),
                reviewed_on=row.reviewed_on,
                decision=row.decision,
            )
        )
    return reviews
