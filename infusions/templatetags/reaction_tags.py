"""The patient's reaction history (docs/clinical-rules.md 3.8.3) for any page: the patient page
and the order page (the orders app cannot import infusions) and every session page."""

from typing import Any

from django import template

from infusions.models import InfusionSession
from infusions.reactions import patient_reactions, reaction_finding, reaction_rate_cap
from ivig.accounts.roles import Role, has_role
from orders.models import Patient

register = template.Library()


@register.inclusion_tag("infusions/_reactions.html", takes_context=True)
def reaction_history(
    context: dict[str, Any], patient: Patient, session: InfusionSession | None = None
) -> dict[str, Any]:
    """Every reaction of ``patient``, newest first; for ``session``, the reactions it carries
    forward (earlier sessions), its PRIOR_INFUSION_REACTION finding and its rate cap."""
    request = context.get("request")
    user = getattr(request, "user", None)
    return {
        "reactions": patient_reactions(patient, before=session),
        "session": session,
        "finding": reaction_finding(session) if session is not None else None,
        "rate_cap": reaction_rate_cap(session) if session is not None else None,
        "can_plan": has_role(user, Role.CLINICIAN),
    }
