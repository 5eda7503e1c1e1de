"""Demo chairs and a booked cycle (docs/clinical-rules.md 9), through the services by the demo
nurse.

The chairs are open every day from 07:00 to 21:00, so that a demo works on any day of the week.
The booked demo order (``patients_and_orders.BOOKED_DEMO_MRN``, first cycle from the seed day)
gets its cycle 1 booked at the first free time from now: today when the day has room for it, so
that the day view is not empty; the nurse's demo order (``NURSE_DEMO_MRN``) is left for the nurse to
book from the schedule's "Cycles to book".

The demo course (``patients_and_orders.COURSE_DEMO_MRN``, docs/clinical-rules.md 3.8.3, 10.4)
gets its history: an approval of the whole course, cycle 2's first session four weeks ago given
through the administration record (started, titrated, a moderate reaction with fever and
headache, restarted slower, completed), and its cycle 3 booked from today, so that the
reaction history shows and today's session carries PRIOR_INFUSION_REACTION until a clinician
records a plan.

The second course (``patients_and_orders.PLANNED_COURSE_MRN``, two days behind) gets the same
history on another chair, its reaction (a rash and fever) with a clinician's plan: a maximum rate
one titration step below the rate at onset and hydrocortisone premedication. Its cycle 3, booked
from two days ahead, runs capped with no PRIOR_INFUSION_REACTION, so a fresh demo shows both
states.

Idempotent: chairs by name; the cycle is booked only when that order has no session yet; the
course history only when the course order has no session yet. Only when DEBUG, like the demo
users.
"""

import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from demo.seeding.authorization_requests import approve_whole_course
from demo.seeding.patients_and_orders import (
    BOOKED_DEMO_MRN,
    COURSE_DEMO_MRN,
    COURSE_NOTES,
    PLANNED_COURSE_MRN,
    PLANNED_COURSE_NOTES,
    course_order,
)
from formulary.premedication.models import PremedicationDrug
from infusions.administration.entries import AdverseEvent, Completed, RateChanged, Restarted
from infusions.administration.models import AdministrationEntry, EntryKind
from infusions.administration.services import administration_record, session_start
from infusions.booking.models import InfusionSession, SessionStatus
from infusions.booking.next_cycles import refresh_next_cycle
from infusions.booking.services import booking_confirm, booking_propose
from infusions.booking.session_plan import session_runnable_plan
from infusions.chairs.models import Chair
from infusions.chairs.services import Hours, chair_save
from infusions.common import save_as
from infusions.errors import InfusionError
from infusions.reactions.selectors import reaction_of
from infusions.reactions.services import reaction_plan_record
from ivig.accounts.models import User
from orders.models import Order, OrderStatus
from orders.premedication.services import LineValues

EVERY_DAY = range(7)
DEMO_OPENS, DEMO_CLOSES = time(7), time(21)
DEMO_CHAIRS: tuple[tuple[str, str], ...] = (
    ("Chair 1", "Day unit, window"),
    ("Chair 2", "Day unit"),
    ("Chair 3", "Day unit, by the nurses' station"),
)


def demo_hours() -> list[Hours]:
    return [Hours(day, DEMO_OPENS, DEMO_CLOSES) for day in EVERY_DAY]


COURSE_SESSION_CYCLE = 2  # the past session: cycle 2, day 1


@dataclass(frozen=True)
class CourseHistory:
    """What the sessions seed adds to a demo course: its approval, the chair of its past
    session, the reaction on it and, where the clinician has answered it, the reaction plan
    (the maximum rate one titration step below the rate at onset, and premedication)."""

    mrn: str
    notes: str
    session_days_ago: int  # cycle 2, day 1
    authorization: str
    chair: str
    symptoms: tuple[str, ...]
    action: str
    planned_premedication: str = ""  # with a plan: the catalogue drug added (its adult dose)

    @property
    def planned(self) -> bool:
        return bool(self.planned_premedication)


