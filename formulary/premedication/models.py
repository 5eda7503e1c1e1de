"""The premedication catalogue the pharmacist keeps (docs/clinical-rules.md 3.5): each drug's
adult dose with its unit, usual route and, where there is one, the children's dose per kg of
actual weight and the children's maximum per kg. The engine reads these numbers from here
(``formulary.engine_inputs.premedication_drug_facts``). Never deleted: deactivated; every change
is in ``history``."""

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

_POSITIVE = MinValueValidator(Decimal("0.01"))


class DoseUnit(models.TextChoices):
    MG = "mg", "mg"


class Route(models.TextChoices):
    PO = "PO", "PO (by mouth)"
    IV = "IV", "IV"
    IM = "IM", "IM"
    PR = "PR", "PR (rectal)"


class PremedicationDrug(models.Model):
    """A drug that may be ordered as premedication, with its default doses."""

    slug = models.SlugField(
        max_length=60,
        db_index=False,  # the unique constraint is the index
        help_text="Short name used in the API, e.g. diphenhydramine. Cannot change later.",
    )
    name = models.CharField(max_length=100)
    adult_dose = models.DecimalField(
        "adult dose", max_digits=7, decimal_places=2, validators=[_POSITIVE]
    )
    dose_unit = models.CharField(
        "dose unit", max_length=8, choices=DoseUnit.choices, default=DoseUnit.MG
    )
    route = models.CharField("usual route", max_length=4, choices=Route.choices)
    child_dose_mg_per_kg = models.DecimalField(
        "children's dose (mg/kg)",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[_POSITIVE, MaxValueValidator(100)],
        help_text="Under 18 years: this times the actual weight, rounded down to a whole mg, "
        "never above the adult dose. Empty: the prescriber enters a child's dose.",
    )
    child_max_mg_per_kg = models.DecimalField(
        "children's maximum (mg/kg)",
        max_digits=6,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[_POSITIVE, MaxValueValidator(100)],
        help_text="A child's dose above this per kg of actual weight needs the prescriber's "
        "reason. Not below the children's dose.",
    )
    active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(
        default=0, help_text="Order in which the drugs are offered."
    )

    history = HistoricalRecords(history_change_reason_field=models.TextField(null=True))

    class Meta:
        app_label = "formulary"
        ordering = ["position", "name", "id"]
        verbose_name = "premedication drug"
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], name="formulary_premedicationdrug_slug_unique"
            ),
            models.CheckConstraint(
                condition=Q(adult_dose__gt=0),
                name="formulary_premedicationdrug_adult_dose_positive",
                violation_error_message="The adult dose must be above 0.",
            ),
            models.CheckConstraint(
                condition=Q(child_dose_mg_per_kg__isnull=True) | Q(child_dose_mg_per_kg__gt=0),
                name="formulary_premedicationdrug_child_dose_positive",
                violation_error_message="The children's dose must be above 0.",
            ),
            models.CheckConstraint(
                condition=Q(child_max_mg_per_kg__isnull=True) | Q(child_max_mg_per_kg__gt=0),
                name="formulary_premedicationdrug_child_max_positive",
                violation_error_message="The children's maximum must be above 0.",
            ),
            models.CheckConstraint(
                condition=Q(child_dose_mg_per_kg__isnull=True)
                | Q(child_max_mg_per_kg__isnull=True)
                | Q(child_dose_mg_per_kg__lte=F("child_max_mg_per_kg")),
                name="formulary_premedicationdrug_child_dose_within_max",
                violation_error_message="The children's dose is above the children's maximum.",
            ),
            models.CheckConstraint(
                condition=Q(dose_unit__in=["mg"]),
                name="formulary_premedicationdrug_dose_unit_valid",
            ),
            models.CheckConstraint(
                condition=Q(route__in=["PO", "IV", "IM", "PR"]),
                name="formulary_premedicationdrug_route_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name
