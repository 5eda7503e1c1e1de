"""Writing a reaction plan (docs/clinical-rules.md 3.8.3): record, revise, and the checks both
make on the numbers.

- The lower maximum rate is bounded: 1-200 mL/h, and never below the first step of the
  protocol for the patient (the first rate of the reaction's session's plan): a cap below it
  would run the whole infusion slower than its first step.
- A plan whose lower maximum rate makes a booked later session run past its booking is not
  recorded silently: the clinician is told each session's minutes in the chair against its
  booked minutes, and either changes the plan or records it saying that the bookings will be
  moved (``bookings_to_move``); every such session's page then warns the nurse
  (``booking_overrun``) until the booking is moved.
- The premedication a plan adds is lines (docs/clinical-rules.md 3.5), each version its own
  (``ReactionPlanLine``), checked by the order's one rule (``orders.premedication.services.
  line_problems``); the text of a plan written before the lines stays as written until a new
  version replaces it.
- A child's added line above its drug's children's maximum per kg of the patient's latest
  actual weight (``PREMEDICATION_DOSE_HIGH``, the engine's check for an order's lines) is
  refused unless the clinician gives the reason (``dose_high_reason``), kept on the version and
  shown beside the line on later sessions (``plan_dose_high``); a child without a recorded
  weight is refused until one is recorded.
- A plan is revised as a new version (``reaction_plan_revise``): the history keeps each version
  with who made it, when and why.
- A new reaction notifies the patient's clinicians (``reaction_notify``, the inbox and its
  e-mail) with a link to write the plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from infusions import policies
from infusions.administration.models import AdministrationEntry, EntryKind
from infusions.booking.models import NOT_STARTED_STATUSES, InfusionSession
from infusions.booking.session_plan import runnable_plan, session_plan
from infusions.common import local, save_as
from infusions.errors import InfusionError
from infusions.reactions.models import (
    REACTION_PLAN_MAX_RATE_ML_PER_H,
    ReactionPlan,
    ReactionPlanLine,
)
from infusions.reactions.selectors import patient_reactions, reaction_of
from ivig.accounts.models import User
from ivig.engine import DosePlan, Finding
from ivig.engine.formatting import format_decimal
from ivig.engine.premedication import is_child, lines_above_child_maximum
from ivig.engine.reaction_cap import capped_plan
from ivig.engine.rules import child_premedication_dose_high
from ivig.notifications.models import Kind
from ivig.notifications.services import NotificationDraft, notify_many, subject_type_of
from orders.dose_plans.engine_inputs import latest_weight
from orders.models import Order
from orders.premedication.services import (
    LineValues,
    line_facts,
    line_messages,
    line_problems,
    lines_sentence,
    values_of,
)

LINES_FIELD = "added_lines"
DOSE_HIGH_FIELD = "dose_high_reason"
# One plan per reaction: said when a second is recorded (checked first, then by the database).
ALREADY_PLANNED = "This reaction already has a plan: revise it instead."


@dataclass(frozen=True)
class BookingOverrun:
    """A booked session whose plan, capped by the reaction plans, needs more chair time than
    its booking holds."""

    session: InfusionSession
    cap_ml_per_h: int
    chair_minutes: int
    booked_minutes: int

    @property
    def message(self) -> str:
        start = local(self.session.planned_start)
        end = local(self.session.planned_end)
        return (
            f"Capped at {self.cap_ml_per_h} mL/h, the session of {start:%a} {start.day} "
            f"{start:%b %Y} (cycle {self.session.cycle_number} day {self.session.day_number}) "
            f"needs {format_decimal(self.chair_minutes)} minutes in the chair, but its booking "
            f"{start:%H:%M}\u2013{end:%H:%M} holds {format_decimal(self.booked_minutes)} "
            "minutes: the booking must be moved, or the plan changed."
        )


def _booked_minutes(session: InfusionSession) -> int:
    return int((session.planned_end - session.planned_start).total_seconds() // 60)


def _cap_for(
    session: InfusionSession, reaction: AdministrationEntry, cap: int | None
) -> int | None:
    """The lowest maximum rate ``session`` runs at with ``cap`` as ``reaction``'s plan's."""
    caps = [
        item.plan.max_rate_ml_per_h
        for item in patient_reactions(session.order.patient, before=session)
        if item.entry.pk != reaction.pk
        and item.plan is not None
        and item.plan.max_rate_ml_per_h is not None
    ]
    if cap is not None:
        caps.append(cap)
    return min(caps) if caps else None


def _overrun(session: InfusionSession, cap: int | None) -> BookingOverrun | None:
    if cap is None:
        return None
    try:
        plan = capped_plan(runnable_plan(session.order, living=session_plan(session)), cap)
    except InfusionError:  # the engine cannot plan it: its page says so
        return None
    if plan.chair_minutes is None or plan.chair_minutes <= _booked_minutes(session):
        return None
    return BookingOverrun(session, cap, plan.chair_minutes, _booked_minutes(session))


def _later_sessions(reaction: AdministrationEntry) -> list[InfusionSession]:
    """The patient's sessions not started yet that carry ``reaction`` forward."""
    return list(
        InfusionSession.objects.filter(
            order__patient_id=reaction.session.order.patient_id,
            status__in=NOT_STARTED_STATUSES,
            planned_start__gt=reaction.occurred_at,
        )
        .exclude(pk=reaction.session_id)
        .select_related("order__patient", "chair")
        .order_by("planned_start", "pk")
    )


