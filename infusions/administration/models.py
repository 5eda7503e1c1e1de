"""The administration record (docs/clinical-rules.md 6) and the reasons clinicians give on one
session for its session-only findings (3.8.2, 3.9): data and constraints, no workflows.

Administration entries are append-only: a correction is a new entry pointing at the one it
corrects (``correction_of``). Changes go through ``infusions.administration.services`` and
``infusions.administration.session_reasons``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from infusions.booking.models import InfusionSession

# docs/clinical-rules.md 3.4: no rate above 200 mL/h, whatever the plan.
MAX_RATE_ML_PER_H = 200


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


# A reason is a sentence or two for the record, not a note: longer text is refused.
SESSION_REASON_MAX_CHARS = 1000


class SessionOverride(models.Model):
    """A clinician's reason for going ahead with finding ``code`` on ``session`` on its day
    (``session_day``), with the finding's message as the clinician read it. One per session,
    code and day; never edited (history kept)."""

    session = models.ForeignKey(
        "infusions.InfusionSession", on_delete=models.PROTECT, related_name="overrides"
    )
    code = models.CharField(max_length=50)
    session_day = models.DateField(
        help_text="The session's day when the reason was given: moved to another day, the "
        "session is judged again."
    )
    message = models.TextField(help_text="The finding as the clinician read it.")
    reason = models.TextField(max_length=SESSION_REASON_MAX_CHARS)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    given_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["given_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "code", "session_day"], name="session_override_code_unique"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="session_override_reason_given"),
        ]

    def __str__(self) -> str:
        return f"{self.code} on session #{self.session_id}: {self.reason}"


class PremedicationGiven(models.Model):
    """One premedication line as the nurse gave it (``given_at``) or did not give it
    (``not_given_reason``), recorded once per session and line by ``given_by``
    (docs/clinical-rules.md 3.5, 6): a line of the session's order (``line``) or a line a
    reaction plan the session follows adds (``plan_line``). Never changed: a correction is a
    note in the record."""

    session = models.ForeignKey(
        InfusionSession, on_delete=models.PROTECT, related_name="premedication_given"
    )
    line = models.ForeignKey(
        "orders.PremedicationLine",
        on_delete=models.PROTECT,
        related_name="given",
        null=True,
        blank=True,
    )
    plan_line = models.ForeignKey(
        "infusions.ReactionPlanLine",
        on_delete=models.PROTECT,
        related_name="given",
        null=True,
        blank=True,
    )
    given_at = models.DateTimeField(null=True, blank=True)
    not_given_reason = models.TextField(blank=True, max_length=SESSION_REASON_MAX_CHARS)
    given_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=timezone.now, editable=False)

    history = HistoricalRecords()

    class Meta:
        ordering = ["line__position", "id"]
        verbose_name = "premedication given"
        verbose_name_plural = "premedication given"
        constraints = [
            models.UniqueConstraint(
                fields=["session", "line"], name="premedication_given_once_per_session_line"
            ),
            models.UniqueConstraint(
                fields=["session", "plan_line"],
                name="premedication_given_once_per_session_plan_line",
            ),
            models.CheckConstraint(
                condition=Q(line__isnull=False, plan_line__isnull=True)
                | Q(line__isnull=True, plan_line__isnull=False),
                name="premedication_given_one_line",
                violation_error_message="A line of the order or of a reaction plan, not both.",
            ),
            models.CheckConstraint(
                condition=(Q(given_at__isnull=False) & Q(not_given_reason=""))
                | (Q(given_at__isnull=True) & ~Q(not_given_reason="")),
                name="premedication_given_time_or_reason",
                violation_error_message="Either the time it was given or why it was not.",
            ),
        ]

    def __str__(self) -> str:
        line = self.line or self.plan_line
        if self.given_at is not None:
            return f"{line} given at {self.given_at:%Y-%m-%d %H:%M}"
        return f"{line} not given: {self.not_given_reason}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None and not self._state.adding:
            raise AppendOnlyError("What was given is never changed: add a note.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