COURSE_HISTORIES: tuple[CourseHistory, ...] = (
    CourseHistory(
        COURSE_DEMO_MRN,
        COURSE_NOTES,
        28,
        "DEMO-PA-PEMPHIGUS",
        DEMO_CHAIRS[0][0],
        ("fever", "headache"),
        "Stopped; paracetamol 1 g PO; settled in 30 minutes.",
    ),
    CourseHistory(
        PLANNED_COURSE_MRN,
        PLANNED_COURSE_NOTES,
        26,
        "DEMO-PA-PEMPHIGOID",
        DEMO_CHAIRS[1][0],
        ("skin_rash", "fever"),
        "Stopped; cetirizine 10 mg PO; rash faded in 40 minutes.",
        planned_premedication="hydrocortisone",
    ),
)


def _at(day: date, clock: time, minutes: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock)) + timedelta(minutes=minutes)


def _course_history(
    order: Order, nurse: User, chair: Chair, history: CourseHistory
) -> InfusionSession:
    """Cycle 2 day 1 of the course, four weeks ago: the session row as booking makes it (a
    booking in the past is refused), then every entry through the administration record."""
    day = timezone.localdate() - timedelta(days=history.session_days_ago)
    start = _at(day, time(9))
    session = InfusionSession(
        order=order,
        chair=chair,
        cycle_number=COURSE_SESSION_CYCLE,
        day_number=1,
        planned_start=start,
        planned_end=start + timedelta(minutes=240),
        status=SessionStatus.BOOKED,
        created_by=nurse,
    )
    save_as(session, nurse, "Booked")
    refresh_next_cycle(order)
    plan = session_runnable_plan(session)
    assert plan.titration and plan.daily_dose_g is not None and plan.daily_volume_ml is not None
    session_start(session, by=nurse, at=start)
    step = plan.titration[min(2, len(plan.titration) - 1)]
    onset = step.rate_ml_per_h
    for earlier in plan.titration[1:3]:
        administration_record(
            session,
            RateChanged(rate_ml_per_h=earlier.rate_ml_per_h),
            by=nurse,
            occurred_at=start + timedelta(minutes=earlier.start_min),
        )
    administration_record(
        session,
        AdverseEvent(
            symptoms=list(history.symptoms),
            severity="moderate",
            action=history.action,
        ),
        by=nurse,
        occurred_at=start + timedelta(minutes=step.start_min + 10),
    )
    administration_record(
        session,
        Restarted(rate_ml_per_h=plan.titration[0].rate_ml_per_h),
        by=nurse,
        occurred_at=start + timedelta(minutes=step.start_min + 45),
    )
    administration_record(
        session,
        Completed(
            volume_ml=Decimal(plan.daily_volume_ml),
            grams_given=Decimal(plan.daily_dose_g),
            details=f"Restarted at the first rate after the reaction at {onset} mL/h.",
        ),
        by=nurse,
        # Long enough at the restart rate for the whole day's volume: the record allows no
        # more than its rates and times give (docs/clinical-rules.md 6).
        occurred_at=start
        + timedelta(
            minutes=step.start_min
            + 45
            + math.ceil(plan.daily_volume_ml * 60 / plan.titration[0].rate_ml_per_h)
        ),
    )
    return session


# The demo users a course history needs: its nurse, authorization admin and clinician.
_COURSE_USERS = ("nurse", "authadmin", "clinician")


