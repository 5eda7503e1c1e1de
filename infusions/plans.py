"""The dose plan a session runs on, from the engine (DESIGN 2: the single source of every
clinical number).

The plan is the one the clinician signed and the pharmacist verified: ``Order.plan_at_signing``,
the engine's output frozen at signing. An order without it (made outside the order services) is
planned by the engine on the day it was signed, or today.
"""

from django.utils import timezone

from formulary.services import FormularyError
from ivig.engine import DosePlan
from ivig.engine.reaction_cap import capped_plan
from orders.engine_inputs import plan_for_order
from orders.models import Order

from .errors import InfusionError
from .models import InfusionSession
from .reactions import reaction_rate_cap


def order_plan(order: Order) -> DosePlan:
    """The engine's plan for ``order`` (see module docstring)."""
    if order.plan_at_signing:
        return DosePlan.model_validate(order.plan_at_signing)
    evaluated_on = timezone.localdate(order.signed_at) if order.signed_at else timezone.localdate()
    try:
        return plan_for_order(order, evaluated_on)
    except FormularyError as error:
        raise InfusionError(InfusionError.NO_PLAN, error.message) from error


def runnable_plan(order: Order) -> DosePlan:
    """The order's plan, refusing one the engine could not complete (INVALID_INPUT)."""
    plan = order_plan(order)
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


def session_runnable_plan(session: InfusionSession) -> DosePlan:
    """``runnable_plan`` of the session's order with its rates capped at the lowest maximum rate
    of the plans for the patient's earlier reactions (docs/clinical-rules.md 3.8.3)."""
    plan = runnable_plan(session.order)
    cap = reaction_rate_cap(session)
    return plan if cap is None else capped_plan(plan, cap)
