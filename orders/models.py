"""Indications and orders (docs/clinical-rules.md 3.8, 4): data and database constraints, no
workflows; and the one place Django finds every model of the orders app.

The feature packages hold their own models, imported here so that Django registers them with the
orders app (their tables keep the ``orders_`` names): ``orders.patients.models`` (patients and
weights, docs/clinical-rules.md 1), ``orders.labs.models`` (laboratory results, 3.8.2) and
``orders.reviews.models`` (response reviews, 10).

Changes go through ``orders.services``; every row change is kept by django-simple-history with
the acting user the service passes.
"""

from collections.abc import Collection, Mapping
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ivig.constraints import validate_constraints
from ivig.engine import models as engine
from ivig.vocabulary import same_values_as

from .labs.models import Analyte, LabKind, LabResult, LabSource, LabTest
from .patients.models import (
    HEIGHT_MAX_CM,
    HEIGHT_MIN_CM,
    WEIGHT_LATEST_FIRST,
    WEIGHT_MAX_KG,
    WEIGHT_MIN_KG,
    BloodGroup,
    IgaStatus,
    Patient,
    PatientWeight,
    RiskFactor,
    Sex,
    validate_risk_factors,
)
from .plan_figures import plan_figures
from .premedication.models import PremedicationLine
from .reviews.models import ResponseReview
from .reviews.outcome_measures import OutcomeMeasure

__all__ = [
    "BOOKABLE_STATUSES",
    "HEIGHT_MAX_CM",
    "HEIGHT_MIN_CM",
    "NEXT_CYCLE_FIELDS",
    "PLAN_FIGURE_FIELDS",
    "WEIGHT_LATEST_FIRST",
    "WEIGHT_MAX_KG",
    "WEIGHT_MIN_KG",
    "Analyte",
    "BloodGroup",
    "DosingWeightBasis",
    "IgaStatus",
    "Indication",
    "LabKind",
    "LabResult",
    "LabSource",
    "LabTest",
    "Order",
    "OrderOverride",
    "OrderStatus",
    "Patient",
    "PatientWeight",
    "PremedicationLine",
    "RateProtocol",
    "ResponseReview",
    "RiskFactor",
    "Sex",
    "cycle_day_after_booked",
    "cycle_due_day",
    "validate_risk_factors",
]