def seed_course(history: CourseHistory = COURSE_HISTORIES[0]) -> list[str]:
    """A demo course's approval, past session with its reaction (and its plan, where the
    history has one) and cycle 3 from today."""
    order = course_order(history.mrn, history.notes)
    users = {u.username: u for u in User.objects.filter(username__in=_COURSE_USERS)}
    chair = Chair.objects.filter(name=history.chair).first()
    if order is None or len(users) < len(_COURSE_USERS) or chair is None:
        return ["demo course history skipped: no course order, nurse, admin, clinician or chair"]
    nurse, admin, clinician = (users[name] for name in _COURSE_USERS)
    if InfusionSession.objects.filter(order=order).exists():
        return [f"demo course history of {order.number}: already there"]
    approve_whole_course(order, by=admin, reference=history.authorization)
    past = _course_history(order, nurse, chair, history)
    lines = [f"demo course history: cycle 2 of {order.number} given with a reaction"]
    if history.planned:
        max_rate = _reaction_planned(past, clinician, history)
        lines.append(f"demo course reaction plan: at most {max_rate} mL/h, premedication added")
    cycle = COURSE_SESSION_CYCLE + 1
    try:
        sessions = booking_confirm(order, cycle, booking_propose(order, cycle), nurse)
    except InfusionError as error:
        return [*lines, f"demo course booking skipped: {error.message}"]
    first = timezone.localtime(sessions[0].planned_start)
    assert past.pk != sessions[0].pk
    return [*lines, f"demo course booking: cycle {cycle} from {first:%Y-%m-%d %H:%M}"]


def _added_line(slug: str) -> LineValues:
    """The catalogue drug ``slug`` at its adult dose and usual route, 30 minutes before."""
    drug = PremedicationDrug.objects.get(slug=slug)
    return LineValues(drug, drug.adult_dose, drug.dose_unit, drug.route, minutes_before=30)


def _reaction_planned(past: InfusionSession, clinician: User, history: CourseHistory) -> int:
    """The past session's reaction given a clinician's plan: a maximum rate one titration step
    below the rate at onset, and the history's added premedication; that maximum rate."""
    reaction = AdministrationEntry.objects.get(session=past, kind=EntryKind.ADVERSE_EVENT)
    plan = session_runnable_plan(past)
    assert plan.titration
    onset = reaction_of(reaction).rate_at_onset_ml_per_h or plan.titration[0].rate_ml_per_h
    below = [step.rate_ml_per_h for step in plan.titration if step.rate_ml_per_h < onset]
    max_rate = below[-1] if below else plan.titration[0].rate_ml_per_h
    reaction_plan_record(
        reaction,
        by=clinician,
        max_rate_ml_per_h=max_rate,
        added_lines=[_added_line(history.planned_premedication)],
    )
    return max_rate


def seed() -> list[str]:
    if not settings.DEBUG:
        return ["demo chairs skipped: DEBUG is off"]
    nurse = User.objects.filter(username="nurse").first()
    if nurse is None:
        return ["demo chairs skipped: no demo nurse"]
    made = 0
    for name, location in DEMO_CHAIRS:
        if not Chair.objects.filter(name=name).exists():
            chair_save(None, by=nurse, name=name, location=location, opening_hours=demo_hours())
            made += 1
    lines = [f"demo chairs: {Chair.objects.count()} ({made} new)"]
    order = (
        Order.objects.filter(patient__mrn=BOOKED_DEMO_MRN, notes="Demo order.")
        .order_by("pk")
        .first()
    )
    courses = [line for history in COURSE_HISTORIES for line in seed_course(history)]
    return [*lines, *_seed_booking(order, nurse), *courses]


def _seed_booking(order: Order | None, nurse: User) -> list[str]:
    if order is None:
        return ["demo booking: no booked demo order"]
    if InfusionSession.objects.filter(order=order).exists():
        return ["demo booking: already booked"]
    if order.status != OrderStatus.VERIFIED:
        return [f"demo booking: order {order.number} is not verified"]
    try:
        sessions = booking_confirm(order, 1, booking_propose(order, 1), nurse)
    except InfusionError as error:
        return [f"demo booking skipped: {error.message}"]
    first = timezone.localtime(sessions[0].planned_start)
    return [
        f"demo booking: cycle 1 of {order.number}, {len(sessions)} session(s) from "
        f"{first:%Y-%m-%d %H:%M}"
    ]