def booking_overruns(reaction: AdministrationEntry, cap: int | None) -> list[BookingOverrun]:
    """The booked later sessions that would run past their booking with ``cap`` as the
    maximum rate of ``reaction``'s plan."""
    found = (
        _overrun(session, _cap_for(session, reaction, cap)) for session in _later_sessions(reaction)
    )
    return [item for item in found if item is not None]


def booking_overrun(session: InfusionSession) -> BookingOverrun | None:
    """``session``, not started, needs more chair time than its booking holds because of the
    reaction plans it follows (the warning on its page), or None."""
    if session.status not in NOT_STARTED_STATUSES:
        return None
    caps = [
        item.plan.max_rate_ml_per_h
        for item in patient_reactions(session.order.patient, before=session)
        if item.plan is not None and item.plan.max_rate_ml_per_h is not None
    ]
    return _overrun(session, min(caps)) if caps else None


def capped_for_patient(order: Order, plan: DosePlan) -> DosePlan:
    """``plan`` of ``order`` capped at the lowest maximum rate of the patient's reaction plans:
    what a session booked now runs (its chair time, docs/clinical-rules.md 3.8.3)."""
    caps = [
        item.plan.max_rate_ml_per_h
        for item in patient_reactions(order.patient)
        if item.plan is not None and item.plan.max_rate_ml_per_h is not None
    ]
    return capped_plan(plan, min(caps)) if caps else plan


def first_step_rate(reaction: AdministrationEntry) -> int | None:
    """The first rate of the protocol for the patient: the first step of the plan of the
    reaction's session's order (uncapped), or None when the engine cannot plan it."""
    session = reaction.session
    try:
        plan = runnable_plan(session.order, living=session_plan(session))
    except InfusionError:
        return None
    return plan.titration[0].rate_ml_per_h if plan.titration else None


@dataclass(frozen=True)
class PlanDoseHigh:
    """PREMEDICATION_DOSE_HIGH for a plan's added lines: the finding and the index of each line
    above its drug's children's maximum."""

    finding: Finding
    above: frozenset[int]


