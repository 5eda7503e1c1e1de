"""The administration record (docs/clinical-rules.md 3.5, 6): premedication, IV access, lot
numbers, the start, rate changes, vital signs, adverse events, stop/restart, completion and
notes, each appended as one entry. One transaction per call, every rule checked here, every
entry kept in the history with the acting user, refusals raised as ``InfusionError``.
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone

from ivig.accounts.models import User
from ivig.engine import DosePlan
from ivig.engine.restart import planned_rate_at

from .booking import BOOKABLE_ORDER_STATUSES, locked_session
from .common import CLOCK_SKEW, hhmm, local, save_as
from .errors import InfusionError
from .models import (
    MAX_RATE_ML_PER_H,
    NOT_STARTED_STATUSES,
    AdministrationEntry,
    EntryKind,
    InfusionSession,
    SessionStatus,
    Severity,
    Symptom,
)
from .plans import runnable_plan
from .record import IN_INFUSION_KINDS, STATE_KINDS, InfusionState, infusion_state, minutes_between


def session_start_blockers(session: InfusionSession) -> list[str]:
    """Why ``session`` cannot start now, in words for the nurse; empty when it can.

    docs/clinical-rules.md 4: only a verified or active order's sessions run.
    docs/clinical-rules.md 7: a session needs an approved authorization covering it (the
    authorizations module adds that rule here).
    """
    blockers = []
    if session.status not in NOT_STARTED_STATUSES:
        blockers.append(f"The session is {session.get_status_display().lower()}.")
    if session.order.status not in BOOKABLE_ORDER_STATUSES:
        blockers.append(
            f"Order {session.order.number} is {session.order.get_status_display().lower()}: "
            "only a verified or active order is given."
        )
    # docs/clinical-rules.md 7, 3.8 NO_AUTHORIZATION: booked without approval is fine, started
    # is not.
    from orders.coverage import session_coverage_blocker

    coverage_blocker = session_coverage_blocker(session)
    if coverage_blocker:
        blockers.append(coverage_blocker)
    return blockers


# Fields each kind may carry (besides occurred_at and correction_of), and those it needs.
KIND_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    EntryKind.PREMEDICATION_GIVEN: (("details",), ()),
    EntryKind.IV_ACCESS: (("details",), ("details",)),
    EntryKind.LOT_RECORDED: (
        ("lot_number", "vial_size_g", "vial_count"),
        ("lot_number", "vial_size_g", "vial_count"),
    ),
    EntryKind.STARTED: (("rate_ml_per_h",), ()),
    EntryKind.RATE_CHANGED: (("rate_ml_per_h",), ("rate_ml_per_h",)),
    EntryKind.VITAL_SIGNS: (
        (
            "bp_systolic_mmhg",
            "bp_diastolic_mmhg",
            "pulse_per_min",
            "temperature_c",
            "respiratory_rate_per_min",
        ),
        ("bp_systolic_mmhg", "bp_diastolic_mmhg", "pulse_per_min"),
    ),
    EntryKind.ADVERSE_EVENT: (("symptoms", "severity", "action"), ("symptoms", "severity")),
    EntryKind.RESTARTED: (("rate_ml_per_h",), ("rate_ml_per_h",)),
    EntryKind.COMPLETED: (("volume_ml", "grams_given", "details"), ("volume_ml", "grams_given")),
    EntryKind.NOTE: (("details",), ("details",)),
}

# Plausible vital signs (a typo guard, not clinical limits): (low, high) inclusive.
VITAL_RANGES: dict[str, tuple[Decimal, Decimal]] = {
    "bp_systolic_mmhg": (Decimal(40), Decimal(300)),
    "bp_diastolic_mmhg": (Decimal(20), Decimal(200)),
    "pulse_per_min": (Decimal(20), Decimal(250)),
    "temperature_c": (Decimal(30), Decimal(45)),
    "respiratory_rate_per_min": (Decimal(4), Decimal(80)),
}
FIELD_LABELS = {
    "details": "details",
    "lot_number": "lot number",
    "vial_size_g": "vial size",
    "vial_count": "vial count",
    "rate_ml_per_h": "rate",
    "bp_systolic_mmhg": "systolic blood pressure",
    "bp_diastolic_mmhg": "diastolic blood pressure",
    "pulse_per_min": "pulse",
    "temperature_c": "temperature",
    "respiratory_rate_per_min": "respiratory rate",
    "symptoms": "symptoms",
    "severity": "severity",
    "action": "action",
    "volume_ml": "volume given",
    "grams_given": "grams given",
}
INTEGER_FIELDS = {
    "rate_ml_per_h",
    "vial_count",
    "bp_systolic_mmhg",
    "bp_diastolic_mmhg",
    "pulse_per_min",
    "respiratory_rate_per_min",
}
DECIMAL_FIELDS = {"vial_size_g", "temperature_c", "volume_ml", "grams_given"}


def _invalid(message: str, field: str | None = None) -> InfusionError:
    return InfusionError(InfusionError.INVALID, message, field=field)


def _clean_data(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    allowed, required = KIND_FIELDS[kind]
    unknown = sorted(name for name, value in data.items() if name not in allowed and value)
    if unknown:
        raise _invalid(
            f"{EntryKind(kind).label} does not record {', '.join(unknown)}.", field=unknown[0]
        )
    cleaned: dict[str, Any] = {}
    for name in allowed:
        value = data.get(name)
        if isinstance(value, str):
            value = value.strip()
        if value in (None, "", []):
            if name in required:
                raise _invalid(f"Give the {FIELD_LABELS[name]}.", field=name)
            continue
        try:
            if name in INTEGER_FIELDS:
                if isinstance(value, bool) or Decimal(str(value)) != int(Decimal(str(value))):
                    raise ValueError
                value = int(Decimal(str(value)))
            elif name in DECIMAL_FIELDS:
                value = Decimal(str(value))
                if not value.is_finite():
                    raise ValueError
        except (ValueError, InvalidOperation):
            raise _invalid(f"The {FIELD_LABELS[name]} must be a number.", field=name) from None
        cleaned[name] = value
    for name, (low, high) in VITAL_RANGES.items():
        if name in cleaned and not low <= cleaned[name] <= high:
            raise _invalid(
                f"A {FIELD_LABELS[name]} of {cleaned[name]} is not plausible "
                f"(expected {low} to {high}).",
                field=name,
            )
    if "symptoms" in cleaned:
        symptoms = cleaned["symptoms"]
        if isinstance(symptoms, str) or not all(code in Symptom.values for code in symptoms):
            raise _invalid(
                "Symptoms are chosen from the watch list: " + ", ".join(Symptom.labels) + ".",
                field="symptoms",
            )
        cleaned["symptoms"] = [code for code in Symptom.values if code in symptoms]
    if "severity" in cleaned and cleaned["severity"] not in Severity.values:
        raise _invalid("Severity is mild, moderate or severe.", field="severity")
    if cleaned.get("vial_count", 1) < 1:
        raise _invalid("At least one vial.", field="vial_count")
    for name in ("volume_ml", "grams_given"):
        if cleaned.get(name, 0) < 0:
            raise _invalid(f"The {FIELD_LABELS[name]} cannot be negative.", field=name)
    return cleaned


def _check_rate(rate_ml_per_h: int, cap_ml_per_h: int, why: str) -> None:
    if rate_ml_per_h < 1:
        raise _invalid("A rate is at least 1 mL/h (an adverse event stops the infusion).", "rate")
    if rate_ml_per_h > cap_ml_per_h:
        raise InfusionError(
            InfusionError.RATE_ABOVE_PLAN,
            f"{rate_ml_per_h} mL/h is above {cap_ml_per_h} mL/h, {why}.",
            field="rate_ml_per_h",
        )


def _planned_cap(plan: DosePlan, state: InfusionState, at: datetime) -> tuple[int, str]:
    """The highest rate allowed at ``at`` while running, and why (docs/clinical-rules.md 3.4,
    3.5)."""
    assert plan.titration is not None and state.started_at is not None
    elapsed = minutes_between(state.started_at, at)
    planned = planned_rate_at(plan.titration, elapsed)
    cap, why = planned, f"the plan's rate {int(elapsed)} minutes after the start"
    if cap > MAX_RATE_ML_PER_H:
        cap, why = MAX_RATE_ML_PER_H, "the maximum rate"
    if state.restart_rate_ml_per_h is not None and state.rate_ml_per_h < cap:
        cap, why = state.rate_ml_per_h, "the rate now: after a restart it is not increased again"
    return cap, why


def _check_state_rules(
    session: InfusionSession,
    plan: DosePlan,
    state: InfusionState,
    kind: str,
    occurred_at: datetime,
    data: dict[str, Any],
) -> None:
    if kind == EntryKind.STARTED:
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
        assert plan.titration is not None
        first_rate = plan.titration[0].rate_ml_per_h
        data.setdefault("rate_ml_per_h", first_rate)
        _check_rate(data["rate_ml_per_h"], min(first_rate, MAX_RATE_ML_PER_H), "the plan's start")
        return
    if kind not in IN_INFUSION_KINDS:
        return
    if not state.started or state.started_at is None:
        raise InfusionError(InfusionError.NOT_STARTED, "The infusion has not started yet.")
    if state.last_state_at is not None and occurred_at < state.last_state_at:
        raise InfusionError(
            InfusionError.OUT_OF_SEQUENCE,
            f"The last start, rate or stop was recorded at {hhmm(state.last_state_at)}: this "
            "cannot be earlier.",
            field="occurred_at",
        )
    if kind == EntryKind.RATE_CHANGED:
        if state.stopped:
            raise InfusionError(
                InfusionError.INFUSION_STOPPED,
                "The infusion is stopped after an adverse event: restart it first.",
            )
        cap, why = _planned_cap(plan, state, occurred_at)
        _check_rate(data["rate_ml_per_h"], cap, why)
    elif kind == EntryKind.ADVERSE_EVENT:
        if state.stopped:
            raise InfusionError(
                InfusionError.INFUSION_STOPPED,
                "The infusion is already stopped; record further symptoms as a note.",
            )
    elif kind == EntryKind.RESTARTED:
        if not state.stopped or state.rate_at_stop_ml_per_h is None:
            raise InfusionError(
                InfusionError.INVALID, "Only an infusion stopped by an adverse event restarts."
            )
        _check_rate(
            data["rate_ml_per_h"],
            state.rate_at_stop_ml_per_h,
            "the rate at the stop: a restart is at the same or a lower rate",
        )
    elif kind == EntryKind.COMPLETED:
        assert plan.daily_volume_ml is not None and plan.daily_dose_g is not None
        if data["volume_ml"] > plan.daily_volume_ml:
            raise _invalid(
                f"{data['volume_ml']} mL is more than the day's {plan.daily_volume_ml} mL.",
                field="volume_ml",
            )
        if data["grams_given"] > plan.daily_dose_g:
            raise _invalid(
                f"{data['grams_given']} g is more than the day's {plan.daily_dose_g} g.",
                field="grams_given",
            )


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


@transaction.atomic
def administration_record(
    session: InfusionSession,
    *,
    by: User,
    kind: str,
    occurred_at: datetime | None = None,
    correction_of: AdministrationEntry | None = None,
    **data: Any,
) -> AdministrationEntry:
    """Append one entry to the administration record (docs/clinical-rules.md 3.5, 6).

    Rules: not on a completed, cancelled or missed session; not in the future (1 minute of
    clock skew); the start needs the order verified or active (``session_start_blockers``) and
    the session's planned day, at the plan's first rate or lower; a rate change, stop, restart
    or completion needs the infusion started and is not earlier than the last of them; a rate
    never above the plan's rate at that elapsed minute nor 200 mL/h; an adverse event stops the
    infusion (rate 0); a restart at the same or a lower rate than at the stop, after which the
    rate is not increased again; completion ends the session. Corrections are new entries.
    """
    if kind not in EntryKind.values:
        raise _invalid(f"Unknown entry kind {kind!r}.", "kind")
    current = locked_session(session, None)
    if current.status in (SessionStatus.COMPLETED, SessionStatus.CANCELLED, SessionStatus.MISSED):
        raise InfusionError(
            InfusionError.RECORDING_CLOSED,
            f"The session is {current.get_status_display().lower()}: nothing more is recorded.",
        )
    now = timezone.now()
    occurred_at = occurred_at or now
    if occurred_at > now + CLOCK_SKEW:
        raise InfusionError(
            InfusionError.IN_FUTURE,
            f"{local(occurred_at):%d %b %H:%M} is in the future.",
            field="occurred_at",
        )
    cleaned = _clean_data(kind, data)
    _check_correction(current, kind, correction_of)
    plan = runnable_plan(current.order)
    state = infusion_state(current.entries.all())
    _check_state_rules(current, plan, state, kind, occurred_at, cleaned)
    if kind == EntryKind.LOT_RECORDED:
        sizes = set(current.order.product.vial_sizes.values_list("size_g", flat=True))
        if cleaned["vial_size_g"] not in sizes:
            raise _invalid(
                f"{current.order.product.brand_name} comes in "
                + ", ".join(f"{size.normalize():f} g" for size in sorted(sizes))
                + " vials.",
                "vial_size_g",
            )
    if kind == EntryKind.PREMEDICATION_GIVEN and not cleaned.get("details"):
        cleaned["details"] = current.order.premedication or "As ordered"
    entry = AdministrationEntry(
        session=current,
        kind=kind,
        occurred_at=occurred_at,
        recorded_by=by,
        correction_of=correction_of,
        **cleaned,
    )
    save_as(entry, by, EntryKind(kind).label)
    if kind in (EntryKind.STARTED, EntryKind.COMPLETED):
        current.status = (
            SessionStatus.IN_PROGRESS if kind == EntryKind.STARTED else SessionStatus.COMPLETED
        )
        current.version += 1
        save_as(current, by, EntryKind(kind).label)
    return entry


def session_start(
    session: InfusionSession,
    *,
    by: User,
    at: datetime | None = None,
    rate_ml_per_h: int | None = None,
) -> AdministrationEntry:
    """Start the infusion: the ``started`` entry of the record (see ``administration_record``)."""
    return administration_record(
        session,
        by=by,
        kind=EntryKind.STARTED,
        occurred_at=at or timezone.now(),
        rate_ml_per_h=rate_ml_per_h,
    )
