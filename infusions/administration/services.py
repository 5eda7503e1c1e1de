"""The administration record (docs/clinical-rules.md 3.5, 6): premedication, IV access, lot
numbers, the start, rate changes, vital signs, adverse events, stop/restart, completion and
notes, each appended as one entry. One transaction per call, every rule checked here, every
entry kept in the history with the acting user, refusals raised as ``InfusionError``.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from authorizations.services import authorization_record_urgent_start
from infusions.administration.entries import (
    AdverseEvent,
    Completed,
    EntryData,
    LotRecorded,
    PremedicationGiven,
    RateChanged,
    Restarted,
    Started,
)
from infusions.administration.given import given_from
from infusions.administration.models import MAX_RATE_ML_PER_H, AdministrationEntry, EntryKind
from infusions.administration.record import (
    IN_INFUSION_KINDS,
    STATE_KINDS,
    InfusionState,
    infusion_state,
    minutes_between,
)
from infusions.administration.start_coverage import (
    is_covered_by_approval,
    session_coverage_blocker,
    urgent_first_cycle,
)
from infusions.booking.models import NOT_STARTED_STATUSES, InfusionSession, SessionStatus
from infusions.booking.services import locked_session
from infusions.booking.session_plan import session_plan, session_runnable_plan
from infusions.common import CLOCK_SKEW, hhmm, local, save_as
from infusions.errors import InfusionError
from infusions.reactions.selectors import reaction_rate_cap, severe_reaction_in
from infusions.reactions.services import reaction_notify
from infusions.signals import session_completed
from ivig.accounts.models import User
from ivig.engine import DosePlan
from ivig.engine.restart import planned_rate_at
from orders.course_versions import in_force_on
from orders.premedication.services import premedication_words


def session_start_blockers(session: InfusionSession) -> list[str]:
    """Why ``session`` cannot start now, in words for the nurse; empty when it can.

    docs/clinical-rules.md 4: only a verified or active order's sessions run.
    docs/clinical-rules.md 7: a session needs an approved authorization covering it (the
    authorizations module adds that rule here).
    """
    blockers = []
    if session.status not in NOT_STARTED_STATUSES:
        blockers.append(f"The session is {session.get_status_display().lower()}.")
    # docs/clinical-rules.md 4: a superseded version still gives its days before the new
    # version's first day.
    if not in_force_on(session.order, session.planned_day):
        blockers.append(
            f"Order {session.order.number} (version {session.order.revision}) is "
            f"{session.order.get_status_display().lower()}: only the version in force on the "
            "session's day is given."
        )
    # docs/clinical-rules.md 7, 3.8 NO_AUTHORIZATION: booked without approval is fine, started
    # is not.
    coverage_blocker = session_coverage_blocker(session)
    if coverage_blocker:
        blockers.append(coverage_blocker)
    # docs/clinical-rules.md 3.9: the plan as of now; a stop, or an override new since signing,
    # refuses the start until a clinician revises the order.
    # docs/clinical-rules.md 3.8.3: the session's plan carries the reactions on earlier
    # sessions; PRIOR_INFUSION_REACTION, new since signing, refuses the start until a
    # clinician records a plan for each.
    try:
        refusal = session_plan(session).refusal("start")
    except InfusionError as error:
        refusal = error.message
    if refusal:
        blockers.append(refusal)
    return blockers


# How far a completion's volume may exceed what the recorded rates and times allow: pumps,
# line priming and rounded clock times (docs/clinical-rules.md 6).
VOLUME_TOLERANCE_FRACTION = Decimal("0.10")
VOLUME_TOLERANCE_ML = Decimal(5)


def volume_allowed_ml(state: InfusionState, until: datetime) -> Decimal:
    """The most a completion at ``until`` may report: the volume the recorded rate steps
    (start, changes, stops, restarts) give from the start to ``until``, plus 10 % and 5 mL."""
    infused = state.volume_given_ml(until)
    return (infused * (1 + VOLUME_TOLERANCE_FRACTION) + VOLUME_TOLERANCE_ML).quantize(
        Decimal("0.1")
    )


def _check_completion(
    session: InfusionSession,
    plan: DosePlan,
    state: InfusionState,
    entry: Completed,
    occurred_at: datetime,
) -> None:
    """Volume and grams no more than the plan's day, the vials dispensed for it, and what the
    recorded rates and times allow (``volume_allowed_ml``)."""
    assert plan.daily_volume_ml is not None and plan.daily_dose_g is not None
    if entry.volume_ml > plan.daily_volume_ml:
        raise _invalid(
            f"{entry.volume_ml} mL is more than the day's {plan.daily_volume_ml} mL.",
            field="volume_ml",
        )
    dispensed_g = (
        sum((vial.size_g * vial.count for vial in plan.vials), Decimal(0))
        if plan.vials
        else plan.daily_dose_g
    )
    if entry.grams_given > dispensed_g:
        raise _invalid(
            f"{entry.grams_given} g is more than the {dispensed_g.normalize():f} g dispensed "
            "for the day.",
            field="grams_given",
        )
    if entry.grams_given > plan.daily_dose_g:
        raise _invalid(
            f"{entry.grams_given} g is more than the day's {plan.daily_dose_g} g.",
            field="grams_given",
        )
    allowed_ml = volume_allowed_ml(state, occurred_at)
    if entry.volume_ml > allowed_ml:
        raise InfusionError(
            InfusionError.MORE_THAN_RECORD_ALLOWS,
            f"{entry.volume_ml} mL is more than the recorded rates allow by {hhmm(occurred_at)} "
            f"(at most {allowed_ml} mL: {state.volume_given_ml(occurred_at)} mL plus 10 % and "
            "5 mL). Record the rate changes first, or check the volume and time.",
            field="volume_ml",
        )
    concentration = session.order.product.concentration_pct
    allowed_g = (allowed_ml * concentration / 100).quantize(Decimal("0.01"))
    if entry.grams_given > allowed_g:
        raise InfusionError(
            InfusionError.MORE_THAN_RECORD_ALLOWS,
            f"{entry.grams_given} g is more than the recorded rates allow by {hhmm(occurred_at)} "
            f"(at most {allowed_g.normalize():f} g at {concentration.normalize():f} %).",
            field="grams_given",
        )


# docs/clinical-rules.md 6: a start more than an hour before the booked start (premedication
# time) or more than an hour after the booked infusion start (the booked start plus the plan's
# premedication lead) needs a reason, kept in the record and in the session's history.
START_REASON_BEYOND = timedelta(hours=1)


def _duration(delta: timedelta) -> str:
    minutes = int(abs(delta).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"


def start_far_from_booking(
    session: InfusionSession, plan: DosePlan, occurred_at: datetime
) -> str | None:
    """How far a start at ``occurred_at`` is from ``session``'s booking, in words, when it is
    beyond ``START_REASON_BEYOND``; None when it is near enough."""
    earliest = session.planned_start - START_REASON_BEYOND
    infusion_at = session.planned_start + timedelta(minutes=plan.premedication_min_before or 0)
    latest = infusion_at + START_REASON_BEYOND
    if occurred_at < earliest:
        return (
            f"{_duration(session.planned_start - occurred_at)} before the booked start "
            f"({hhmm(session.planned_start)})"
        )
    if occurred_at > latest:
        return (
            f"{_duration(occurred_at - infusion_at)} after the booked infusion start "
            f"({hhmm(infusion_at)})"
        )
    return None


def _invalid(message: str, field: str | None = None) -> InfusionError:
    return InfusionError(InfusionError.INVALID, message, field=field)


def _check_rate(rate_ml_per_h: int, cap_ml_per_h: int, why: str) -> None:
    if rate_ml_per_h < 1:
        raise _invalid(
            "A rate is at least 1 mL/h (an adverse event stops the infusion).", "rate_ml_per_h"
        )
    if rate_ml_per_h > cap_ml_per_h:
        raise InfusionError(
            InfusionError.RATE_ABOVE_PLAN,
            f"{rate_ml_per_h} mL/h is above {cap_ml_per_h} mL/h, {why}.",
            field="rate_ml_per_h",
        )


def _planned_cap(
    plan: DosePlan, state: InfusionState, at: datetime, reaction_cap: int | None = None
) -> tuple[int, str]:
    """The highest rate allowed at ``at`` while running, and why (docs/clinical-rules.md 3.4,
    3.5, 3.8.3)."""
    assert plan.titration is not None and state.started_at is not None
    elapsed = minutes_between(state.started_at, at)
    planned = planned_rate_at(plan.titration, elapsed)
    cap, why = planned, f"the plan's rate {int(elapsed)} minutes after the start"
    if cap > MAX_RATE_ML_PER_H:
        cap, why = MAX_RATE_ML_PER_H, "the maximum rate"
    # ``plan`` is the session's runnable plan, already capped at the reaction plans' maximum
    # (session_runnable_plan): where the cap holds the plan's rate down to it, the reaction plan
    # is what the nurse is told.
    if reaction_cap is not None and reaction_cap <= cap:
        cap, why = reaction_cap, "the maximum rate of the plan for an earlier reaction"
    if state.restart_rate_ml_per_h is not None and state.rate_ml_per_h < cap:
        cap, why = state.rate_ml_per_h, "the rate now: after a restart it is not increased again"
    return cap, why


def _check_start(
    session: InfusionSession,
    plan: DosePlan,
    state: InfusionState,
    entry: Started,
    occurred_at: datetime,
) -> EntryData:
    """A start: nothing blocks the session, it has not started, it is on its day, a start far
    from the booking gives its reason, and the rate is the plan's first (under a reaction
    plan's cap, docs/clinical-rules.md 3.8.3) or lower; without a rate it gets that first rate."""
    blockers = session_start_blockers(session)
    if blockers:
        raise InfusionError(InfusionError.CANNOT_START, " ".join(blockers))
    if state.started:
        raise InfusionError(InfusionError.INVALID, "The infusion has already started.")
    if local(occurred_at).date() != local(session.planned_start).date():
        raise InfusionError(
            InfusionError.CANNOT_START,
            f"This session is planned for {local(session.planned_start):%d %b %Y}: move it "
            "to today before starting it.",
        )
    far = start_far_from_booking(session, plan, occurred_at)
    if far and not entry.details:
        raise InfusionError(
            InfusionError.START_FAR_FROM_BOOKING,
            f"This start is {far}: give the reason in the details.",
            field="details",
        )
    assert plan.titration is not None
    first_rate = plan.titration[0].rate_ml_per_h
    cap = reaction_rate_cap(session)
    if cap is not None:
        first_rate = min(first_rate, cap)
    rate = first_rate if entry.rate_ml_per_h is None else entry.rate_ml_per_h
    _check_rate(rate, min(first_rate, MAX_RATE_ML_PER_H), "the plan's start")
    return entry.model_copy(update={"rate_ml_per_h": rate})