def plan_dose_high(
    reaction: AdministrationEntry, lines: Sequence[LineValues]
) -> PlanDoseHigh | None:
    """The engine's PREMEDICATION_DOSE_HIGH check (docs/clinical-rules.md 3.5) on the lines a
    plan for ``reaction`` adds, for the patient's age today and latest actual weight: None for
    an adult or no line above. A child without a recorded weight, with a line the check reads
    (a drug with a children's maximum), is refused: the dose per kg is never guessed."""
    patient = reaction.session.order.patient
    today = timezone.localdate()
    age_years = patient.age_years(today)
    if not lines or not is_child(age_years):
        return None
    facts = line_facts(lines)
    weight = latest_weight(patient, as_of=today)
    if weight is None:
        judged = [line.drug.name for line in facts if line.drug.child_max_mg_per_kg is not None]
        if not judged:
            return None
        message = (
            f"{patient.full_name} is a child without a recorded weight: record the weight "
            f"before adding {', '.join(judged)}, whose dose is judged per kg."
        )
        raise InfusionError(InfusionError.INVALID, message, field_errors={LINES_FIELD: [message]})
    finding = child_premedication_dose_high(facts, age_years, weight.weight_kg)
    if finding is None:
        return None
    above = frozenset(
        index
        for index, line in enumerate(facts)
        if lines_above_child_maximum((line,), weight.weight_kg)
    )
    return PlanDoseHigh(finding, above)


def _check(
    reaction: AdministrationEntry,
    *,
    max_rate_ml_per_h: int | None,
    added_lines: Sequence[LineValues],
    own_drug_ids: Sequence[int],
    reason: str,
    dose_high_reason: str,
    bookings_to_move: bool,
) -> frozenset[int]:
    """Refuse what the rules refuse; the index of each added line above the children's
    maximum (its reason given)."""
    if reaction.kind != EntryKind.ADVERSE_EVENT:
        raise InfusionError(InfusionError.INVALID, "Only an adverse event has a reaction plan.")
    problems = line_problems(added_lines, allowed_drug_ids=own_drug_ids)
    if problems:
        messages = line_messages(problems, added_lines)
        raise InfusionError(
            InfusionError.INVALID, " ".join(messages), field_errors={LINES_FIELD: messages}
        )
    dose_high = plan_dose_high(reaction, added_lines)
    if dose_high is not None and not dose_high_reason:
        raise InfusionError(InfusionError.INVALID, dose_high.finding.message, field=DOSE_HIGH_FIELD)
    above = dose_high.above if dose_high is not None else frozenset()
    if max_rate_ml_per_h is None and not added_lines and not reason:
        raise InfusionError(
            InfusionError.INVALID,
            "Give a lower maximum rate, added premedication, or the reason to continue unchanged.",
            field="reason",
        )
    if max_rate_ml_per_h is None:
        return above
    if not 1 <= max_rate_ml_per_h <= REACTION_PLAN_MAX_RATE_ML_PER_H:
        raise InfusionError(
            InfusionError.INVALID,
            f"A maximum rate is 1 to {REACTION_PLAN_MAX_RATE_ML_PER_H} mL/h.",
            field="max_rate_ml_per_h",
        )
    floor = first_step_rate(reaction)
    if floor is not None and max_rate_ml_per_h < floor:
        raise InfusionError(
            InfusionError.INVALID,
            f"The maximum rate cannot be below the first step of the protocol for this patient, "
            f"{floor} mL/h (a lower cap would run the whole infusion slower than its start). "
            "To go slower than that, change the order.",
            field="max_rate_ml_per_h",
        )
    overruns = booking_overruns(reaction, max_rate_ml_per_h)
    if overruns and not bookings_to_move:
        raise InfusionError(
            InfusionError.INVALID,
            " ".join(item.message for item in overruns)
            + " Choose a higher maximum rate, or confirm that the booking will be moved.",
            field="max_rate_ml_per_h",
            details={
                "overruns": [
                    {
                        "session": item.session.pk,
                        "chair_minutes": item.chair_minutes,
                        "booked_minutes": item.booked_minutes,
                    }
                    for item in overruns
                ]
            },
        )
    return above


