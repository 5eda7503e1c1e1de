"""Reading the schedule: the day's and week's sessions on their chairs, a session's plan at
clock times and its record (STYLE: selectors)."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import (
    F,
    Q,
)
from django.utils import timezone

from authorizations.selectors import start_of_day
from infusions.administration.given import Given, given_from, latest_completion
from infusions.administration.models import AdministrationEntry, Symptom
from infusions.administration.record import InfusionState, infusion_state
from infusions.booking.models import ACTIVE_STATUSES, InfusionSession, status_label
from infusions.booking.session_plan import session_plan, session_runnable_plan
from infusions.chairs.models import Chair
from ivig.engine import Finding
from ivig.engine.restart import restart_plan
from orders.dose_plans.plan_accessor import SessionReason
from orders.models import Order


def schedule_chairs(start: datetime, end: datetime) -> list[Chair]:
    """The schedule's chairs for [start, end): the active ones by name, then any other chair a
    session in the range uses (one query; as many as the unit has chairs, whatever its number
    of patients). Paginate them: the page's chairs bound the sessions a schedule page draws;
    ``with_hours`` then loads the page's opening hours."""
    used = InfusionSession.objects.filter(planned_start__gte=start, planned_start__lt=end)
    return list(
        Chair.objects.filter(Q(active=True) | Q(pk__in=used.values("chair_id"))).order_by(
            F("active").desc(), "name", "pk"
        )
    )


@dataclass(frozen=True)
class ScheduledSession:
    """What the schedule draws of a session, its order, patient, product and chair: plain
    values read in one query (no model instances: the schedule's cost per session is small)."""

    pk: int
    order_id: int
    patient_id: int
    chair_id: int
    cycle_number: int
    day_number: int
    planned_start: datetime
    planned_end: datetime
    status: str
    chair_name: str
    family_name: str
    given_name: str
    mrn: str
    brand_name: str
    partial_dose: bool = False

    @property
    def status_label(self) -> str:
        return status_label(self.status, self.partial_dose)


def schedule_sessions(
    start: datetime, end: datetime, chairs: Iterable[Chair]
) -> list[ScheduledSession]:
    """``sessions_for_range`` in ``chairs`` only, as ``ScheduledSession`` rows (one query)."""
    rows = (
        InfusionSession.objects.filter(
            planned_start__gte=start, planned_start__lt=end, chair__in=list(chairs)
        )
        .order_by("planned_start", "chair__name", "pk")
        .values_list(
            "pk",
            "order_id",
            "order__patient_id",
            "chair_id",
            "cycle_number",
            "day_number",
            "planned_start",
            "planned_end",
            "status",
            "chair__name",
            "order__patient__family_name",
            "order__patient__given_name",
            "order__patient__mrn",
            "order__product__brand_name",
            "partial_dose",
        )
    )
    return [ScheduledSession(*row) for row in rows]


@dataclass(frozen=True)
class ClockStep:
    at: datetime
    rate_ml_per_h: int
    minutes: Decimal
    volume_ml: Decimal
    limited_by: str | None = None  # what shaped the rate (docs/clinical-rules.md 3.4, v3)


@dataclass(frozen=True)
class RestartInfo:
    at: datetime
    rate_ml_per_h: int
    volume_given_ml: Decimal
    remaining_volume_ml: Decimal


@dataclass(frozen=True)
class SessionPlan:
    """The plan at clock times (docs/clinical-rules.md 3.5): from the actual start once the infusion
    started, recomputed from the last restart when there was one."""

    premedication_at: datetime
    infusion_start: datetime
    steps: list[ClockStep]
    vital_checks: list[datetime]
    infusion_end: datetime
    chair_until: datetime
    daily_volume_ml: int
    daily_dose_g: Decimal
    restart: RestartInfo | None
    watch_list: list[str]
    state: InfusionState
    # How much of the day was given and what remains
    # (``administration.given.session_given``'s rules).
    given: Given
    first_rate_ml_per_h: int
    # docs/clinical-rules.md 3.9: the order's findings as of now, those new since signing, and
    # the findings at signing, shown beside the watch list.
    findings: list[Finding]
    new_finding_codes: list[str]
    signed_findings: list[Finding]
    # docs/clinical-rules.md 3.8.2: the reasons given on this session for its session-only
    # findings, which answer them for this session only.
    session_reasons: list[SessionReason]


