"""Every question the orders app asks the apps above it, in one place (docs/architecture.md,
layers): each a typed ``Protocol``, set once by the app that answers it in its
``AppConfig.ready`` and looked up here. Orders never imports those apps.

- ``CoverageJudge`` (authorizations, ``AuthorizationsConfig.ready``): whether approved
  authorizations cover every cycle of each of some orders (docs/clinical-rules.md 7, 3.8
  NO_AUTHORIZATION), given the plan whose grams count when the order has no plan frozen at signing;
- ``CalendarSource`` (infusions): some patients' live sessions, for the IVIg calendar
  (docs/clinical-rules.md 3.9);
- ``SessionSource`` (infusions): what one session brings to its plan: the reactions it carries
  forward and the reasons given on it (3.8.2, 3.8.3, 3.9);
- ``LastCycleSource`` (infusions): some patients' last cycle given on or before a day
  (HEMOLYSIS_SUSPECTED, 3.8.2).

The coverage, calendar and last cycle ports answer many patients or orders at once (by id), so
that a page of orders reads its facts in bulk (``orders.dose_plans.plan_facts``); one is asked
as a list of one.

A port asked before anything answers it is ``PortNotRegistered``: a start-up mistake shown at
once, never a silent default.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Generic, Protocol, TypeVar

from ivig.engine import CycleFacts
from ivig.engine.models import ReactionFacts

from .models import Order, Patient


class PortNotRegistered(LookupError):
    """No app answered this port at start-up (its ``AppConfig.ready`` did not run)."""


# --- what the ports carry --------------------------------------------------------------------


@dataclass(frozen=True)
class CalendarSession:
    """A live session (not cancelled or missed) of the patient, as the infusions app knows it:
    its local day and the grams given where the administration record has them."""

    session_id: int
    order_id: int
    cycle_number: int
    day: date
    given_g: Decimal | None
    started: bool = False  # in progress or completed


@dataclass(frozen=True)
class SessionReason:
    """A clinician's reason to go ahead with a session-only override finding (for example
    CREATININE_DUE: docs/clinical-rules.md 3.8.2, 3.9) on one session: ``given_by`` as people
    know them, ``given_at`` when it was given."""

    code: str
    reason: str
    given_by: str
    given_at: datetime


@dataclass(frozen=True)
class SessionInputs:
    """What one session brings to its plan, beside its day (docs/clinical-rules.md 3.8.2,
    3.8.3): the reactions it carries forward (PRIOR_INFUSION_REACTION) and the clinicians'
    reasons given on it for session-only findings."""

    prior_reactions: Sequence[ReactionFacts] = ()
    reasons: Sequence[SessionReason] = ()
    # Whether an approval covers this session (its cycle and day, docs/clinical-rules.md 7):
    # the same judgement that refuses its start, so that the session's plan raises
    # NO_AUTHORIZATION exactly when the session cannot start for it. None: not judged (the
    # order's coverage is used).
    covered: bool | None = None


# --- the ports ---------------------------------------------------------------------------------


class CoverageJudge(Protocol):
    def __call__(
        self, orders: Sequence[tuple[Order, Mapping[str, Any] | None]]
    ) -> Mapping[int | None, bool]:
        """Per order id, whether approved authorizations cover every cycle of the order; the
        plan beside it (docs/api.md's JSON shape) gives the grams when the order has no plan
        frozen at signing. Many orders at once (a page of them) read their approvals together."""
        ...


class CalendarSource(Protocol):
    def __call__(self, patient_ids: Sequence[int]) -> Mapping[int, Sequence[CalendarSession]]:
        """Per patient id, the patient's live sessions, every order."""
        ...


class SessionSource(Protocol):
    def __call__(self, session_id: int) -> SessionInputs:
        """What session ``session_id`` brings to its plan."""
        ...


class LastCycleSource(Protocol):
    def __call__(self, patients: Sequence[Patient], as_of: date) -> Mapping[int, CycleFacts | None]:
        """Per patient id, the patient's last cycle given on or before ``as_of``; None when none
        was."""
        ...


Port = TypeVar("Port")


class _Slot(Generic[Port]):
    """One port's answer, set once at start-up."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.answer: Port | None = None

    def set(self, answer: Port) -> None:
        self.answer = answer

    def get(self) -> Port:
        if self.answer is None:
            raise PortNotRegistered(f"Nothing answers the orders port {self.name!r}.")
        return self.answer


_coverage_judge: _Slot[CoverageJudge] = _Slot("coverage judge")
_calendar_source: _Slot[CalendarSource] = _Slot("calendar source")
_session_source: _Slot[SessionSource] = _Slot("session source")
_last_cycle_source: _Slot[LastCycleSource] = _Slot("last cycle source")
SLOTS = (_coverage_judge, _calendar_source, _session_source, _last_cycle_source)


def register_coverage_judge(judge: CoverageJudge) -> None:
    """Set the one function that says whether an order is covered (the authorizations app)."""
    _coverage_judge.set(judge)


def coverage_judge() -> CoverageJudge:
    return _coverage_judge.get()


def register_calendar_source(source: CalendarSource) -> None:
    """Set the one function that lists a patient's live sessions (the infusions app)."""
    _calendar_source.set(source)


def calendar_source() -> CalendarSource:
    return _calendar_source.get()


def register_session_source(source: SessionSource) -> None:
    """Set the one function that gives a session's inputs (the infusions app): the engine's
    PRIOR_INFUSION_REACTION reads its reactions from the plan's request, and the session's
    reasons answer its session-only findings (``OrderPlan.session_reasons``)."""
    _session_source.set(source)


def session_source() -> SessionSource:
    return _session_source.get()


def register_last_cycle_source(source: LastCycleSource) -> None:
    """Set the one function giving a patient's last cycle given on or before a day (the
    infusions app)."""
    _last_cycle_source.set(source)


def last_cycle_source() -> LastCycleSource:
    return _last_cycle_source.get()


def unanswered_ports() -> list[str]:
    """The ports nothing answers (none once every app is ready)."""
    return [slot.name for slot in SLOTS if slot.answer is None]
