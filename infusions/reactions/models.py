"""Reaction plans (docs/clinical-rules.md 3.8.3): a clinician's plan for an infusion reaction
recorded on a session, which later sessions of the patient follow."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

# docs/clinical-rules.md 3.4: no rate above 200 mL/h.
REACTION_PLAN_MAX_RATE_ML_PER_H = 200


class ReactionPlan(models.Model):
    """What later sessions do after ``reaction`` (an adverse-event entry): a lower maximum rate
    (their rates are capped there), added premedication, or continue unchanged with a reason.
    One plan per reaction; a clinician revises it as a new ``version`` (every version kept in
    its history: who, when, before and after)."""

    reaction = models.OneToOneField(
        "infusions.AdministrationEntry", on_delete=models.PROTECT, related_name="reaction_plan"
    )
    max_rate_ml_per_h = models.PositiveSmallIntegerField(
        "maximum rate (mL/h)", null=True, blank=True
    )
    added_premedication = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_rate_ml_per_h__isnull=True)
                | Q(
                    max_rate_ml_per_h__gte=1, max_rate_ml_per_h__lte=REACTION_PLAN_MAX_RATE_ML_PER_H
                ),
                name="reaction_plan_max_rate_range",
            ),
            models.CheckConstraint(
                condition=Q(max_rate_ml_per_h__isnull=False)
                | ~Q(added_premedication="")
                | ~Q(reason=""),
                name="reaction_plan_says_something",
                violation_error_message=(
                    "Give a lower maximum rate, added premedication, or the reason to continue "
                    "unchanged."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"Plan for reaction #{self.reaction_id}"

    @property
    def summary(self) -> str:
        parts = []
        if self.max_rate_ml_per_h is not None:
            parts.append(f"maximum {self.max_rate_ml_per_h} mL/h")
        if self.added_premedication:
            parts.append(f"premedication: {self.added_premedication}")
        if not parts:
            parts.append("continue unchanged")
        if self.reason:
            parts.append(f"reason: {self.reason}")
        return "; ".join(parts)
