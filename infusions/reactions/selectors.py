"""Reactions carried forward (docs/clinical-rules.md 3.8.3).

An adverse event recorded on a session joins the patient's reaction history
(``patient_reactions``). A later session of the patient raises ``PRIOR_INFUSION_REACTION``
(override) for each reaction without a ``ReactionPlan``: the finding is the engine's rule,
judged on the session's plan from the one accessor (``orders.dose_plans.plan_accessor.order_plan``
with the session, reading ``reaction_facts`` through the port this app registers,
``administration.session_reasons.session_inputs``), and a clinician records the plan with
``reactions.services.reaction_plan_record`` (bounded, revisable). A plan's lower maximum rate
caps the rates of every later session (``reaction_rate_cap``), on the session's plan and on every
rate recorded; its added premedication lines are given on every later session
(``added_lines_for``), recorded line by line as the order's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Prefetch

from infusions.administration.models import AdministrationEntry, EntryKind, Severity, Symptom
from infusions.administration.record import infusion_state
from infusions.booking.models import InfusionSession
from infusions.common import local
from infusions.reactions.models import ReactionPlan, ReactionPlanLine
from ivig.engine import ReactionFacts
from orders.dose_plans.per_request import once_per_request
from orders.models import Patient

PRIOR_INFUSION_REACTION = "PRIOR_INFUSION_REACTION"


@dataclass(frozen=True)
class Reaction:
    """One reaction of the patient's history, as pages show it."""

    entry: AdministrationEntry
    session: InfusionSession
    occurred_at: datetime
    symptoms: list[str]  # watch-list labels
    severity: str
    severity_label: str
    rate_at_onset_ml_per_h: int | None
    action: str
    plan: ReactionPlan | None

    @property
    def severe(self) -> bool:
        return self.severity == Severity.SEVERE


def _plan_of(entry: AdministrationEntry) -> ReactionPlan | None:
    try:
        return entry.reaction_plan
    except ReactionPlan.DoesNotExist:
        return None


def reaction_of(entry: AdministrationEntry) -> Reaction:
    """``entry`` (an adverse event) as a reaction of the history, with its rate at onset."""
    earlier = [
        other
        for other in entry.session.entries.all()
        if (other.occurred_at, other.pk) < (entry.occurred_at, entry.pk)
    ]
    rate = infusion_state(earlier).rate_ml_per_h
    labels = dict(Symptom.choices)
    return Reaction(
        entry=entry,
        session=entry.session,
        occurred_at=entry.occurred_at,
        symptoms=[labels.get(code, code) for code in entry.symptoms],
        severity=entry.severity,
        severity_label=Severity(entry.severity).label if entry.severity else "",
        rate_at_onset_ml_per_h=rate or None,
        action=entry.action,
        plan=_plan_of(entry),
    )


def patient_reactions(patient: Patient, *, before: InfusionSession | None = None) -> list[Reaction]:
    """The patient's reactions (adverse events recorded on any session), newest first; with
    ``before``, only those on other sessions that happened before that session's planned
    start (the reactions a later session carries forward). Three queries, once per request
    that only reads (the session page asks them for its plan, its rate cap, its reaction
    history and its booking's overrun)."""
    key = (
        "patient reactions",
        patient.pk,
        (before.pk, before.planned_start) if before is not None else None,
    )
    return list(once_per_request(key, lambda: _patient_reactions(patient, before)))


def _patient_reactions(patient: Patient, before: InfusionSession | None) -> list[Reaction]:
    entries = (
        AdministrationEntry.objects.filter(
            kind=EntryKind.ADVERSE_EVENT, session__order__patient=patient
        )
        .select_related("session__order", "reaction_plan__recorded_by")
        .prefetch_related(Prefetch("session__entries"))
        .order_by("-occurred_at", "-id")
    )
    if before is not None:
        entries = entries.exclude(session=before).filter(occurred_at__lt=before.planned_start)
    return [reaction_of(entry) for entry in entries]


def reaction_facts(session: InfusionSession) -> list[ReactionFacts]:
    """The engine's view of the reactions ``session`` carries forward."""
    return [
        ReactionFacts(
            session_id=reaction.session.pk,
            occurred_on=local(reaction.occurred_at).date(),
            severity=reaction.severity,
            symptoms=reaction.symptoms,
            rate_at_onset_ml_per_h=reaction.rate_at_onset_ml_per_h,
            action=reaction.action,
            planned=reaction.plan is not None,
        )
        for reaction in patient_reactions(session.order.patient, before=session)
    ]


def reaction_rate_cap(session: InfusionSession) -> int | None:
    """The lowest maximum rate of the plans of the reactions ``session`` carries forward."""
    caps = [
        reaction.plan.max_rate_ml_per_h
        for reaction in patient_reactions(session.order.patient, before=session)
        if reaction.plan is not None and reaction.plan.max_rate_ml_per_h is not None
    ]
    return min(caps) if caps else None


def severe_reaction_in(session: InfusionSession) -> bool:
    """Whether ``session``'s own record holds a severe adverse event (no restart: 3.8.3)."""
    return session.entries.filter(kind=EntryKind.ADVERSE_EVENT, severity=Severity.SEVERE).exists()


def added_lines_for(session: InfusionSession) -> list[ReactionPlanLine]:
    """The premedication lines the reaction plans ``session`` follows add (their current
    versions; the reactions of ``patient_reactions(before=session)``), oldest reaction first,
    with their drugs (one query)."""
    return list(
        ReactionPlanLine.objects.filter(
            plan__reaction__session__order__patient_id=session.patient_id
            or session.order.patient_id,
            plan__reaction__kind=EntryKind.ADVERSE_EVENT,
            plan__reaction__occurred_at__lt=session.planned_start,
            version=F("plan__version"),
        )
        .exclude(plan__reaction__session_id=session.pk)
        .select_related("drug")
        .order_by("plan__reaction__occurred_at", "plan_id", "position", "id")
    )
