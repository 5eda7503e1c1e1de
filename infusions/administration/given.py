"""How much of a session's day was given, and what remains (docs/clinical-rules.md 3.5, 6): the
one answer the session page, the restart line, the schedule, the course chart and the API read.

Rules, as implemented:

- Once the infusion is completed, the completion entry's volume and grams are what was given
  (the nurse read them off the pump and the vials): ``recorded`` is True.
- Before that, the volume is worked out from the recorded rates and times up to ``at``
  (``InfusionState.volume_given_ml``), never more than the day's volume (the bag holds no more),
  and the grams are that volume at the product's concentration, never more than the day's dose.
- What remains is the day's volume and dose less what was given, never below 0.
- A completion is a **partial dose** when less than ``PARTIAL_DOSE_FRACTION`` (90 %) of the
  day's volume or grams was given: 5 mL of 250 mL is recorded and shown as a partial dose with
  its grams, not as a plain completion.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from infusions.administration.models import AdministrationEntry, EntryKind
from infusions.administration.record import InfusionState, infusion_state
from infusions.booking.models import InfusionSession
from ivig.engine import DosePlan
from ivig.templatetags.clinical import num

PARTIAL_DOSE_FRACTION = Decimal("0.9")
GRAMS_QUANTUM = Decimal("0.01")


@dataclass(frozen=True)
class Given:
    """What a session gave of its day: volume and grams, and the day's planned volume and dose."""

    volume_ml: Decimal
    grams: Decimal
    day_volume_ml: Decimal
    day_dose_g: Decimal
    recorded: bool  # from the completion entry; False: worked out from the rates and times
    completed: bool

    @property
    def remaining_volume_ml(self) -> Decimal:
        return max(Decimal(0), self.day_volume_ml - self.volume_ml)

    @property
    def remaining_g(self) -> Decimal:
        return max(Decimal(0), self.day_dose_g - self.grams)

    @property
    def partial(self) -> bool:
        """A completion with less than 90 % of the day's volume or grams."""
        return self.completed and (
            self.volume_ml < self.day_volume_ml * PARTIAL_DOSE_FRACTION
            or self.grams < self.day_dose_g * PARTIAL_DOSE_FRACTION
        )

    @property
    def summary(self) -> str:
        """In words, as every screen writes it."""
        given = (
            f"{num(self.volume_ml)} mL ({num(self.grams)} g) of the day's "
            f"{num(self.day_volume_ml)} mL ({num(self.day_dose_g)} g)"
        )
        if self.partial:
            return f"Partial dose: {given} given."
        if self.completed:
            return f"Completed: {given} given."
        return (
            f"Given so far: {given}; {num(self.remaining_volume_ml)} mL "
            f"({num(self.remaining_g)} g) remain."
        )


def latest_completion(entries: Iterable[AdministrationEntry]) -> AdministrationEntry | None:
    completions = [entry for entry in entries if entry.kind == EntryKind.COMPLETED]
    return max(completions, key=lambda e: (e.occurred_at, e.pk or 0)) if completions else None


def given_from(
    state: InfusionState,
    completion: AdministrationEntry | None,
    *,
    day_volume_ml: Decimal | int,
    day_dose_g: Decimal,
    concentration_pct: Decimal,
    at: datetime,
) -> Given:
    """``Given`` from the infusion's state and its completion entry (see the module rules)."""
    day_volume = Decimal(day_volume_ml)
    if completion is not None and completion.volume_ml is not None:
        return Given(
            volume_ml=completion.volume_ml,
            grams=completion.grams_given if completion.grams_given is not None else Decimal(0),
            day_volume_ml=day_volume,
            day_dose_g=day_dose_g,
            recorded=True,
            completed=True,
        )
    volume = min(state.volume_given_ml(at), day_volume) if state.started else Decimal(0)
    grams = min(
        (volume * concentration_pct / 100).quantize(GRAMS_QUANTUM, rounding=ROUND_HALF_UP),
        day_dose_g,
    )
    return Given(
        volume_ml=volume,
        grams=grams,
        day_volume_ml=day_volume,
        day_dose_g=day_dose_g,
        recorded=False,
        completed=False,
    )


def session_given(
    session: InfusionSession,
    plan: DosePlan,
    *,
    entries: Iterable[AdministrationEntry] | None = None,
    at: datetime | None = None,
) -> Given:
    """How much of ``session``'s day (``plan``: its plan from the one accessor) was given by
    ``at`` (default now), and what remains."""
    assert plan.daily_volume_ml is not None and plan.daily_dose_g is not None
    rows = list(entries if entries is not None else session.entries.all())
    return given_from(
        infusion_state(rows),
        latest_completion(rows),
        day_volume_ml=plan.daily_volume_ml,
        day_dose_g=plan.daily_dose_g,
        concentration_pct=session.order.product.concentration_pct,
        at=at or timezone.now(),
    )


def completed_grams() -> Subquery:
    """In SQL, the grams a session gave once completed (the rule of ``given_from``: its latest
    completion entry, a correction included); null while none is recorded."""
    return Subquery(
        AdministrationEntry.objects.filter(session=OuterRef("pk"), kind=EntryKind.COMPLETED)
        .order_by("-occurred_at", "-id")
        .values("grams_given")[:1]
    )
