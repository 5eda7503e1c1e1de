"""Reaction plans (docs/clinical-rules.md 3.8.3): a clinician's plan for an infusion reaction
recorded on a session, which later sessions of the patient follow, and the premedication lines
a plan adds (3.5)."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from orders.premedication.models import PremedicationLineFields

# docs/clinical-rules.md 3.4: no rate above 200 mL/h.
REACTION_PLAN_MAX_RATE_ML_PER_H = 200


class ReactionPlan(models.Model):
    """What later sessions do after ``reaction`` (an adverse-event entry): a lower maximum rate
    (their rates are capped there), added premedication lines (``ReactionPlanLine``, each
    version its own), or continue unchanged with a reason. One plan per reaction; a clinician
    revises it as a new ``version`` (every version kept in its history: who, when, before and
    after). ``added_lines_words`` is the version's lines in words, written with them (what the
    history compares and the constraint sees); ``dose_high_reason`` is the clinician's reason
    for a child's line above the children's maximum (the version's, blank when none is);
    ``added_premedication`` is the text of a plan written before the lines, kept as written
    until the next version replaces it."""

    reaction = models.OneToOneField(
        "infusions.AdministrationEntry", on_delete=models.PROTECT, related_name="reaction_plan"
    )
    max_rate_ml_per_h = models.PositiveSmallIntegerField(
        "maximum rate (mL/h)", null=True, blank=True
    )
    added_lines_words = models.TextField(
        blank=True, editable=False, help_text="The version's added premedication lines in words."
    )
    added_premedication = models.TextField(
        "added premedication as written",
        blank=True,
        help_text="Plans written before the lines only: the parts that did not read as lines.",
    )
    reason = models.TextField(blank=True)
    dose_high_reason = models.TextField(
        "reason for a dose above the children's maximum",
        blank=True,
        help_text="A child's added line above its drug's children's maximum per kg: "
        "the clinician's reason.",
    )
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
                | ~Q(added_lines_words="")
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
        added = "; ".join(filter(None, (self.added_lines_words, self.added_premedication)))
        if added:
            parts.append(f"premedication: {added}")
        if not parts:
            parts.append("continue unchanged")
        if self.reason:
            parts.append(f"reason: {self.reason}")
        if self.dose_high_reason:
            parts.append(f"above the child maximum: {self.dose_high_reason}")
        return "; ".join(parts)


class ReactionPlanLine(PremedicationLineFields):
    """A premedication line a reaction plan adds to the patient's later sessions (docs/
    clinical-rules.md 3.5), the same fields and rules as an order's line. The lines of each
    version of the plan are their own rows (``version``), never changed or deleted: the nurse's
    record of one (``PremedicationGiven.plan_line``) stays as it was after a revision."""

    plan = models.ForeignKey(ReactionPlan, on_delete=models.PROTECT, related_name="lines")
    version = models.PositiveIntegerField()
    drug = models.ForeignKey(
        "formulary.PremedicationDrug", on_delete=models.PROTECT, related_name="reaction_plan_lines"
    )
    # PREMEDICATION_DOSE_HIGH judged this line above its drug's children's maximum when the
    # version was saved: the version's reason for it (blank: not above), kept with the line as
    # the nurse's record of it is.
    dose_high_reason = models.TextField(
        "reason for a dose above the children's maximum", blank=True, editable=False
    )

    history = HistoricalRecords()

    class Meta(PremedicationLineFields.Meta):
        ordering = ["plan", "version", "position", "id"]
        constraints = [
            *PremedicationLineFields.Meta.constraints,
            models.UniqueConstraint(
                fields=["plan", "version", "drug"], name="reaction_plan_line_drug_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.drug} {self.dose} {self.dose_unit} {self.route}"
