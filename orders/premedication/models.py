"""Premedication lines (docs/clinical-rules.md 3.5): a catalogue drug, a dose with its unit, a
route and the minutes before the start (15-30). An order's lines belong to one version of the
order; a reaction plan's added lines (``infusions.reactions``) have the same fields and rules
(``PremedicationLineFields``). Every change is kept in ``history``."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from formulary.premedication.models import DoseUnit, Route

MINUTES_BEFORE_MIN = 15
MINUTES_BEFORE_MAX = 30


class PremedicationLineFields(models.Model):
    """What every premedication line holds, with its database checks: the dose with its unit,
    the route, the minutes before the start and its place in its list. The drug is each
    concrete line's own (``drug``, a ``formulary.PremedicationDrug``)."""

    dose = models.DecimalField(
        max_digits=7, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    dose_unit = models.CharField(max_length=8, choices=DoseUnit.choices, default=DoseUnit.MG)
    route = models.CharField(max_length=4, choices=Route.choices)
    minutes_before = models.PositiveSmallIntegerField(
        "minutes before the start",
        default=30,
        validators=[MinValueValidator(MINUTES_BEFORE_MIN), MaxValueValidator(MINUTES_BEFORE_MAX)],
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        constraints = [
            models.CheckConstraint(
                condition=Q(dose__gt=0),
                name="%(app_label)s_%(class)s_dose_positive",
                violation_error_message="The dose must be above 0.",
            ),
            models.CheckConstraint(
                condition=Q(minutes_before__gte=15, minutes_before__lte=30),
                name="%(app_label)s_%(class)s_minutes_before_range",
                violation_error_message="Premedication is given 15 to 30 minutes before the start.",
            ),
            models.CheckConstraint(
                condition=Q(route__in=["PO", "IV", "IM", "PR"]),
                name="%(app_label)s_%(class)s_route_valid",
            ),
            models.CheckConstraint(
                condition=Q(dose_unit__in=["mg"]),
                name="%(app_label)s_%(class)s_dose_unit_valid",
            ),
        ]


class PremedicationLine(PremedicationLineFields):
    order = models.ForeignKey(
        "orders.Order", on_delete=models.CASCADE, related_name="premedication_lines"
    )
    drug = models.ForeignKey(
        "formulary.PremedicationDrug", on_delete=models.PROTECT, related_name="order_lines"
    )

    history = HistoricalRecords()

    class Meta(PremedicationLineFields.Meta):
        app_label = "orders"
        ordering = ["order", "position", "id"]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose} {self.dose_unit} {self.route}"
