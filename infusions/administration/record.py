"""Where an infusion stands, read from its administration record (docs/clinical-rules.md 3.5, 6).

The record is append-only, so the state is a replay of its entries in time order: started at,
the rate running now, stopped by an adverse event or not, restarted or not, completed or not.
Only the kinds that drive the infusion (``STATE_KINDS``) change the state; they are corrected by
a note, never replaced, because what happened to the patient happened.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from infusions.administration.models import AdministrationEntry, EntryKind
from ivig.engine.restart import RateSegment, volume_given_ml

STATE_KINDS = frozenset(
    {
        EntryKind.STARTED,
        EntryKind.RATE_CHANGED,
        EntryKind.ADVERSE_EVENT,
        EntryKind.RESTARTED,
        EntryKind.COMPLETED,
    }
)
# Kinds that only make sense once the infusion runs, and never before its start entry.
IN_INFUSION_KINDS = STATE_KINDS - {EntryKind.STARTED}


def minutes_between(earlier: datetime, later: datetime) -> Decimal:
    """Exact minutes from ``earlier`` to ``later`` (seconds count)."""
    return Decimal(int((later - earlier).total_seconds())) / 60


@dataclass
class InfusionState:
    started_at: datetime | None = None
    rate_ml_per_h: int = 0  # running now; 0 before the start, when stopped and when completed
    stopped: bool = False  # by an adverse event, awaiting a restart
    stopped_at: datetime | None = None  # the latest adverse event
    rate_at_stop_ml_per_h: int | None = None
    restarted_at: datetime | None = None
    restart_rate_ml_per_h: int | None = None
    completed_at: datetime | None = None
    last_state_at: datetime | None = None  # the latest entry of a STATE_KIND
    # (since, rate) each time the rate changed, for the volume given.
    rate_history: list[tuple[datetime, int]] = field(default_factory=list)

    @property
    def started(self) -> bool:
        return self.started_at is not None

    @property
    def running(self) -> bool:
        return self.started and not self.stopped and self.completed_at is None

    def volume_given_ml(self, until: datetime) -> Decimal:
        """Volume infused from the start until ``until`` (the engine sums the segments): only
        the record up to ``until`` counts, so a later rate (a restart, say) adds nothing."""
        segments = []
        for index, (since, rate_ml_per_h) in enumerate(self.rate_history):
            if since >= until:
                break  # the rest of the record is after ``until``
            end = self.rate_history[index + 1][0] if index + 1 < len(self.rate_history) else until
            end = min(end, until)
            if end > since:
                segments.append(RateSegment(rate_ml_per_h, minutes_between(since, end)))
        return volume_given_ml(segments)


def infusion_state(entries: Iterable[AdministrationEntry]) -> InfusionState:
    """Replay ``entries`` (any order) into the infusion's state."""
    state = InfusionState()
    for entry in sorted(entries, key=lambda entry: (entry.occurred_at, entry.pk or 0)):
        if entry.kind not in STATE_KINDS:
            continue
        state.last_state_at = entry.occurred_at
        if entry.kind == EntryKind.STARTED:
            state.started_at = entry.occurred_at
            state.rate_ml_per_h = entry.rate_ml_per_h or 0
        elif entry.kind == EntryKind.RATE_CHANGED:
            state.rate_ml_per_h = entry.rate_ml_per_h or 0
        elif entry.kind == EntryKind.ADVERSE_EVENT:
            state.stopped = True
            state.stopped_at = entry.occurred_at
            state.rate_at_stop_ml_per_h = state.rate_ml_per_h
            state.rate_ml_per_h = 0
        elif entry.kind == EntryKind.RESTARTED:
            state.stopped = False
            state.restarted_at = entry.occurred_at
            state.restart_rate_ml_per_h = entry.rate_ml_per_h
            state.rate_ml_per_h = entry.rate_ml_per_h or 0
        elif entry.kind == EntryKind.COMPLETED:
            state.completed_at = entry.occurred_at
            state.rate_ml_per_h = 0
        state.rate_history.append((entry.occurred_at, state.rate_ml_per_h))
    return state
