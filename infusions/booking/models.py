"""Infusion sessions (docs/clinical-rules.md 6): a cycle of an order booked on a chair, its
statuses and the database constraints that keep a chair and a patient's day from double
booking. Data only; changes go through ``infusions.booking.services`` and
``infusions.administration.services``, every row change kept by django-simple-history.
"""

from typing import Any

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, RangeOperators
from django.db import DEFAULT_DB_ALIAS, connections, models
from django.db.models import F, Func, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from infusions.chairs.models import Chair


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


# Sessions that book their cycle: the cycle is not to book again
# (``booking.next_cycles.first_free_cycle``).
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
    # Completed with much less than the day's plan (``infusions.administration.given``: under
    # 90 % of its volume or grams), set by the completion.
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
            # The chairs' active sessions over a booking proposal's horizon (what can collide
            # with a new session): read from the index alone on PostgreSQL.
            models.Index(
                fields=["planned_start"],
                include=["chair", "planned_end"],
                condition=Q(status__in=[status.value for status in ACTIVE_STATUSES]),
                name="session_active_start",
            ),
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