def _check_running_in_sequence(state: InfusionState, occurred_at: datetime) -> None:
    """An entry during the infusion: it has started, and the entry is not earlier than the last
    start, rate or stop."""
    if not state.started or state.started_at is None:
        raise InfusionError(InfusionError.NOT_STARTED, "The infusion has not started yet.")
    if state.last_state_at is not None and occurred_at < state.last_state_at:
        raise InfusionError(
            InfusionError.OUT_OF_SEQUENCE,
            f"The last start, rate or stop was recorded at {hhmm(state.last_state_at)}: this "
            "cannot be earlier.",
            field="occurred_at",
        )


def _check_rate_change(
    session: InfusionSession,
    plan: DosePlan,
    state: InfusionState,
    entry: RateChanged,
    occurred_at: datetime,
) -> None:
    """A rate change: not while stopped, and not above the plan's cap at that time."""
    if state.stopped:
        raise InfusionError(
            InfusionError.INFUSION_STOPPED,
            "The infusion is stopped after an adverse event: restart it first.",
        )
    cap, why = _planned_cap(plan, state, occurred_at, reaction_rate_cap(session))
    _check_rate(entry.rate_ml_per_h, cap, why)


def _check_adverse_event(state: InfusionState) -> None:
    """An adverse event stops the infusion once; further symptoms are notes."""
    if state.stopped:
        raise InfusionError(
            InfusionError.INFUSION_STOPPED,
            "The infusion is already stopped; record further symptoms as a note.",
        )


