"""Chairs, infusion sessions and the administration record (docs/clinical-rules.md 6): data and
database constraints, no workflows.

Changes go through the service modules (``chairs``, ``booking``, ``administration``,
``calendar``); every row change is kept by django-simple-history with the acting user the
service passes. Administration entries are append-only: a correction is a new entry pointing at
the one it corrects (``correction_of``).
"""

import hashlib
from typing import Any

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import F, Func, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from ivig.validators import no_control_characters

# docs/clinical-rules.md 3.4: no rate above 200 mL/h, whatever the plan.
MAX_RATE_ML_PER_H = 200


class Chair(models.Model):
    name = models.CharField(max_length=60, unique=True, validators=[no_control_characters])
    location = models.CharField(max_length=120, blank=True, validators=[no_control_characters])
    active = models.BooleanField(default=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class ChairOpeningHours(models.Model):
    """When a chair can be booked on a weekday, in local time (``TIME_ZONE``)."""

    chair = models.ForeignKey(Chair, on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["chair", "weekday", "opens_at"]
        verbose_name_plural = "chair opening hours"
        constraints = [
            models.CheckConstraint(
                condition=Q(closes_at__gt=F("opens_at")),
                name="chair_opening_hours_close_after_open",
                violation_error_message="A chair closes after it opens.",
            ),
            models.CheckConstraint(
                condition=Q(weekday__gte=0, weekday__lte=6), name="chair_opening_hours_weekday"
            ),
            models.UniqueConstraint(
                fields=["chair", "weekday", "opens_at"], name="chair_opening_hours_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M} to {self.closes_at:%H:%M}"


class SessionStatus(models.TextChoices):
    TENTATIVE = "tentative", "Tentative"
    BOOKED = "booked", "Booked"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    MISSED = "missed", "Missed"


PARTIAL_DOSE_LABEL = "Completed: partial dose"


def status_label(status: str, partial_dose: bool = False) -> str:
    """A session's status as people read it on every screen."""
    if status == SessionStatus.COMPLETED and partial_dose:
        return PARTIAL_DOSE_LABEL
    return str(SessionStatus(status).label)


# Sessions that hold their chair: no two of them may overlap on one chair (docs/clinical-rules.md
# 6).
ACTIVE_STATUSES = (SessionStatus.TENTATIVE, SessionStatus.BOOKED, SessionStatus.IN_PROGRESS)
# Sessions that book their cycle: the cycle is not to book again (``booking.first_free_cycle``).
LIVE_STATUSES = (*ACTIVE_STATUSES, SessionStatus.COMPLETED)
# Sessions that have not started and may still be moved or cancelled.
NOT_STARTED_STATUSES = (SessionStatus.TENTATIVE, SessionStatus.BOOKED)
# Sessions given or under way: a cycle before theirs is past, not to book (``first_free_cycle``).
STARTED_STATUSES = (SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED)


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()  # default bounds "[)": back-to-back sessions may touch


class PostgresOnlyExclusionConstraint(ExclusionConstraint):
    """An exclusion constraint on PostgreSQL and nothing elsewhere.

    Declared on the model for every database so that migrations and model state are the same
    on both; on SQLite (the laptop demo, no GiST) it makes no SQL and validates nothing, and the
    service's check under the chair lock stands alone (SQLite has one writer at a time anyway).
    """

    def _on_postgresql(self, schema_editor: Any) -> bool:
        return bool(schema_editor.connection.vendor == "postgresql")

    def constraint_sql(self, model: Any, schema_editor: Any) -> Any:
        return (
            super().constraint_sql(model, schema_editor)
            if self._on_postgresql(schema_editor)
            else None
        )

    def create_sql(self, model: Any, schema_editor: Any) -> Any:
        return (
            super().create_sql(model, schema_editor) if self._on_postgresql(schema_editor) else None
        )

    def remove_sql(self, model: Any, schema_editor: Any) -> Any:
        return (
            super().remove_sql(model, schema_editor) if self._on_postgresql(schema_editor) else None
        )

    def validate(
        self, model: Any, instance: Any, exclude: Any = None, using: str = DEFAULT_DB_ALIAS
    ) -> None:
        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


# The database half of "a chair never holds two overlapping sessions" (docs/clinical-rules.md 6): no
# two active sessions of one chair have overlapping [planned_start, planned_end) ranges
# (btree_gist).
NO_OVERLAP_CONSTRAINT_NAME = "infusion_session_no_overlap_per_chair"
# docs/clinical-rules.md 6.1: sessions in these statuses do not take the patient's day.
NOT_COUNTED_FOR_DAY = (SessionStatus.CANCELLED, SessionStatus.MISSED)
ONE_PER_PATIENT_DAY_CONSTRAINT_NAME = "infusion_session_one_per_patient_day"


class InfusionSession(models.Model):
    """One infusion day of an order's cycle in a chair (docs/clinical-rules.md 6). ``planned_end``
    is the planned start plus the engine's chair minutes; ``version`` is the optimistic-concurrency
    token of moves and cancellations."""

    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="sessions")
    # Denormalised from the order and the planned start (``fill_patient_day``) so that the
    # database can hold "one session per patient per day" (docs/clinical-rules.md 6.1).
    patient = models.ForeignKey(
        "orders.Patient", on_delete=models.PROTECT, related_name="infusion_sessions"
    )
    planned_day = models.DateField(help_text="The planned start's day in the unit's time zone.")
    cycle_number = models.PositiveSmallIntegerField()
    day_number = models.PositiveSmallIntegerField()
    chair = models.ForeignKey(Chair, on_delete=models.PROTECT, related_name="sessions")
    planned_start = models.DateTimeField(db_index=True)
    planned_end = models.DateTimeField()
    status = models.CharField(
        max_length=12, choices=SessionStatus.choices, default=SessionStatus.BOOKED, db_index=True
    )
    status_reason = models.TextField(
        blank=True, help_text="Why the session was last moved or cancelled."
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    # Completed with much less than the day's plan (``infusions.given``: under 90 % of its
    # volume or grams), set by the completion.
    partial_dose = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["planned_start", "chair__name", "id"]
        indexes = [
            models.Index(fields=["chair", "planned_start"]),
            # A patient's (an order's) sessions by day, and the live sessions from a day on.
            models.Index(fields=["order", "planned_start"], name="session_order_day"),
            models.Index(fields=["status", "planned_start"], name="session_status_day"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(planned_end__gt=F("planned_start")),
                name="infusion_session_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(cycle_number__gte=1, day_number__gte=1),
                name="infusion_session_cycle_and_day_positive",
            ),
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="infusion_session_status_valid"
            ),
            # One live session per order, cycle and day; cancelled ones stay in the record.
            models.UniqueConstraint(
                fields=["order", "cycle_number", "day_number"],
                condition=Q(
                    status__in=[
                        *(status.value for status in ACTIVE_STATUSES),
                        SessionStatus.COMPLETED.value,
                    ]
                ),
                name="infusion_session_one_live_per_order_day",
            ),
            # docs/clinical-rules.md 6.1: at most one session per patient per (local) day;
            # cancelled and missed sessions do not count.
            models.UniqueConstraint(
                fields=["patient", "planned_day"],
                condition=~Q(status__in=[status.value for status in NOT_COUNTED_FOR_DAY]),
                name=ONE_PER_PATIENT_DAY_CONSTRAINT_NAME,
                violation_error_message="The patient already has a session that day.",
            ),
            PostgresOnlyExclusionConstraint(
                name=NO_OVERLAP_CONSTRAINT_NAME,
                expressions=[
                    (TsTzRange("planned_start", "planned_end"), RangeOperators.OVERLAPS),
                    ("chair", RangeOperators.EQUAL),
                ],
                condition=Q(status__in=[status.value for status in ACTIVE_STATUSES]),
                violation_error_message="The chair already holds a session at that time.",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.order.number} cycle {self.cycle_number} day {self.day_number} "
            f"({self.status_label})"
        )

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.fill_patient_day()
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "patient", "planned_day"}
        super().save(*args, **kwargs)

    def fill_patient_day(self) -> None:
        """Set the denormalised ``patient`` and ``planned_day`` from the order and the planned
        start (``save`` does it; call it before ``bulk_create``)."""
        if self.patient_id is None:
            self.patient_id = self.order.patient_id
        self.planned_day = timezone.localdate(self.planned_start)

    @property
    def status_label(self) -> str:
        """The status in words: a completion with a partial dose says so."""
        return status_label(self.status, self.partial_dose)


class EntryKind(models.TextChoices):
    PREMEDICATION_GIVEN = "premedication_given", "Premedication given"
    IV_ACCESS = "iv_access", "IV access"
    LOT_RECORDED = "lot_recorded", "Lot and vials"
    STARTED = "started", "Infusion started"
    RATE_CHANGED = "rate_changed", "Rate changed"
    VITAL_SIGNS = "vital_signs", "Vital signs"
    ADVERSE_EVENT = "adverse_event", "Adverse event (infusion stopped)"
    RESTARTED = "restarted", "Infusion restarted"
    COMPLETED = "completed", "Infusion completed"
    NOTE = "note", "Note"


class Symptom(models.TextChoices):
    """The watch list shown to the nurse (docs/clinical-rules.md 3.5)."""

    FLUID_OVERLOAD = "fluid_overload", "Fluid overload"
    CARDIOVASCULAR = "cardiovascular", "Cardiovascular symptoms"
    ALLERGIC_REACTION = "allergic_reaction", "Allergic reaction"
    SKIN_RASH = "skin_rash", "Skin rash"
    FEVER = "fever", "Fever"
    HEADACHE = "headache", "Moderate to severe headache"


class Severity(models.TextChoices):
    MILD = "mild", "Mild"
    MODERATE = "moderate", "Moderate"
    SEVERE = "severe", "Severe"


class AppendOnlyError(Exception):
    """An administration entry was about to be changed or deleted (docs/clinical-rules.md 6:
    never)."""


class AdministrationEntry(models.Model):
    """One line of the administration record (docs/clinical-rules.md 6). Which fields a kind
    carries is checked by ``infusions.administration`` and, for the essentials, here."""

    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(max_length=20, choices=EntryKind.choices)
    occurred_at = models.DateTimeField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)
    correction_of = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )

    details = models.TextField(
        blank=True, help_text="Premedication given, IV access site and gauge, or a note."
    )
    rate_ml_per_h = models.PositiveSmallIntegerField("rate (mL/h)", null=True, blank=True)
    lot_number = models.CharField(max_length=40, blank=True)
    vial_size_g = models.DecimalField(
        "vial size (g)", max_digits=5, decimal_places=2, null=True, blank=True
    )
    vial_count = models.PositiveSmallIntegerField(null=True, blank=True)
    bp_systolic_mmhg = models.PositiveSmallIntegerField("systolic BP (mmHg)", null=True, blank=True)
    bp_diastolic_mmhg = models.PositiveSmallIntegerField(
        "diastolic BP (mmHg)", null=True, blank=True
    )
    pulse_per_min = models.PositiveSmallIntegerField("pulse (/min)", null=True, blank=True)
    temperature_c = models.DecimalField(
        "temperature (°C)", max_digits=3, decimal_places=1, null=True, blank=True
    )
    respiratory_rate_per_min = models.PositiveSmallIntegerField(
        "respiratory rate (/min)", null=True, blank=True
    )
    spo2_pct = models.PositiveSmallIntegerField("SpO₂ (%)", null=True, blank=True)
    symptoms = models.JSONField(default=list, blank=True)
    severity = models.CharField(max_length=8, choices=Severity.choices, blank=True)
    action = models.TextField(blank=True)
    volume_ml = models.DecimalField(
        "volume given (mL)", max_digits=6, decimal_places=1, null=True, blank=True
    )
    grams_given = models.DecimalField(
        "grams given (g)", max_digits=6, decimal_places=2, null=True, blank=True
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["occurred_at", "id"]
        verbose_name_plural = "administration entries"
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EntryKind.values), name="administration_entry_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(rate_ml_per_h__isnull=True)
                | Q(rate_ml_per_h__gte=1, rate_ml_per_h__lte=MAX_RATE_ML_PER_H),
                name="administration_entry_rate_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind__in=["started", "rate_changed", "restarted"])
                | Q(rate_ml_per_h__isnull=False),
                name="administration_entry_rate_kinds_have_rate",
            ),
            models.CheckConstraint(
                condition=~Q(kind="vital_signs")
                | Q(
                    bp_systolic_mmhg__isnull=False,
                    bp_diastolic_mmhg__isnull=False,
                    pulse_per_min__isnull=False,
                ),
                name="administration_entry_vitals_have_bp_and_pulse",
            ),
            models.CheckConstraint(
                condition=Q(spo2_pct__isnull=True) | Q(spo2_pct__gte=50, spo2_pct__lte=100),
                name="administration_entry_spo2_range",
            ),
            models.CheckConstraint(
                condition=~Q(kind="lot_recorded")
                | (~Q(lot_number="") & Q(vial_size_g__gt=0, vial_count__gte=1)),
                name="administration_entry_lot_has_vials",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adverse_event") | ~Q(severity=""),
                name="administration_entry_adverse_event_has_severity",
            ),
            models.CheckConstraint(
                condition=~Q(kind="completed") | Q(volume_ml__gte=0, grams_given__gte=0),
                name="administration_entry_completion_has_amounts",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.occurred_at:%Y-%m-%d %H:%M}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("Administration entries are never changed: add a correction.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise AppendOnlyError("Administration entries are never deleted: add a correction.")

    def symptom_labels(self) -> list[str]:
        labels = dict(Symptom.choices)
        return [labels.get(code, code) for code in self.symptoms]


def token_digest(token: str) -> str:
    """The stored form of a calendar token: only its SHA-256, so a database copy opens no feed."""
    return hashlib.sha256(token.encode()).hexdigest()


class CalendarFeedToken(models.Model):
    """A user's secret for their iCalendar feeds (calendar apps cannot sign in). One per user;
    rotating replaces it. Only the digest is stored; the token is shown once, when made."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed_token"
    )
    token_sha256 = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords()

    def __str__(self) -> str:
        return f"Calendar feed token of {self.user}"


# Reaction plans (docs/clinical-rules.md 3.8.3) and session reasons for session-only findings
# (3.8.2, 3.9) live in their own modules; imported here so that Django registers them with the
# infusions app.
from .override_models import SessionOverride  # noqa: E402, F401
from .planning.models import NurseShift, ShiftBreak, StaffingPolicy  # noqa: E402, F401
from .reaction_models import ReactionPlan  # noqa: E402, F401
