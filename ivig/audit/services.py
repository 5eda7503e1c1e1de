"""Audit services: record reads of clinical pages (docs/clinical-rules.md 1)."""

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.http import HttpRequest

from .models import AccessLog
from .reads import collector_of


def access_record(request: HttpRequest, subject: models.Model | Any) -> AccessLog:
    """Log that ``request.user`` opened ``subject``'s page (a patient, an order, ...).

    Inside a view logged by ``ivig.audit.reads`` (decorator or mixin) the subject joins that
    request's one log row, written when the view answers; the row returned is then unsaved.
    """
    if not request.user.is_authenticated:
        raise PermissionError(
            "Only a signed-in user's reads are logged; the view must check first."
        )
    collector = collector_of(request)
    if collector is not None:
        collector.add(subject._meta.label_lower, [subject.pk])
        return AccessLog(
            user=request.user,
            subject_type=subject._meta.label_lower,
            subject_id=str(subject.pk),
            path=request.get_full_path()[:500],
        )
    return AccessLog.objects.create(
        user=request.user,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        path=request.get_full_path()[:500],
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )


def access_records(request: HttpRequest, subjects: Iterable[models.Model]) -> None:
    """Note that the page shows ``subjects`` (a search's results): joins the request's one log
    row written by ``ivig.audit.reads.logs_patient_reads``."""
    collector = collector_of(request)
    if collector is None:
        raise RuntimeError("access_records needs a view decorated with logs_patient_reads.")
    collector.add_objects(subjects)


def access_record_ids(request: HttpRequest, subject_type: str, ids: Iterable[Any]) -> None:
    """``access_records`` by id, for a page that reads plain rows (``subject_type`` as
    "app_label.model", e.g. "orders.patient")."""
    collector = collector_of(request)
    if collector is None:
        raise RuntimeError("access_record_ids needs a view decorated with logs_patient_reads.")
    collector.add(subject_type, ids)