def _check_restart(session: InfusionSession, state: InfusionState, entry: Restarted) -> None:
    """A restart: only after a stop, never after a severe reaction, at the rate at the stop or
    lower."""
    if not state.stopped or state.rate_at_stop_ml_per_h is None:
        raise InfusionError(
            InfusionError.INVALID, "Only an infusion stopped by an adverse event restarts."
        )
    if severe_reaction_in(session):
        raise InfusionError(
            InfusionError.NO_RESTART_AFTER_SEVERE,
            "After a severe (anaphylactic) reaction this session is not restarted.",
        )
    _check_rate(
        entry.rate_ml_per_h,
        state.rate_at_stop_ml_per_h,
        "the rate at the stop: a restart is at the same or a lower rate",
    )


def _check_state_rules(
    session: InfusionSession,
    plan: DosePlan,
    state: InfusionState,
    entry: EntryData,
    occurred_at: datetime,
) -> EntryData:
    """``entry`` checked against the infusion's state and plan; a start without a rate gets the
    plan's first rate."""
    if isinstance(entry, Started):
        return _check_start(session, plan, state, entry, occurred_at)
    if entry.kind not in IN_INFUSION_KINDS:
        return entry
    _check_running_in_sequence(state, occurred_at)
    if isinstance(entry, RateChanged):
        _check_rate_change(session, plan, state, entry, occurred_at)
    elif isinstance(entry, AdverseEvent):
        _check_adverse_event(state)
    elif isinstance(entry, Restarted):
        _check_restart(session, state, entry)
    elif isinstance(entry, Completed):
        _check_completion(session, plan, state, entry, occurred_at)
    return entry


