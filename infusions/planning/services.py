"""Nurses on shift, the staffing policy, and accepting a plan (docs/planner.md): one transaction
per change, every change kept in the history with the acting user, refusals raised as
``InfusionError``. Each accepted move goes through the booking service's ``session_move``, so
every check of a move runs (chair, opening hours, the patient's day, the living plan)."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

from django.db import transaction

from infusions.booking.services import session_move
from ivig.accounts.models import User
from ivig.accounts.roles import GROUP_NAMES, Role
from orders.models import Patient

from ..booking.models import InfusionSession
from ..chairs.models import Chair
from ..common import local, save_as
from ..errors import InfusionError
from .models import NurseShift, PatientPreference, ShiftBreak, StaffingPolicy
from .problem import Move
from .selectors import moves_violations

MOVE_REASON = "Planner suggestion accepted"


def is_nurse(user: User) -> bool:
    return user.is_active and user.groups.filter(name=GROUP_NAMES[Role.NURSE]).exists()


@transaction.atomic
def shift_save(
    shift: NurseShift | None,
    *,
    by: User,
    nurse: User,
    day: date,
    starts_at: time,
    ends_at: time,
    breaks: Sequence[tuple[time, time]] = (),
) -> NurseShift:
    """Record (or change) a nurse's shift on a day, with its breaks: the nurse holds the nurse
    role, the shift ends after it starts, each break lies within it, and the nurse has no other
    shift overlapping it that day."""
    if not is_nurse(nurse):
        raise InfusionError(
            InfusionError.INVALID, f"{nurse} does not hold the nurse role.", field="nurse"
        )
    if ends_at <= starts_at:
        raise InfusionError(InfusionError.INVALID, "A shift ends after it starts.", field="ends_at")
    for begin, end in breaks:
        if not starts_at <= begin < end <= ends_at:
            raise InfusionError(
                InfusionError.INVALID,
                "A break starts before it ends, within the shift.",
                field="breaks",
            )
    others = NurseShift.objects.filter(
        nurse=nurse, day=day, starts_at__lt=ends_at, ends_at__gt=starts_at
    )
    if shift is not None:
        others = others.exclude(pk=shift.pk)
    if others.exists():
        raise InfusionError(
            InfusionError.INVALID,
            f"{nurse} already has a shift overlapping that time on {day:%d %b %Y}.",
            field="starts_at",
        )
    shift = shift or NurseShift()
    shift.nurse, shift.day, shift.starts_at, shift.ends_at = nurse, day, starts_at, ends_at
    save_as(shift, by, "Shift saved")
    for old in shift.breaks.all():
        old._history_user = by  # type: ignore[attr-defined]
        old.delete()
    for begin, end in breaks:
        save_as(ShiftBreak(shift=shift, starts_at=begin, ends_at=end), by, "Break set")
    return shift


@transaction.atomic
def shift_delete(shift: NurseShift, *, by: User) -> None:
    """Remove a shift (the history keeps it, with who removed it)."""
    for old in shift.breaks.all():
        old._history_user = by  # type: ignore[attr-defined]
        old.delete()
    shift._history_user = by  # type: ignore[attr-defined]
    shift.delete()


@transaction.atomic
def policy_save(*, by: User, patients_per_nurse: int, titrations_per_nurse: int) -> StaffingPolicy:
    """Set the unit's nurse ratios: 1 to 12 patients per nurse, and in titration at least 1
    and at most the patients per nurse."""
    if not 1 <= patients_per_nurse <= 12:
        raise InfusionError(
            InfusionError.INVALID,
            "Patients per nurse is from 1 to 12.",
            field="patients_per_nurse",
        )
    if not 1 <= titrations_per_nurse <= patients_per_nurse:
        raise InfusionError(
            InfusionError.INVALID,
            "Patients in titration per nurse is from 1 to the patients per nurse.",
            field="titrations_per_nurse",
        )
    policy = StaffingPolicy.objects.select_for_update().order_by("pk").first() or StaffingPolicy()
    policy.patients_per_nurse = patients_per_nurse
    policy.titrations_per_nurse = titrations_per_nurse
    save_as(policy, by, "Staffing policy saved")
    return policy


# --- accepting a plan ------------------------------------------------------------------------


@dataclass(frozen=True)
class MoveOutcome:
    session_id: int
    moved: bool
    message: str


def check_moves(moves: Sequence[Move]) -> None:
    """Refuse moves that change a session's day, name a session twice, or would break the
    nurses' ratio (``selectors.moves_violations``): the planner moves within a day only."""

    ids = [move.session_id for move in moves]
    if len(set(ids)) != len(ids):
        raise InfusionError(InfusionError.INVALID, "Each session is moved once.", field="moves")
    days = dict(InfusionSession.objects.filter(pk__in=ids).values_list("pk", "planned_day"))
    for move in moves:
        if move.session_id not in days:
            raise InfusionError(
                InfusionError.INVALID, f"No session {move.session_id}.", field="moves"
            )
        if local(move.start).date() != days[move.session_id]:
            raise InfusionError(
                InfusionError.INVALID,
                "A suggested move keeps the session on its day.",
                field="moves",
            )
    violations = moves_violations(moves)
    if violations:
        raise InfusionError(
            InfusionError.INVALID,
            "These moves together break a rule of the plan: " + "; ".join(violations[:3]) + ".",
            field="moves",
        )


