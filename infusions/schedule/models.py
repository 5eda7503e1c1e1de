"""The sessions no approval covers, kept (infusions/schedule/uncovered_sessions.py): derived,
never edited by hand, not in the history (the sessions and the authorizations are)."""

from django.db import models


class SessionCoverageGap(models.Model):
    """A tentative or booked session that no approval covers, with why (``coverage_blocker``,
    the start's rule). Written again on every save of the session and whenever the stored
    coverage of its order is (an approval or the order's plan changed). Every change of a
    session's status is a save (cancellations too), except the missed sweep's bulk update,
    which touches only sessions of past days: the panel, which shows today on, never sees them.
    """

    session = models.OneToOneField(
        "infusions.InfusionSession", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    planned_start = models.DateTimeField()
    blocker = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["planned_start", "session"], name="coverage_gap_soonest")]

    def __str__(self) -> str:
        return f"session {self.session_id}: {self.blocker}"


class CoverageGapsBuilt(models.Model):
    """Present once every session's gap has been judged (``rebuild_gaps``, or a database that
    had no sessions when the table was made): until then the dashboard judges every session."""

    built_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"built {self.built_at}"
