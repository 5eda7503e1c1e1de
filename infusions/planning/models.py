"""Nurses on shift and the unit's staffing policy (docs/planner.md): data and database
constraints, no workflows. Changes go through ``infusions.planning.services``; every row change
is kept by django-simple-history with the acting user."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

DEFAULT_PATIENTS_PER_NURSE = 4
DEFAULT_TITRATIONS_PER_NURSE = 2


class NurseShift(models.Model):
    """One nurse on the ward on one day, in local time (``TIME_ZONE``); kept by the nurse in
    charge."""

    nurse = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="nurse_shifts"
    )
    day = models.DateField(db_index=True)
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["day", "starts_at", "nurse_id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="nurse_shift_ends_after_start",
                violation_error_message="A shift ends after it starts.",
            ),
            models.UniqueConstraint(
                fields=["nurse", "day", "starts_at"], name="nurse_shift_unique_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.nurse} on {self.day:%d %b %Y} {self.starts_at:%H:%M} to {self.ends_at:%H:%M}"


class ShiftBreak(models.Model):
    """A time within a shift when the nurse is off the ward."""

    shift = models.ForeignKey(NurseShift, on_delete=models.CASCADE, related_name="breaks")
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    history = HistoricalRecords()

    class Meta:
        ordering = ["shift", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")),
                name="shift_break_ends_after_start",
                violation_error_message="A break ends after it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"Break {self.starts_at:%H:%M} to {self.ends_at:%H:%M}"


class StaffingPolicy(models.Model):
    """The unit's nurse ratios (docs/planner.md); one row, the defaults until it is saved."""

    patients_per_nurse = models.PositiveSmallIntegerField(
        default=DEFAULT_PATIENTS_PER_NURSE, help_text="Patients in chairs per nurse at once."
    )
    titrations_per_nurse = models.PositiveSmallIntegerField(
        default=DEFAULT_TITRATIONS_PER_NURSE,
        help_text="Patients in titration (before the top rate) per nurse at once.",
    )

    history = HistoricalRecords()

    class Meta:
        verbose_name_plural = "staffing policy"
        constraints = [
            models.CheckConstraint(
                condition=Q(patients_per_nurse__gte=1, patients_per_nurse__lte=12),
                name="staffing_policy_patients_range",
            ),
            models.CheckConstraint(
                condition=Q(titrations_per_nurse__gte=1)
                & Q(titrations_per_nurse__lte=F("patients_per_nurse")),
                name="staffing_policy_titrations_range",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.patients_per_nurse} patients, {self.titrations_per_nurse} in titration "
            "per nurse"
        )


class PatientPreference(models.Model):
    """A patient's time window and preferences for their sessions (docs/planner.md), in local
    time, kept by nurses: the window (``earliest_start``, ``latest_end``) is hard for the
    planner and the booking proposal; the preferred start range and chair are kept when
    possible."""

    patient = models.OneToOneField(
        "orders.Patient", on_delete=models.CASCADE, related_name="planning_preference"
    )
    earliest_start = models.TimeField(null=True, blank=True)
    latest_end = models.TimeField(null=True, blank=True)
    preferred_start_from = models.TimeField(null=True, blank=True)
    preferred_start_to = models.TimeField(null=True, blank=True)
    preferred_chair = models.ForeignKey(
        "infusions.Chair", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(earliest_start__isnull=True)
                | Q(latest_end__isnull=True)
                | Q(latest_end__gt=F("earliest_start")),
                name="patient_preference_window_order",
                violation_error_message="The latest end is after the earliest start.",
            ),
            models.CheckConstraint(
                condition=(
                    Q(preferred_start_from__isnull=True) & Q(preferred_start_to__isnull=True)
                )
                | Q(
                    preferred_start_from__isnull=False,
                    preferred_start_to__gte=F("preferred_start_from"),
                ),
                name="patient_preference_range_order",
                violation_error_message="A preferred start range has both ends, in order.",
            ),
        ]

    def __str__(self) -> str:
        return f"Times of {self.patient}"