def plan_accept(moves: Sequence[Move], *, by: User) -> list[MoveOutcome]:
    """Accept the chosen moves of a suggestion (docs/planner.md): each through
    ``booking.session_move`` in its own transaction, so every check of a move runs and one
    refusal does not undo the others. A move whose chair is still held by a session that moves
    later is tried again after the others."""
    check_moves(moves)
    sessions = {
        session.pk: session
        for session in InfusionSession.objects.filter(
            pk__in=[move.session_id for move in moves]
        ).select_related("chair")
    }
    chairs = Chair.objects.in_bulk([move.chair_id for move in moves])
    outcomes: dict[int, MoveOutcome] = {}
    pending = list(moves)
    while pending:
        waiting = []
        for move in pending:
            chair = chairs.get(move.chair_id)
            if chair is None:
                outcomes[move.session_id] = MoveOutcome(move.session_id, False, "No such chair.")
                continue
            try:
                session_move(
                    sessions[move.session_id],
                    chair=chair,
                    start=move.start,
                    by=by,
                    reason=MOVE_REASON,
                    version=move.version,
                )
            except InfusionError as error:
                if error.code == InfusionError.SLOT_TAKEN:
                    waiting.append((move, error.message))
                    continue
                outcomes[move.session_id] = MoveOutcome(move.session_id, False, error.message)
                continue
            outcomes[move.session_id] = MoveOutcome(move.session_id, True, "Moved.")
        if len(waiting) == len(pending):
            for move, message in waiting:
                outcomes[move.session_id] = MoveOutcome(move.session_id, False, message)
            break
        pending = [move for move, _ in waiting]
    return [outcomes[move.session_id] for move in moves]


# --- patients' time windows and preferences ---------------------------------------------------


@transaction.atomic
def preference_save(
    patient: Patient,
    *,
    by: User,
    earliest_start: time | None = None,
    latest_end: time | None = None,
    preferred_start_from: time | None = None,
    preferred_start_to: time | None = None,
    preferred_chair: Chair | None = None,
) -> PatientPreference:
    """Keep a patient's time window (hard for the planner and the booking proposal) and their
    preferred start range and chair (kept when possible), docs/planner.md: the window ends after
    it starts, a preferred range has both ends in order and lies within the window, a preferred
    chair is in use."""
    if earliest_start and latest_end and latest_end <= earliest_start:
        raise InfusionError(
            InfusionError.INVALID,
            "The latest end is after the earliest start.",
            field="latest_end",
        )
    if (preferred_start_from is None) != (preferred_start_to is None):
        raise InfusionError(
            InfusionError.INVALID,
            "Give both ends of the preferred start range, or neither.",
            field="preferred_start_to",
        )
    if preferred_start_from and preferred_start_to:
        if preferred_start_to < preferred_start_from:
            raise InfusionError(
                InfusionError.INVALID,
                "The preferred start range ends at or after it begins.",
                field="preferred_start_to",
            )
        if (earliest_start and preferred_start_from < earliest_start) or (
            latest_end and preferred_start_to >= latest_end
        ):
            raise InfusionError(
                InfusionError.INVALID,
                "The preferred start range lies within the patient's time window.",
                field="preferred_start_from",
            )
    if preferred_chair is not None and not preferred_chair.active:
        raise InfusionError(
            InfusionError.INVALID, f"{preferred_chair.name} is not in use.", field="preferred_chair"
        )
    preference = PatientPreference.objects.select_for_update().filter(
        patient=patient
    ).first() or PatientPreference(patient=patient)
    preference.earliest_start, preference.latest_end = earliest_start, latest_end
    preference.preferred_start_from = preferred_start_from
    preference.preferred_start_to = preferred_start_to
    preference.preferred_chair = preferred_chair
    save_as(preference, by, "Time window and preferences saved")
    return preference
