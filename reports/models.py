"""The stewardship report's roll-up (docs/clinical-rules.md 10.5, reports/rollup.py): derived from
the sessions, their completion entries and their orders' frozen plans, never edited by hand."""

from django.conf import settings
from django.db import models


class StewardshipDay(models.Model):
    """What the stewardship report counts of one local day's sessions of one indication, product
    and prescriber (the order's signer): how many sessions, the grams counted (given on
    completion, else the signed plan's daily dose) and the grams saved (by the dosing-weight rule
    and by vial rounding). Written by ``reports.rollup``; not in the history (the sessions are)."""

    day = models.DateField()
    indication = models.ForeignKey("orders.Indication", on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey("formulary.Product", on_delete=models.CASCADE, related_name="+")
    prescriber = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    sessions = models.PositiveIntegerField()
    grams = models.DecimalField(max_digits=20, decimal_places=8)
    saved_by_weight_g = models.DecimalField(max_digits=20, decimal_places=8)
    saved_by_rounding_g = models.DecimalField(max_digits=20, decimal_places=8)

    class Meta:
        indexes = [models.Index(fields=["day"], name="stewardship_day")]

    def __str__(self) -> str:
        return f"{self.day}: {self.sessions} sessions"


class StewardshipSession(models.Model):
    """The day each session was last counted under in ``StewardshipDay``: when a session changes,
    the day it left is counted again too (a session moved to another day, or one never seen in
    the history, as bulk-loaded data is)."""

    session = models.OneToOneField(
        "infusions.InfusionSession", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    day = models.DateField()

    def __str__(self) -> str:
        return f"session {self.session_id} on {self.day}"


class StewardshipRollup(models.Model):
    """The roll-up's one bookkeeping row: every change to a session or a completion recorded
    before ``counted_until`` is in ``StewardshipDay``; days changed since are counted live."""

    counted_until = models.DateTimeField()
    refreshed_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"counted until {self.counted_until}"