def session_plan_at_clock_times(
    session: InfusionSession, entries: list[AdministrationEntry] | None = None
) -> SessionPlan:
    """Premedication time, each titration step's clock time and rate, each vital check's clock
    time, the end and the watch list. Before the start the clock is the booking (premedication
    at the planned start, the infusion after the engine's premedication lead); after it, the
    start entry's time; after a restart, the engine's restart plan from then."""
    living = session_plan(session)
    plan = session_runnable_plan(session, living=living)  # capped by reaction plans (3.8.3)
    assert plan.titration is not None and plan.premedication_min_before is not None
    assert plan.infusion_minutes is not None and plan.vital_checks_min is not None
    assert plan.daily_volume_ml is not None and plan.daily_dose_g is not None
    assert plan.chair_minutes is not None
    rows = list(entries if entries is not None else session.entries.all())
    state = infusion_state(rows)
    concentration_pct = session.order.product.concentration_pct

    def given_at(moment: datetime, completion: AdministrationEntry | None = None) -> Given:
        assert plan.daily_volume_ml is not None and plan.daily_dose_g is not None
        return given_from(
            state,
            completion,
            day_volume_ml=plan.daily_volume_ml,
            day_dose_g=plan.daily_dose_g,
            concentration_pct=concentration_pct,
            at=moment,
        )

    lead = timedelta(minutes=plan.premedication_min_before)
    start = state.started_at or session.planned_start + lead
    observation = timedelta(
        minutes=plan.chair_minutes - plan.premedication_min_before - plan.infusion_minutes
    )

    def at(minute: int | Decimal, since: datetime = start) -> datetime:
        return since + timedelta(minutes=float(minute))

    steps = [
        ClockStep(
            at(step.start_min), step.rate_ml_per_h, step.minutes, step.volume_ml, step.limited_by
        )
        for step in plan.titration
    ]
    checks = [at(minute) for minute in plan.vital_checks_min]
    end = at(plan.infusion_minutes)
    restart = None
    if state.restarted_at is not None and state.restart_rate_ml_per_h is not None:
        given = given_at(state.restarted_at).volume_ml
        rest = restart_plan(
            rate_ml_per_h=state.restart_rate_ml_per_h,
            daily_volume_ml=plan.daily_volume_ml,
            volume_given_ml=given,
        )
        restart = RestartInfo(
            state.restarted_at, rest.rate_ml_per_h, given, rest.remaining_volume_ml
        )
        stopped_at = state.stopped_at or state.restarted_at
        before = [step for step in steps if step.at < stopped_at]
        steps = [
            *before,
            ClockStep(
                state.restarted_at,
                rest.rate_ml_per_h,
                Decimal(rest.infusion_minutes),
                rest.remaining_volume_ml,
            ),
        ]
        checks = [check for check in checks if check < state.restarted_at] + [
            at(minute, state.restarted_at) for minute in rest.vital_checks_min
        ]
        end = at(rest.infusion_minutes, state.restarted_at)
    return SessionPlan(
        premedication_at=start - lead,
        infusion_start=start,
        steps=steps,
        vital_checks=checks,
        infusion_end=end,
        chair_until=end + observation,
        daily_volume_ml=plan.daily_volume_ml,
        daily_dose_g=plan.daily_dose_g,
        restart=restart,
        watch_list=list(Symptom.labels),
        state=state,
        given=given_at(timezone.now(), latest_completion(rows)),
        first_rate_ml_per_h=plan.titration[0].rate_ml_per_h,
        findings=living.findings,
        new_finding_codes=living.new_finding_codes,
        signed_findings=living.signed_findings,
        session_reasons=list(living.session_reasons.values()),
    )


def next_session(order: Order) -> InfusionSession | None:
    """The order's next session still to run (in progress, or booked or tentative from today
    on), the earliest first: the one its printed sheet is for."""
    return (
        InfusionSession.objects.filter(
            order=order,
            status__in=ACTIVE_STATUSES,
            planned_start__gte=start_of_day(timezone.localdate()),
        )
        .select_related("order__patient", "order__product", "order__indication", "chair")
        .order_by("planned_start", "pk")
        .first()
    )


def session_entries(session: InfusionSession) -> list[AdministrationEntry]:
    """The administration record, oldest first, with who recorded each entry."""
    return list(session.entries.select_related("recorded_by").order_by("occurred_at", "pk"))
