"""Response reviews of an IVIg course (docs/clinical-rules.md 10): data and constraints only.

A review belongs to an order's lineage (all its versions are one course); changes go through
``orders.reviews.services``; every row change is kept by django-simple-history.
"""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from .outcome_measures import SCORE_RANGES, OutcomeMeasure

PREDNISONE_MAX_MG_PER_DAY = Decimal(2000)


class Response(models.TextChoices):
    COMPLETE = "complete", "Complete response"
    PARTIAL = "partial", "Partial response"
    NONE = "none", "No response"
    RELAPSE = "relapse", "Relapse"


class Decision(models.TextChoices):
    CONTINUE = "continue", "Continue"
    TAPER = "taper", "Taper"
    STOP = "stop", "Stop"


def _score_in_range() -> Q:
    condition = Q()
    for measure, (low, high) in SCORE_RANGES.items():
        condition |= Q(measure=measure, score__gte=low, score__lte=high)
    return condition


class ResponseReview(models.Model):
    """A clinician's review of the response to a course (docs/clinical-rules.md 10.1): the
    disease score on the indication's measure, the prednisone-equivalent dose, the response and
    the decision. ``after_cycle`` is the course cycle it covers (docs/clinical-rules.md 10.2):
    a cycle past ``after_cycle`` + the policy's interval is not booked until the next review.
    ``due_on`` is the planned first day of the cycle that needed it (the review is on time when
    ``reviewed_on`` is not after it)."""

    lineage = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        related_name="reviews",
        help_text="The first version of the order: the course.",
    )
    order = models.ForeignKey(
        "orders.Order",
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The version in force when the review was recorded.",
    )
    after_cycle = models.PositiveSmallIntegerField("covers the course up to cycle")
    reviewed_on = models.DateField()
    due_on = models.DateField(null=True, blank=True)
    measure = models.CharField(max_length=8, choices=OutcomeMeasure.choices)
    score = models.DecimalField(max_digits=5, decimal_places=1)
    prednisone_mg_per_day = models.DecimalField(
        "prednisone-equivalent dose (mg/day)",
        max_digits=6,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(PREDNISONE_MAX_MG_PER_DAY)],
    )
    response = models.CharField(max_length=8, choices=Response.choices)
    decision = models.CharField(max_length=8, choices=Decision.choices)
    notes = models.TextField(blank=True)
    hemoglobin_result = models.ForeignKey(
        "orders.LabResult",
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        help_text="The fallen hemoglobin this review answered (a suspected hemolysis after a "
        "high-dose cycle): with the decision to continue, the next cycle is released.",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-reviewed_on", "-id"]
        indexes = [
            models.Index(fields=["lineage", "-reviewed_on", "-id"], name="review_lineage_newest"),
            models.Index(fields=["reviewed_on"], name="review_reviewed_on"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(measure__in=OutcomeMeasure.values), name="review_measure_valid"
            ),
            models.CheckConstraint(
                condition=_score_in_range(),
                name="review_score_in_measure_range",
                violation_error_message="The score is outside its measure's range.",
            ),
            models.CheckConstraint(
                condition=Q(
                    prednisone_mg_per_day__gte=0,
                    prednisone_mg_per_day__lte=PREDNISONE_MAX_MG_PER_DAY,
                ),
                name="review_prednisone_range",
            ),
            models.CheckConstraint(
                condition=Q(response__in=Response.values), name="review_response_valid"
            ),
            models.CheckConstraint(
                condition=Q(decision__in=Decision.values), name="review_decision_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"Review of {self.reviewed_on:%Y-%m-%d} ({self.get_response_display()})"
