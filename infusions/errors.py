"""The infusions app's refusals: ``DomainError`` with its codes (docs/api.md, Errors)."""

from typing import ClassVar

from django import forms

from ivig.errors import DomainError


class InfusionError(DomainError):
    """A rule of the schedule or the administration record refused the change."""

    ORDER_NOT_BOOKABLE: ClassVar[str] = "order_not_bookable"
    NO_PLAN: ClassVar[str] = "no_plan"
    NO_SLOT: ClassVar[str] = "no_slot"
    OUTSIDE_OPENING_HOURS: ClassVar[str] = "outside_opening_hours"
    SLOT_TAKEN: ClassVar[str] = "slot_taken"
    CYCLE_BOOKED: ClassVar[str] = "cycle_booked"
    NOT_CHANGEABLE: ClassVar[str] = "not_changeable"
    CANNOT_START: ClassVar[str] = "cannot_start"
    START_FAR_FROM_BOOKING: ClassVar[str] = "start_far_from_booking"
    RECORDING_CLOSED: ClassVar[str] = "recording_closed"
    IN_FUTURE: ClassVar[str] = "in_future"
    BEFORE_SESSION_DAY: ClassVar[str] = "before_session_day"
    MORE_THAN_RECORD_ALLOWS: ClassVar[str] = "more_than_record_allows"
    OUT_OF_SEQUENCE: ClassVar[str] = "out_of_sequence"
    RATE_ABOVE_PLAN: ClassVar[str] = "rate_above_plan"
    INFUSION_STOPPED: ClassVar[str] = "infusion_stopped"
    NOT_STARTED: ClassVar[str] = "not_started"
    # docs/clinical-rules.md 6.1: the patient already has a session that day.
    PATIENT_DAY_TAKEN: ClassVar[str] = "patient_day_taken"
    # docs/clinical-rules.md 3.9: the order's plan now refuses the step.
    STOP_FINDINGS: ClassVar[str] = "stop_findings"
    PLAN_CHANGED: ClassVar[str] = "plan_changed"
    # docs/clinical-rules.md 10.2: a response review is recorded before the cycle is booked.
    REVIEW_DUE: ClassVar[str] = "review_due"

    # docs/clinical-rules.md 3.8.3
    NO_RESTART_AFTER_SEVERE: ClassVar[str] = "no_restart_after_severe_reaction"
    REACTION_PLANNED: ClassVar[str] = "reaction_already_planned"
    # docs/clinical-rules.md 3.8.2, 3.9: a reason for one session answers a session-only
    # override the session's plan raises now, once.
    NOT_ANSWERABLE: ClassVar[str] = "finding_not_answerable"
    REASON_GIVEN: ClassVar[str] = "reason_already_given"

    # Someone else got there first: HTTP 409, not 400.
    CONFLICTS: ClassVar[frozenset[str]] = frozenset(
        {
            "slot_taken",
            DomainError.STALE_VERSION,
            "cycle_booked",
            "patient_day_taken",
            "reaction_already_planned",
            "reason_already_given",
        }
    )


def add_infusion_error(form: forms.Form, error: InfusionError) -> None:
    """Show a service refusal on the form: on its field where it names one the form has."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)