def entry_to_correct(session: InfusionSession, entry_id: int | None) -> AdministrationEntry | None:
    """The entry of ``session``'s record with id ``entry_id`` (None for none)."""
    if entry_id is None:
        return None
    entry = AdministrationEntry.objects.filter(session=session, pk=entry_id).first()
    if entry is None:
        raise _invalid(f"Entry #{entry_id} is not in this session's record.", "correction_of")
    return entry


def _check_correction(
    session: InfusionSession, kind: str, correction_of: AdministrationEntry | None
) -> None:
    if correction_of is None:
        return
    if correction_of.session_id != session.pk:
        raise _invalid("A correction corrects an entry of the same session.", "correction_of")
    if kind == EntryKind.NOTE:
        return
    if correction_of.kind in STATE_KINDS:
        raise _invalid(
            "A start, rate, stop, restart or completion happened: correct it with a note.",
            "correction_of",
        )
    if kind != correction_of.kind:
        raise _invalid(
            f"A correction of {correction_of.get_kind_display().lower()} is of the same kind "
            "(or a note).",
            "correction_of",
        )


def check_recording_open(
    current: InfusionSession,
    occurred_at: datetime,
    *,
    day_checked: bool = True,
    field: str = "occurred_at",
) -> None:
    """Something happening at ``occurred_at`` may be recorded on ``current`` (docs/clinical-rules.md
    6): the session is not completed, cancelled or missed; the time is not in the future (1
    minute of clock skew) nor, ``day_checked``, before the session's planned day."""
    if current.status in (SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.MISSED):
        raise InfusionError(
            InfusionError.RECORDING_CLOSED,
            f"The session is {current.get_status_display().lower()}: nothing more is recorded.",
        )
    if occurred_at > timezone.now() + CLOCK_SKEW:
        raise InfusionError(
            InfusionError.IN_FUTURE, f"{local(occurred_at):%d %b %H:%M} is in the future.", field
        )
    if day_checked and local(occurred_at).date() < current.planned_day:
        raise InfusionError(
            InfusionError.BEFORE_SESSION_DAY,
            f"{local(occurred_at):%d %b %H:%M} is before the session's day "
            f"({current.planned_day:%d %b %Y}).",
            field,
        )


