"""Read queries of laboratory results (docs/clinical-rules.md 3.8.2): the patient page's trends
and the results the lab rules read."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import F, QuerySet, Window
from django.db.models.functions import RowNumber
from django.shortcuts import get_object_or_404

from ivig.engine import LabValue
from orders.patients.models import Patient

from .models import LAB_LATEST_FIRST, Analyte, LabImport, LabResult, LabTest
from .services import abo_of

# How many results of each test the patient page shows (newest first).
TREND_LENGTH = 10


def patient_lab_results(patient: Patient) -> QuerySet[LabResult]:
    return (
        LabResult.objects.filter(patient=patient)
        .select_related("test", "recorded_by")
        .order_by(*LAB_LATEST_FIRST)
    )


def lab_import_of(pk: int) -> LabImport:
    """A lab import with who made it (one query), or 404; the file's text is not read."""
    return get_object_or_404(LabImport.objects.select_related("created_by").defer("text"), pk=pk)


@dataclass(frozen=True)
class LabTrend:
    test: LabTest
    results: list[LabResult]


def lab_trends(patient: Patient) -> list[LabTrend]:
    """Per test with results, the last ``TREND_LENGTH`` results, newest first, in the
    catalogue's order (one query)."""
    by_test: dict[int, list[LabResult]] = {}
    tests: dict[int, LabTest] = {}
    for result in patient_lab_results(patient):
        rows = by_test.setdefault(result.test_id, [])
        tests[result.test_id] = result.test
        if len(rows) < TREND_LENGTH:
            rows.append(result)
    ordered = sorted(tests.values(), key=lambda test: (test.display_order, test.name))
    return [LabTrend(test, by_test[test.pk]) for test in ordered]


# Analytes the rules read, and how many recent results are read at most (hemoglobin trends).
_RULE_ANALYTES = (Analyte.EGFR, Analyte.CREATININE, Analyte.HEMOGLOBIN, Analyte.IGA, Analyte.ABO_RH)


_RULE_RESULTS_READ = 200


def lab_fact_fields(patient: Patient, *, as_of: date) -> dict[str, Any]:
    """The laboratory fields of ``PatientFacts`` from the results taken on or before ``as_of``
    (``lab_fact_fields_of`` for one patient; docs/clinical-rules.md 3.8.2). The last cycle
    given and the reviews answering a hemoglobin result are added by
    ``orders.dose_plans.engine_inputs``."""
    return lab_fact_fields_of([patient], as_of=as_of)[patient.pk]


def lab_fact_fields_of(patients: Sequence[Patient], *, as_of: date) -> dict[int, dict[str, Any]]:
    """``lab_fact_fields`` of each patient by id, from each one's latest ``_RULE_RESULTS_READ``
    results of the analytes the rules read, taken on or before ``as_of``: one query, whatever the
    number of patients (a patient without any result: ``lab_fields_from([])``).

    For one patient (every page planning one order) the latest results are a plain limit: the
    same rows, without the per-patient window that costs Django more to compile than the
    database to run (issue 21)."""
    results = (
        LabResult.objects.filter(
            patient_id__in=[patient.pk for patient in patients],
            taken_on__lte=as_of,
            test__analyte__in=_RULE_ANALYTES,
        )
        .select_related("test")
        .order_by(*LAB_LATEST_FIRST)
    )
    if len(patients) == 1:
        results = results[:_RULE_RESULTS_READ]
    else:
        results = results.annotate(
            latest_rank=Window(
                RowNumber(), partition_by=F("patient_id"), order_by=list(LAB_LATEST_FIRST)
            )
        ).filter(latest_rank__lte=_RULE_RESULTS_READ)
    by_patient: dict[int, list[LabResult]] = {patient.pk: [] for patient in patients}
    for result in results:
        by_patient[result.patient_id].append(result)
    return {pk: lab_fields_from(rows) for pk, rows in by_patient.items()}


def lab_fields_from(results: Iterable[LabResult]) -> dict[str, Any]:
    """``lab_fact_fields`` from the results it reads (latest first); a patient without any
    result: ``lab_fields_from([])``."""
    latest: dict[str, LabResult] = {}
    hemoglobin: list[LabValue] = []
    for result in results:
        analyte = result.test.analyte
        latest.setdefault(analyte, result)
        if analyte == Analyte.HEMOGLOBIN and result.value is not None:
            hemoglobin.append(LabValue(taken_on=result.taken_on, value=result.value))
    egfr = latest.get(Analyte.EGFR)
    creatinine = latest.get(Analyte.CREATININE)
    iga = latest.get(Analyte.IGA)
    abo = latest.get(Analyte.ABO_RH)
    return {
        "latest_egfr_ml_min_173m2": egfr.value if egfr else None,
        "egfr_on": egfr.taken_on if egfr else None,
        "creatinine_on": creatinine.taken_on if creatinine else None,
        "hemoglobin_results": hemoglobin,
        "iga_below_detection": bool(iga and iga.below_detection_limit),
        "iga_on": iga.taken_on if iga else None,
        "abo_from_lab": abo_of(abo.text) if abo else None,
        "abo_on": abo.taken_on if abo else None,
    }