@transaction.atomic
def reaction_plan_record(
    reaction: AdministrationEntry,
    *,
    by: User,
    max_rate_ml_per_h: int | None = None,
    added_lines: Sequence[LineValues] = (),
    reason: str = "",
    dose_high_reason: str = "",
    bookings_to_move: bool = False,
) -> ReactionPlan:
    """A clinician's plan for ``reaction`` (docs/clinical-rules.md 3.8.3, module docstring):
    a lower maximum rate, added premedication lines, or continue unchanged with a reason. One
    per reaction (then revised). ``dose_high_reason``: why a child's added line stands above
    the children's maximum (required then, kept only then)."""
    reason = reason.strip()
    dose_high_reason = dose_high_reason.strip()
    above = _check(
        reaction,
        max_rate_ml_per_h=max_rate_ml_per_h,
        added_lines=added_lines,
        own_drug_ids=(),
        reason=reason,
        dose_high_reason=dose_high_reason,
        bookings_to_move=bookings_to_move,
    )
    if ReactionPlan.objects.filter(reaction=reaction).exists():
        raise InfusionError(InfusionError.REACTION_PLANNED, ALREADY_PLANNED)
    plan = ReactionPlan(
        reaction=reaction,
        max_rate_ml_per_h=max_rate_ml_per_h,
        added_lines_words=lines_sentence(added_lines),
        reason=reason,
        dose_high_reason=dose_high_reason if above else "",
        recorded_by=by,
    )
    try:
        with transaction.atomic():
            save_as(plan, by, "Reaction plan recorded")
    except IntegrityError as error:
        raise InfusionError(InfusionError.REACTION_PLANNED, ALREADY_PLANNED) from error
    _save_lines(plan, added_lines, by, above)
    return plan


def _save_lines(
    plan: ReactionPlan, lines: Sequence[LineValues], by: User, above: frozenset[int]
) -> None:
    """``lines`` as the rows of ``plan``'s current version (audited); ``above``: the index of
    each line above the children's maximum, which keeps the version's reason for it."""
    for index, line in enumerate(lines):
        row = ReactionPlanLine(
            plan=plan,
            version=plan.version,
            position=index + 1,
            dose_high_reason=plan.dose_high_reason if index in above else "",
            **line.fields(),
        )
        row.full_clean()
        save_as(row, by, f"Reaction plan version {plan.version}: premedication line added")


def plan_lines(plan: ReactionPlan) -> list[ReactionPlanLine]:
    """The lines of ``plan``'s current version, with their drugs."""
    return list(plan.lines.filter(version=plan.version).select_related("drug"))


def plan_line_values(plan: ReactionPlan) -> list[LineValues]:
    """The lines of ``plan``'s current version as values (the form's and API's starting rows)."""
    return values_of(plan_lines(plan))


@transaction.atomic
def reaction_plan_revise(
    plan: ReactionPlan,
    *,
    by: User,
    version: int,
    max_rate_ml_per_h: int | None = None,
    added_lines: Sequence[LineValues] = (),
    reason: str = "",
    dose_high_reason: str = "",
    bookings_to_move: bool = False,
) -> ReactionPlan:
    """A new version of ``plan`` (docs/clinical-rules.md 3.8.3): the same checks as recording
    it; ``version`` is the version the clinician saw (a stale one is a conflict). Every version
    stays in the plan's history with who revised it and when; ``added_lines`` are the new
    version's lines (a drug the plan named before may stay after it leaves the catalogue), and
    the text of a plan written before the lines is replaced by them."""
    current = ReactionPlan.objects.select_for_update().get(pk=plan.pk)
    if current.version != version:
        raise InfusionError(
            InfusionError.STALE_VERSION,
            f"The plan was revised since you opened it (now version {current.version}): reload it.",
        )
    reason = reason.strip()
    dose_high_reason = dose_high_reason.strip()
    above = _check(
        current.reaction,
        max_rate_ml_per_h=max_rate_ml_per_h,
        added_lines=added_lines,
        own_drug_ids=list(current.lines.values_list("drug_id", flat=True)),
        reason=reason,
        dose_high_reason=dose_high_reason,
        bookings_to_move=bookings_to_move,
    )
    current.max_rate_ml_per_h = max_rate_ml_per_h
    current.added_lines_words = lines_sentence(added_lines)
    current.added_premedication = ""
    current.reason = reason
    current.dose_high_reason = dose_high_reason if above else ""
    current.version += 1
    save_as(current, by, f"Reaction plan revised (version {current.version})")
    _save_lines(current, added_lines, by, above)
    return current


