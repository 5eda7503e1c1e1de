"""The plan a session runs on: the order's plan on the current facts (docs/clinical-rules.md
3.9), from the one accessor ``orders.dose_plans.plan_accessor.order_plan``, and the refusals it
gives each step.

This module also gives the orders layer the patient's live sessions for the IVIg calendar
(``live_sessions_of``, registered in ``InfusionsConfig.ready``): orders never imports infusions.
"""

from collections.abc import Sequence
from datetime import date

from django.utils import timezone

from formulary.services import FormularyError
from infusions.administration.given import completed_grams
from infusions.booking.models import ACTIVE_STATUSES, InfusionSession, SessionStatus
from infusions.common import local
from infusions.errors import InfusionError
from infusions.reactions.selectors import reaction_rate_cap
from ivig.engine import DosePlan
from ivig.engine.reaction_cap import capped_plan
from orders.dose_plans.per_request import keep_answers, once_per_request
from orders.dose_plans.plan_accessor import (
    CalendarSession,
    OrderPlan,
    PlanSession,
    ProposedDay,
    order_plan,
)
from orders.models import Order

# Sessions on the calendar: not cancelled or missed (docs/clinical-rules.md 3.9).
CALENDAR_STATUSES = (*ACTIVE_STATUSES, SessionStatus.COMPLETED)
STARTED_STATUSES = (SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED)


def live_sessions(patient_id: int) -> list[CalendarSession]:
    """The patient's sessions that are not cancelled or missed (``live_sessions_of`` for one
    patient)."""
    return live_sessions_of([patient_id])[patient_id]


def live_sessions_of(patient_ids: Sequence[int]) -> dict[int, list[CalendarSession]]:
    """Per patient id, the patient's sessions that are not cancelled or missed, every order,
    each with the grams of its latest completion entry (None while none is recorded): one
    query, whatever the number of patients."""
    rows = (
        InfusionSession.objects.filter(
            patient_id__in=list(patient_ids), status__in=CALENDAR_STATUSES
        )
        .annotate(given_g=completed_grams())
        .values_list(
            "patient_id", "pk", "order_id", "cycle_number", "planned_start", "given_g", "status"
        )
    )
    sessions: dict[int, list[CalendarSession]] = {patient_id: [] for patient_id in patient_ids}
    for patient_id, pk, order_id, cycle_number, planned_start, given_g, status in rows:
        sessions[patient_id].append(
            CalendarSession(
                session_id=pk,
                order_id=order_id,
                cycle_number=cycle_number,
                day=local(planned_start).date(),
                given_g=given_g,
                started=status in STARTED_STATUSES,
            )
        )
    return sessions


def _session_row_key(session_id: int) -> tuple[str, int]:
    return ("session with its patient", session_id)


def session_row(session_id: int) -> InfusionSession:
    """Session ``session_id`` with its order and patient (what the session brings to its plan
    is read from it), read once per request that only reads: the session a page already read
    to ask its plan is the one kept (``current_plan``)."""
    return once_per_request(
        _session_row_key(session_id),
        lambda: InfusionSession.objects.select_related("order__patient").get(pk=session_id),
    )


def _keep_session_row(session: InfusionSession) -> None:
    """Within a request that only reads, keep ``session`` for ``session_row`` when its order
    and patient are read with it (a session page reads them once, issue 21)."""
    if InfusionSession.order.is_cached(session) and Order.patient.is_cached(session.order):
        keep_answers(lambda: {_session_row_key(session.pk): session})


def current_plan(
    order: Order,
    *,
    proposed: Sequence[ProposedDay] = (),
    as_of: date | None = None,
    session: InfusionSession | None = None,
) -> OrderPlan:
    """The order's plan now (docs/clinical-rules.md 3.9), with ``proposed`` days on the
    calendar and, for one ``session`` of the order, its day and the reactions it carries
    forward (CREATININE_DUE, PRIOR_INFUSION_REACTION: 3.8.2, 3.8.3); a product without a
    current price is ``InfusionError`` NO_PLAN."""
    for_session = None
    if session is not None:
        _keep_session_row(session)
        for_session = PlanSession(session.pk, local(session.planned_start).date())
    try:
        return order_plan(
            order, as_of=as_of or timezone.localdate(), proposed=proposed, session=for_session
        )
    except FormularyError as error:
        raise InfusionError(InfusionError.NO_PLAN, error.message) from error


def session_plan(session: InfusionSession) -> OrderPlan:
    """The plan of ``session``'s order now, asked for that session (``current_plan``)."""
    return current_plan(session.order, session=session)


def check_step(living: OrderPlan, step: str) -> None:
    """Refuse ``step`` when the plan now says so (docs/clinical-rules.md 3.9): a stop refuses
    it; a new override since signing refuses a firm booking, confirming and starting."""
    refusal = living.refusal(step)
    if refusal is None:
        return
    code = InfusionError.STOP_FINDINGS if living.stops else InfusionError.PLAN_CHANGED
    findings = living.stops or living.new_overrides
    raise InfusionError(
        code,
        refusal,
        details={"findings": [finding.model_dump(mode="json") for finding in findings]},
    )


def runnable_plan(order: Order, *, living: OrderPlan | None = None) -> DosePlan:
    """The order's plan now, refusing one the engine could not complete (INVALID_INPUT)."""
    plan = (living or current_plan(order)).plan
    if (
        not plan.titration
        or plan.chair_minutes is None
        or plan.infusion_minutes is None
        or plan.daily_volume_ml is None
        or plan.vital_checks_min is None
        or not plan.cycles
    ):
        raise InfusionError(
            InfusionError.NO_PLAN,
            f"The engine cannot plan order {order.number}: "
            + "; ".join(finding.message for finding in plan.findings if finding.severity == "stop"),
        )
    return plan


def session_runnable_plan(session: InfusionSession, *, living: OrderPlan | None = None) -> DosePlan:
    """``runnable_plan`` of the session's order with its rates capped at the lowest maximum rate
    of the plans for the patient's earlier reactions (docs/clinical-rules.md 3.8.3)."""
    plan = runnable_plan(session.order, living=living)
    cap = reaction_rate_cap(session)
    return plan if cap is None else capped_plan(plan, cap)