class Indication(models.Model):
    """A row of ``orders/data/indications.csv`` (the protocol's indications, with ICD-10).

    Seeded by a data migration. The maxima feed the engine's MAX_DAILY_DOSE and
    MAX_DOSE_PER_28_DAYS stops (docs/clinical-rules.md 3.8); the defaults prefill a new order's
    regimen.
    """

    slug = models.SlugField(max_length=80, unique=True)
    name = models.CharField(max_length=200)
    category = models.CharField(max_length=100)
    icd10_code = models.CharField("ICD-10 code", max_length=10, blank=True)
    default_total_g_per_kg = models.DecimalField(
        "default dose per cycle (g/kg)", max_digits=4, decimal_places=2
    )
    default_days_per_cycle = models.PositiveSmallIntegerField("default days per cycle")
    default_cycle_interval_days = models.PositiveSmallIntegerField("default cycle interval (days)")
    max_daily_g_per_kg = models.DecimalField(
        "maximum daily dose (g/kg)", max_digits=4, decimal_places=2
    )
    max_g_per_kg_per_28_days = models.DecimalField(
        "maximum dose per 28 days (g/kg)", max_digits=4, decimal_places=2
    )
    # docs/clinical-rules.md 10.1: the score a response review records for this indication.
    outcome_measure = models.CharField(
        max_length=8, choices=OutcomeMeasure.choices, default=OutcomeMeasure.PGA
    )
    # docs/clinical-rules.md 3.10 (rules v3): an emergency indication; its orders may be urgent.
    urgent_allowed = models.BooleanField(
        "may be ordered urgent",
        default=False,
        help_text=(
            "An emergency treated the same day: its orders may be marked urgent and their first "
            "cycle started before the insurer approves."
        ),
    )

    class Meta:
        ordering = ["category", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(default_total_g_per_kg__gt=0),
                name="indication_default_total_g_per_kg_positive",
            ),
            models.CheckConstraint(
                condition=Q(default_days_per_cycle__gt=0),
                name="indication_default_days_per_cycle_positive",
            ),
            models.CheckConstraint(
                condition=Q(default_cycle_interval_days__gt=0),
                name="indication_default_cycle_interval_days_positive",
            ),
            models.CheckConstraint(
                condition=Q(max_daily_g_per_kg__gt=0), name="indication_max_daily_g_per_kg_positive"
            ),
            models.CheckConstraint(
                condition=Q(max_g_per_kg_per_28_days__gt=0),
                name="indication_max_g_per_kg_per_28_days_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    """docs/clinical-rules.md 4: draft → signed → verified → active → completed | discontinued.

    ``superseded``: a signed or verified order that a newer version replaced (docs/clinical-rules.md
    4: never edited in place); it stays readable in the order's history.
    """

    DRAFT = "draft", "Draft"
    SIGNED = "signed", "Signed, awaiting verification"
    VERIFIED = "verified", "Verified"
    ACTIVE = "active", "Active"
    COMPLETED = "completed", "Completed"
    DISCONTINUED = "discontinued", "Discontinued"
    SUPERSEDED = "superseded", "Superseded by a newer version"


@same_values_as(engine.DosingWeightBasisChoice)
class DosingWeightBasis(models.TextChoices):
    AUTO = "auto", "Automatic (adjusted weight for obese adults, else actual)"
    ACTUAL = "actual", "Actual body weight"
    IDEAL = "ideal", "Ideal body weight"
    ADJUSTED = "adjusted", "Adjusted body weight"


@same_values_as(engine.RateProtocol)
class RateProtocol(models.TextChoices):
    PROTOCOL = "protocol", "Protocol rate (0.5 mL/kg/h, +15 mL/h every 15 min)"
    LABEL = "label", "Product label rate"


PLAN_FIGURE_FIELDS = ("plan_first_day", "plan_last_day", "plan_grams_per_cycle")
NEXT_CYCLE_FIELDS = ("next_cycle", "next_cycle_due")
# Orders whose cycles are booked (docs/clinical-rules.md 4, 6).
BOOKABLE_STATUSES = (OrderStatus.VERIFIED, OrderStatus.ACTIVE)


class Order(models.Model):
    """An IVIg order (docs/clinical-rules.md 4). One row per version: a change to a signed or
    verified order makes a new row (``supersedes`` the old one, same ``lineage``) that is signed and
    verified again. ``version`` is the optimistic-concurrency token of edits to this row.

    Clinical numbers are not stored here but computed by the engine from these fields; what the
    engine said at signing is frozen in ``plan_at_signing`` / ``findings_at_signing``.
    """

    lineage = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="versions",
        help_text="The first version of this order (null on the first version itself).",
    )
    revision = models.PositiveSmallIntegerField(default=1)
    supersedes = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="superseded_by"
    )
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="orders")
    indication = models.ForeignKey(Indication, on_delete=models.PROTECT, related_name="orders")
    product = models.ForeignKey(
        "formulary.Product", on_delete=models.PROTECT, related_name="orders"
    )
    total_dose_g_per_kg = models.DecimalField(
        "dose per cycle (g/kg)", max_digits=5, decimal_places=3, null=True, blank=True
    )
    daily_dose_mg_per_kg = models.DecimalField(
        "daily dose (mg/kg)", max_digits=6, decimal_places=1, null=True, blank=True
    )
    days_per_cycle = models.PositiveSmallIntegerField()
    cycles = models.PositiveSmallIntegerField()
    cycle_interval_days = models.PositiveSmallIntegerField("cycle interval (days)")
    start_date = models.DateField()
    dosing_weight_basis = models.CharField(
        max_length=10, choices=DosingWeightBasis.choices, default=DosingWeightBasis.AUTO
    )
    rate_protocol = models.CharField(
        max_length=10, choices=RateProtocol.choices, default=RateProtocol.PROTOCOL
    )
    target_rate_ml_per_h = models.PositiveSmallIntegerField("target rate (mL/h)", default=200)
    premedication = models.TextField(blank=True)
    hydration = models.TextField(blank=True)
    concomitant_immunosuppressant = models.CharField(max_length=200, blank=True)
    notes = models.TextField(blank=True)
    # docs/clinical-rules.md 3.10 (rules v3): an emergency, started the same day; the first cycle
    # may start without an approval (a retrospective authorization is opened at verification).
    urgent = models.BooleanField(
        "urgent",
        default=False,
        help_text="Only for an emergency indication: verified first, started before approval.",
    )
    urgent_reason = models.TextField("why urgent", blank=True)

    status = models.CharField(
        max_length=12, choices=OrderStatus.choices, default=OrderStatus.DRAFT, db_index=True
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    rejection_reason = models.TextField(blank=True)
    discontinued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    discontinued_at = models.DateTimeField(null=True, blank=True)
    discontinue_reason = models.TextField(blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    plan_at_signing = models.JSONField(null=True, blank=True, editable=False)
    findings_at_signing = models.JSONField(null=True, blank=True, editable=False)
    # The actual weight (kg) the signed plan used: WEIGHT_CHANGED (docs/clinical-rules.md 3.9).
    signed_weight_kg = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True, editable=False
    )
    # Copied from ``plan_at_signing`` by ``save`` (orders/plan_figures.py): what lists show
    # without loading the JSON plan or running the engine.
    plan_first_day = models.DateField(null=True, blank=True, editable=False)
    plan_last_day = models.DateField(null=True, blank=True, editable=False)
    plan_grams_per_cycle = models.DecimalField(
        max_digits=8, decimal_places=2, null=True, blank=True, editable=False
    )
    # The first cycle with no live session (None: every cycle is booked) and the day it is due
    # (``cycle_due_day``): what "Cycles to book" filters and sorts on, indexed. Sessions are the
    # infusions app's, a layer above: ``infusions.booking.refresh_next_cycles`` alone writes
    # ``next_cycle``, on every change to an order's live sessions; ``save`` keeps the due day
    # true to it and to ``start_date`` and ``cycle_interval_days``. Derived: not in the history.
    next_cycle = models.PositiveSmallIntegerField(null=True, blank=True, default=1, editable=False)
    next_cycle_due = models.DateField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=list(NEXT_CYCLE_FIELDS))

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # Every order list's ordering, alone and after its filters (status, patient).
            models.Index(fields=["-created_at", "-id"], name="order_newest_first"),
            models.Index(fields=["status", "-created_at", "-id"], name="order_status_newest"),
            models.Index(fields=["patient", "-created_at", "-id"], name="order_patient_newest"),
            # The verification queue: signed orders, the longest waiting first.
            models.Index(fields=["status", "signed_at", "id"], name="order_status_signed_at"),
            # "Cycles to book": bookable orders, and versions superseded once verified for their
            # cycles before the new version's first day, the soonest due first
            # (infusions.booking.selectors.cycles_to_book). Its status and verified_at are in
            # the index: the list's count is read from the index alone, without the rows.
            models.Index(
                fields=["next_cycle_due", "id"],
                name="order_bookable_next_due",
                include=["status", "verified_at"],
                condition=Q(status__in=BOOKABLE_STATUSES)
                | Q(status=OrderStatus.SUPERSEDED, verified_at__isnull=False),
            ),
            # The version in force that superseded an order, by the superseded order's id: the
            # one question "Cycles to book" asks of a superseded version, answered here.
            models.Index(
                fields=["supersedes"],
                name="order_successor_in_force",
                condition=Q(status__in=BOOKABLE_STATUSES),
            ),
            # Whether an order is verified or active, by id: rows joined to their order and
            # kept only for those (the authorization dashboard's "approvals running out") look
            # each order up here instead of hashing every live order of the centre.
            models.Index(
                fields=["id"],
                name="order_verified_or_active",
                condition=Q(status__in=BOOKABLE_STATUSES),
            ),
            # Urgent orders (docs/clinical-rules.md 3.10) are few: the stewardship report's
            # urgent starts begin from them here instead of reading every order of the centre.
            models.Index(fields=["id"], name="order_urgent", condition=Q(urgent=True)),
        ]
        permissions = [
            ("sign_order", "Can sign an order"),
            ("verify_order", "Can verify or reject an order"),
            ("discontinue_order", "Can discontinue an order"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(total_dose_g_per_kg__isnull=False, daily_dose_mg_per_kg__isnull=True)
                    | Q(total_dose_g_per_kg__isnull=True, daily_dose_mg_per_kg__isnull=False)
                ),
                name="order_exactly_one_dose",
                violation_error_message="Give either a dose per cycle or a daily dose, not both.",
            ),
            models.CheckConstraint(
                condition=Q(total_dose_g_per_kg__isnull=True) | Q(total_dose_g_per_kg__gt=0),
                name="order_total_dose_positive",
            ),
            models.CheckConstraint(
                condition=Q(urgent=False) | ~Q(urgent_reason=""),
                name="order_urgent_needs_a_reason",
            ),
            models.CheckConstraint(
                condition=Q(daily_dose_mg_per_kg__isnull=True) | Q(daily_dose_mg_per_kg__gt=0),
                name="order_daily_dose_positive",
            ),
            models.CheckConstraint(
                condition=Q(days_per_cycle__gte=1, days_per_cycle__lte=5),
                name="order_days_per_cycle_range",
            ),
            models.CheckConstraint(
                condition=Q(cycles__gte=1, cycles__lte=60), name="order_cycles_range"
            ),
            models.CheckConstraint(
                condition=Q(cycle_interval_days__gte=7, cycle_interval_days__lte=90),
                name="order_cycle_interval_range",
            ),
            models.CheckConstraint(
                condition=Q(target_rate_ml_per_h__gte=1), name="order_target_rate_positive"
            ),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
            # docs/clinical-rules.md 1/4: the independent double check, enforced by the database
            # too.
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True)
                | Q(signed_by__isnull=True)
                | ~Q(verified_by=models.F("signed_by")),
                name="order_verifier_is_not_signer",
                violation_error_message="An order cannot be verified by the person who signed it.",
            ),
            models.UniqueConstraint(
                fields=["lineage", "revision"], name="order_revision_unique_in_lineage"
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.number} v{self.revision} ({self.get_status_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Keep the plan figures (orders/plan_figures.py) true to ``plan_at_signing`` on every
        save; a save limited by ``update_fields`` that names the plan saves them too. A
        deferred (unloaded) plan leaves the stored figures as they are."""
        if "plan_at_signing" not in self.get_deferred_fields():
            figures = plan_figures(self.plan_at_signing)
            self.plan_first_day, self.plan_last_day, self.plan_grams_per_cycle = figures
            update_fields = kwargs.get("update_fields")
            if update_fields is not None and "plan_at_signing" in update_fields:
                kwargs["update_fields"] = {*update_fields, *PLAN_FIGURE_FIELDS}
        self.next_cycle_due = cycle_due_day(self, self.next_cycle)
        super().save(*args, **kwargs)

    def validate_constraints(self, exclude: Collection[str] | None = None) -> None:
        """Django's validation of the constraints, the check constraints in one query when they
        all hold (``ivig.constraints``): the order form's preview asked eight (issue 21)."""
        validate_constraints(self, exclude)

    @property
    def number(self) -> str:
        """What people call the order: the first version's id, e.g. ``IV-000042``."""
        return f"IV-{(self.lineage_id or self.pk or 0):06d}"


def cycle_due_day(order: Order, cycle_number: int | None) -> date | None:
    """The day cycle ``cycle_number`` of ``order`` is due: ``start_date`` + (cycle - 1) x
    interval, as the cycles are counted in docs/clinical-rules.md 3.6; None for no cycle."""
    if cycle_number is None:
        return None
    return order.start_date + timedelta(days=(cycle_number - 1) * order.cycle_interval_days)


def cycle_day_after_booked(
    order: Order, cycle_number: int, first_booked_days: Mapping[int, date]
) -> date:
    """Cycle ``cycle_number``'s first day on the patient's calendar (docs/clinical-rules.md 6):
    the interval counts from the latest cycle booked before it (``first_booked_days``: each
    booked cycle's first live day), so a cycle booked a day late moves the next one a day too;
    ``cycle_due_day`` when none is booked before it."""
    earlier = [number for number in first_booked_days if number < cycle_number]
    if not earlier:
        return order.start_date + timedelta(days=(cycle_number - 1) * order.cycle_interval_days)
    latest = max(earlier)
    return first_booked_days[latest] + timedelta(
        days=(cycle_number - latest) * order.cycle_interval_days
    )


class OrderOverride(models.Model):
    """A clinician's reason for signing despite an ``override`` finding (docs/clinical-rules.md 3.8,
    4), and the verifying pharmacist's acknowledgement of it."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="overrides")
    code = models.CharField(max_length=50)
    message = models.TextField()
    reason = models.TextField()
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    overridden_at = models.DateTimeField(default=timezone.now)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["order", "code"], name="order_override_code_unique"),
            models.CheckConstraint(condition=~Q(reason=""), name="order_override_reason_given"),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.reason}"
