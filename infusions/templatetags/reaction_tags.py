"""The patient's reaction history (docs/clinical-rules.md 3.8.3) for any page: the patient page
and the order page (the orders app cannot import infusions) and every session page."""

from typing import Any

from django import template

from infusions.booking.models import InfusionSession
from infusions.booking.session_plan import session_plan
from infusions.errors import InfusionError
from infusions.policies import can_plan_reaction
from infusions.reactions.selectors import (
    PRIOR_INFUSION_REACTION,
    patient_reactions,
    reaction_rate_cap,
)
from infusions.reactions.services import booking_overrun
from ivig.engine import Finding
from orders.models import Patient

register = template.Library()


@register.inclusion_tag("infusions/_reactions.html", takes_context=True)
def reaction_history(
    context: dict[str, Any], patient: Patient, session: InfusionSession | None = None
) -> dict[str, Any]:
    """Every reaction of ``patient``, newest first; for ``session``, the reactions it carries
    forward (earlier sessions), its PRIOR_INFUSION_REACTION finding, its rate cap and, when the
    capped infusion no longer fits its booking, the warning to move it."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "reactions": patient_reactions(patient, before=session),
        "session": session,
        "finding": _reaction_finding(session) if session is not None else None,
        "rate_cap": reaction_rate_cap(session) if session is not None else None,
        "overrun": booking_overrun(session) if session is not None else None,
        "can_plan": can_plan_reaction(user),
    }


def _reaction_finding(session: InfusionSession) -> Finding | None:
    """``PRIOR_INFUSION_REACTION`` on ``session``'s plan (the engine's rule), or None."""
    try:
        findings = session_plan(session).findings
    except InfusionError:
        return None
    return next((item for item in findings if item.code == PRIOR_INFUSION_REACTION), None)
