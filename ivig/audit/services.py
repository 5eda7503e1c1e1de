"""Audit services: record reads of clinical pages (DESIGN, Security)."""

from typing import Any

from django.db import models
from django.http import HttpRequest

from .models import AccessLog


def access_record(request: HttpRequest, subject: models.Model | Any) -> AccessLog:
    """Log that ``request.user`` opened ``subject``'s page (a patient, an order, ...)."""
    if not request.user.is_authenticated:
        raise PermissionError(
            "Only a signed-in user's reads are logged; the view must check first."
        )
    return AccessLog.objects.create(
        user=request.user,
        subject_type=subject._meta.label_lower,
        subject_id=str(subject.pk),
        path=request.get_full_path()[:500],
        ip_address=request.META.get("REMOTE_ADDR") or None,
    )
