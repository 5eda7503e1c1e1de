"""The read log: who read which patient's data, one row per request (changes are in each
model's history, recorded by django-simple-history through the services).

``subject_type``/``subject_id`` name the record a detail page or endpoint showed (blank id for
a list or a search); ``records`` holds every record the answer returned, by type
(``{"orders.patient": ["3", "7"]}``), lists and searches included, and ``path`` the query.

A read that shows the same many records again and again (a calendar feed, polled by calendar
apps every few minutes) names them once in a ``RecordSet`` that each of its rows points to
(``record_set``) instead of copying them into ``records``. ``ivig.audit.selectors.reads_of``
answers "who read this record?" from both.
"""

from django.conf import settings
from django.db import models


class RecordSet(models.Model):
    """Records shown together, by type (as ``AccessLog.records``), kept once: ``digest`` is the
    SHA-256 of their canonical JSON, so the same set shown again is the same row."""

    digest = models.CharField(max_length=64, unique=True)
    records = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Record set {self.pk}"


class AccessLog(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    accessed_at = models.DateTimeField(auto_now_add=True, db_index=True)
    subject_type = models.CharField(max_length=50)
    subject_id = models.CharField(max_length=64)
    path = models.CharField(max_length=500)
    records = models.JSONField(default=dict, blank=True)
    record_set = models.ForeignKey(
        RecordSet, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-accessed_at", "-id"]
        indexes = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.user} opened {self.subject_type} {self.subject_id} at {self.accessed_at}"