@dataclass(frozen=True)
class PlanVersion:
    """One version of a reaction plan as its history shows it."""

    version: int
    summary: str
    by: User | None
    at: datetime
    changes: list[tuple[str, str, str]]  # field label, before, after


_SHOWN_FIELDS = (
    ("max_rate_ml_per_h", "Maximum rate"),
    ("added_lines_words", "Added premedication"),
    ("added_premedication", "Added premedication as written"),
    ("reason", "Reason"),
    ("dose_high_reason", "Reason for a dose above the child maximum"),
)


def _shown(field: str, value: object) -> str:
    if value is None or value == "":
        return "none"
    return f"{value} mL/h" if field == "max_rate_ml_per_h" else str(value)


def plan_versions(plan: ReactionPlan) -> list[PlanVersion]:
    """Every version of ``plan``, newest first, each with what changed from the one before."""
    rows = list(plan.history.order_by("history_date", "history_id").select_related("history_user"))
    versions: list[PlanVersion] = []
    before = None
    for row in rows:
        changes = [
            (label, _shown(field, getattr(before, field)), _shown(field, getattr(row, field)))
            for field, label in _SHOWN_FIELDS
            if before is not None and getattr(before, field) != getattr(row, field)
        ]
        by, at = row.history_user, row.history_date
        versions.append(PlanVersion(row.version, row.instance.summary, by, at, changes))
        before = row
    return list(reversed(versions))


def _patient_clinicians(reaction: AdministrationEntry) -> list[User]:
    """The clinicians of the patient's orders (who entered or signed one) who may plan."""
    patient_id = reaction.session.order.patient_id
    ids: set[int] = set()
    for created, signed in Order.objects.filter(patient_id=patient_id).values_list(
        "created_by_id", "signed_by_id"
    ):
        ids.update(pk for pk in (created, signed) if pk is not None)
    users = User.objects.filter(Q(pk__in=ids), is_active=True)
    return [user for user in users if policies.can_plan_reaction(user)]


def reaction_notify(reaction: AdministrationEntry) -> int:
    """Tell the patient's clinicians that ``reaction`` waits for their plan (in-app inbox and
    e-mail), with the link to write it; once per clinician and reaction."""
    if reaction.kind != EntryKind.ADVERSE_EVENT:
        return 0
    item = reaction_of(reaction)
    patient = reaction.session.order.patient
    when = local(reaction.occurred_at)
    symptoms = ", ".join(item.symptoms) or "no symptom named"
    url = reverse("infusions:reaction-plan", args=[reaction.pk])
    drafts = [
        NotificationDraft(
            recipient_id=user.pk,
            subject_type=subject_type_of(reaction),
            subject_id=reaction.pk,
            kind=Kind.REACTION_PLAN_NEEDED,
            due_date=when.date(),
            title=f"Infusion reaction of {patient.full_name}: a plan is needed",
            body=(
                f"{item.severity_label or 'A'} reaction ({symptoms}) on {when:%Y-%m-%d %H:%M}"
                + (f" at {item.rate_at_onset_ml_per_h} mL/h" if item.rate_at_onset_ml_per_h else "")
                + ". The patient's next session cannot start until a clinician records the plan."
            ),
            url=url,
        )
        for user in _patient_clinicians(reaction)
    ]
    return notify_many(drafts)
