"""Read queries of response reviews that other rules need (docs/clinical-rules.md 10, 3.8.2)."""

from __future__ import annotations

from datetime import date

from ivig.engine import HemoglobinReview, LabValue
from orders.patients.models import Patient

from .models import ResponseReview


def hemoglobin_reviews(patient: Patient, *, as_of: date) -> list[HemoglobinReview]:
    """The patient's response reviews dated on or before ``as_of`` that name the hemoglobin
    result they answered (HEMOLYSIS_SUSPECTED, docs/clinical-rules.md 3.8.2; one query)."""
    rows = ResponseReview.objects.filter(
        lineage__patient=patient,
        reviewed_on__lte=as_of,
        hemoglobin_result__isnull=False,
        hemoglobin_result__value__isnull=False,
    ).select_related("hemoglobin_result")
    return [
        HemoglobinReview(
            answered=LabValue(
                taken_on=row.hemoglobin_result.taken_on,
                value=row.hemoglobin_result.value,
            ),
            reviewed_on=row.reviewed_on,
            decision=row.decision,
        )
        for row in rows
        if row.hemoglobin_result is not None and row.hemoglobin_result.value is not None
    ]
