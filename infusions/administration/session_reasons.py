"""A clinician's reason for one session (docs/clinical-rules.md 3.8.2, 3.9).

CREATININE_DUE (override) is judged on a session's plan only and blocks the start "until a
result is recorded or a clinician gives a reason". ``session_override_record`` keeps that reason
(``SessionOverride``) for one session on its day; ``session_inputs`` gives the plan accessor
(``orders.dose_plans.plan_accessor.order_plan``, through the port this app registers) the session's
reactions and reasons in one place, so the session's plan treats the finding as answered. The
next session, or this one moved to another day, is judged again.
"""

from __future__ import annotations

from datetime import date

from django.db import IntegrityError, transaction

from infusions.administration.models import SESSION_REASON_MAX_CHARS, SessionOverride
from infusions.administration.start_coverage import session_is_covered
from infusions.booking.models import NOT_STARTED_STATUSES, InfusionSession
from infusions.booking.session_plan import session_plan, session_row
from infusions.common import local, save_as
from infusions.errors import InfusionError
from infusions.reactions.selectors import PRIOR_INFUSION_REACTION, reaction_facts
from ivig.accounts.models import User
from ivig.engine import SEVERITY_BY_CODE, Finding
from orders.dose_plans.plan_accessor import (
    ANSWERED_BY_A_SESSION_REASON,
    OrderPlan,
    SessionInputs,
    SessionReason,
)


def _day(session: InfusionSession) -> date:
    return local(session.planned_start).date()


def _given_by(user: User) -> str:
    return str(user.get_full_name() or user.get_username())


def session_reasons(session: InfusionSession) -> list[SessionReason]:
    """The reasons given on ``session`` for its present day."""
    rows = SessionOverride.objects.filter(
        session=session, session_day=_day(session)
    ).select_related("given_by")
    return [
        SessionReason(
            code=row.code,
            reason=row.reason,
            given_by=_given_by(row.given_by),
            given_at=row.given_at,
        )
        for row in rows
    ]


def session_inputs(session_id: int) -> SessionInputs:
    """What session ``session_id`` brings to its plan: the reactions it carries forward and the
    reasons given on it (``orders.ports.register_session_source``, in
    ``InfusionsConfig.ready``); the session is the one its page read (``session_row``)."""
    session = session_row(session_id)
    return SessionInputs(
        prior_reactions=reaction_facts(session),
        reasons=session_reasons(session),
        covered=session_is_covered(session),
    )


def answerable_findings(living: OrderPlan) -> list[Finding]:
    """The findings of a session's plan that a clinician's reason for the session would
    answer now: session-only overrides without a reason yet."""
    return [
        finding
        for finding in living.new_overrides
        if finding.code in ANSWERED_BY_A_SESSION_REASON
        and finding.code not in living.session_reasons
    ]


def _refuse(message: str) -> InfusionError:
    return InfusionError(InfusionError.NOT_ANSWERABLE, message, field="code")


@transaction.atomic
def session_override_record(
    session: InfusionSession, *, code: str, reason: str, by: User
) -> SessionOverride:
    """``by``'s reason to go ahead with ``code`` on ``session`` (docs/clinical-rules.md 3.8.2):
    only a session-only override that the session's plan raises now, before the start; a stop
    never. The reason is required (trimmed, at most 1000 characters); one per session and day."""
    reason = reason.strip()
    if not reason:
        raise InfusionError(InfusionError.INVALID, "Give the reason to go ahead.", field="reason")
    if len(reason) > SESSION_REASON_MAX_CHARS:
        raise InfusionError(
            InfusionError.INVALID,
            f"A reason is at most {SESSION_REASON_MAX_CHARS} characters.",
            field="reason",
        )
    # One at a time per session: the plan read below is the one the reason answers. Only the
    # session's row is locked; its order, patient, product and chair are read (a chair is
    # locked by id where a slot is checked: infusions.booking.services).
    session = (
        InfusionSession.objects.select_for_update(of=("self",))
        .select_related("order__patient", "order__product", "chair")
        .get(pk=session.pk)
    )
    if session.status not in NOT_STARTED_STATUSES:
        raise InfusionError(
            InfusionError.NOT_CHANGEABLE,
            f"The session is {session.get_status_display().lower()}: a reason is given before "
            "the start.",
        )
    if SEVERITY_BY_CODE.get(code) == "stop":
        raise _refuse(f"{code} is a stop: no reason overrides it.")
    if code == PRIOR_INFUSION_REACTION:
        raise _refuse(
            f"{code} is answered by a clinician's plan for the reaction, which later sessions "
            "follow, not by a reason for one session."
        )
    if code not in ANSWERED_BY_A_SESSION_REASON:
        raise _refuse(f"{code or 'That code'} is not answered by a reason for one session.")
    living = session_plan(session)
    if code in living.session_reasons:
        raise InfusionError(
            InfusionError.REASON_GIVEN, f"A reason for {code} is already given on this session."
        )
    finding = next((item for item in living.findings if item.code == code), None)
    if finding is None:
        raise _refuse(f"The session's plan does not raise {code} now.")
    override = SessionOverride(
        session=session,
        code=code,
        session_day=_day(session),
        message=finding.message,
        reason=reason,
        given_by=by,
    )
    try:
        with transaction.atomic():
            save_as(override, by, f"Reason given for {code}")
    except IntegrityError as error:
        raise InfusionError(
            InfusionError.REASON_GIVEN, f"A reason for {code} is already given on this session."
        ) from error
    return override