@transaction.atomic
def administration_record(
    session: InfusionSession,
    entry: EntryData,
    *,
    by: User,
    occurred_at: datetime | None = None,
    correction_of: AdministrationEntry | None = None,
) -> AdministrationEntry:
    """Append one entry to the administration record (docs/clinical-rules.md 3.5, 6).

    Rules: not on a completed, cancelled or missed session; not in the future (1 minute of
    clock skew) nor before the session's planned day; the start needs the order verified or
    active (``session_start_blockers``) and the session's planned day, at the plan's first
    rate or lower; a rate change, stop, restart or completion needs the infusion started and is
    not earlier than the last of them; a rate
    never above the plan's rate at that elapsed minute nor 200 mL/h; an adverse event stops the
    infusion (rate 0); a restart at the same or a lower rate than at the stop, after which the
    rate is not increased again; completion ends the session, its volume and grams no more than
    the day's plan, the vials dispensed and the recorded rates and times allow
    (``volume_allowed_ml``). Corrections are new entries.
    ``entry`` comes validated from ``entries.parse_entry`` (its kind's fields and their limits).
    """
    current = locked_session(session, None)
    occurred_at = occurred_at or timezone.now()
    # A start has its own rule (on the planned day: ``_check_state_rules``).
    check_recording_open(current, occurred_at, day_checked=entry.kind != EntryKind.STARTED)
    _check_correction(current, entry.kind, correction_of)
    plan = session_runnable_plan(current)  # capped by reaction plans (3.8.3)
    state = infusion_state(current.entries.all())
    entry = _check_state_rules(current, plan, state, entry, occurred_at)
    if isinstance(entry, LotRecorded):
        sizes = set(current.order.product.vial_sizes.values_list("size_g", flat=True))
        if entry.vial_size_g not in sizes:
            raise _invalid(
                f"{current.order.product.brand_name} comes in "
                + ", ".join(f"{size.normalize():f} g" for size in sorted(sizes))
                + " vials.",
                "vial_size_g",
            )
    fields = entry.row_fields()
    if isinstance(entry, PremedicationGiven) and not entry.details:
        fields["details"] = premedication_words(current.order) or "As ordered"
    row = AdministrationEntry(
        session=current,
        kind=entry.kind,
        occurred_at=occurred_at,
        recorded_by=by,
        correction_of=correction_of,
        **fields,
    )
    save_as(row, by, EntryKind(entry.kind).label)
    if row.kind == EntryKind.ADVERSE_EVENT:  # docs/clinical-rules.md 3.8.3: a plan is needed
        reaction_notify(row)
    if isinstance(entry, Started):
        current.status = SessionStatus.IN_PROGRESS
        current.version += 1
        far = start_far_from_booking(current, plan, occurred_at)
        save_as(
            current,
            by,
            f"{EntryKind.STARTED.label} {far}: {entry.details}" if far else EntryKind.STARTED.label,
        )
    elif isinstance(entry, Completed):
        assert plan.daily_volume_ml is not None and plan.daily_dose_g is not None
        given = given_from(
            state,
            row,
            day_volume_ml=plan.daily_volume_ml,
            day_dose_g=plan.daily_dose_g,
            concentration_pct=current.order.product.concentration_pct,
            at=occurred_at,
        )
        current.status = SessionStatus.COMPLETED
        current.partial_dose = given.partial
        current.version += 1
        save_as(current, by, f"{EntryKind.COMPLETED.label}. {given.summary}")
        session_completed.send(sender=InfusionSession, session=current, by=by)
    if (
        isinstance(entry, Started)
        and urgent_first_cycle(current.order.urgent, current.cycle_number)
        and not is_covered_by_approval(current)
    ):
        # docs/clinical-rules.md 3.10: an urgent start before approval is noted on the order's
        # retrospective authorization (its history is the audit trail).
        authorization_record_urgent_start(
            by=by, order=current.order, started_on=timezone.localdate(occurred_at)
        )
    return row


def session_start(
    session: InfusionSession,
    *,
    by: User,
    at: datetime | None = None,
    rate_ml_per_h: int | None = None,
    reason: str = "",
) -> AdministrationEntry:
    """Start the infusion: the ``started`` entry of the record (see ``administration_record``);
    ``reason``: why it starts far from its booking (``START_REASON_BEYOND``)."""
    return administration_record(
        session,
        Started(rate_ml_per_h=rate_ml_per_h, details=reason.strip()),
        by=by,
        occurred_at=at or timezone.now(),
    )
