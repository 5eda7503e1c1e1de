"""Who may write through the FHIR server (docs/fhir.md, "In"): one function per permission."""

from typing import Any

from orders.policies import can_change_patients, can_record_labs


def can_ingest_fhir(user: Any) -> bool:
    """Post a transaction Bundle of patients, weights, heights and results: whoever may both
    register patients (and record their weights) and record laboratory results on the pages
    (clinicians)."""
    return can_change_patients(user) and can_record_labs(user)
