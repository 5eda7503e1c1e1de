"""The plan accessor: what the engine says about a saved order on the current facts
(docs/clinical-rules.md 3.9). It is the only way pages, the API, signing, verification, booking,
moving, confirming, the session start and the reminders learn an order's plan.

``order_plan`` builds the engine's request on the facts as they are now (the patient's latest
weight, risk factors, IgA status and pregnancy; the formulary today), with:

- ``signed_weight_kg``: the actual weight the signed plan used (``Order.signed_weight_kg``),
  for WEIGHT_CHANGED;
- ``authorization_covered``: from the coverage judge the authorizations app registers
  (``orders.ports``): NO_AUTHORIZATION is live, never frozen. The judge counts the grams of the
  plan frozen at signing, or of this plan when the order has none: it never plans again;
- ``calendar``: the patient's IVIg calendar (docs/clinical-rules.md 3.9). Sessions are the
  infusions app's, a layer above: it answers the calendar port (``orders.ports``) in its
  ``AppConfig.ready`` and this module never imports it.

WEIGHT_OUTDATED is judged on the day of signing (docs/clinical-rules.md 3.8): a signed order is
evaluated on its signing date for that rule, whatever day it is planned again.

The plan frozen at signing (``Order.plan_at_signing``) stays the record of what was signed;
``OrderPlan`` sets today's findings beside it.

Within a request that only reads (GET, HEAD) nothing changes the facts a plan is made of (the
order, weights, labs, sessions, the policy, the formulary): a question asked again there (the
session page asks its session's plan for the clock times, the reasons, the start and the
reaction history) is answered with the plan already made, kept on that request
(``orders.dose_plans.per_request``) and gone with it, as are the facts two questions share
(the engine's request for an order on a day, the patient's calendar rows, the coverage of a
signed plan). A page planning many orders reads those facts for all of them beforehand
(``orders.dose_plans.plan_facts.read_plan_facts``), kept under the keys asked here
(``version_key``, ``calendar_rows_key``, ``engine_inputs.patient_facts_key``). A change (POST, a
Celery task, a command) always plans afresh.
"""

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from django.utils import timezone

from formulary.services import FormularyError
from ivig.engine import DosePlan, Finding, PlanRequest, compute_plan, dose_plan_to_json
from ivig.engine.models import CalendarDay, PatientCalendar, SessionDay
from ivig.templatetags.clinical import finding_title
from orders.models import Order, OrderStatus, cycle_day_after_booked, cycle_due_day
from orders.ports import (
    CalendarSession,
    SessionInputs,
    SessionReason,
    calendar_source,
    coverage_judge,
    session_source,
)

from .engine_inputs import plan_request_for_order
from .per_request import once_per_request

__all__ = [
    "CalendarSession",
    "OrderPlan",
    "PlanSession",
    "ProposedDay",
    "SessionInputs",
    "SessionReason",
    "calendar_rows_key",
    "calendar_rows_of",
    "cycle_first_day",
    "frozen_plan",
    "lineage_id",
    "order_plan",
    "patient_calendar",
    "plan_on_its_own",
    "version_key",
]

# Open orders (docs/clinical-rules.md 3.9): signed, verified or active.
OPEN_STATUSES = (OrderStatus.SIGNED, OrderStatus.VERIFIED, OrderStatus.ACTIVE)
# NO_AUTHORIZATION is live coverage (docs/clinical-rules.md 3.8, 7), never a signed finding.
LIVE_ONLY_CODES = frozenset({"NO_AUTHORIZATION"})

Answer = TypeVar("Answer")


@dataclass(frozen=True)
class ProposedDay:
    """A day a step would create (booking: ``session_id`` None) or move to (``session_id``: the
    session moved, whose present day is replaced)."""

    cycle_number: int
    day: date
    session_id: int | None = None


@dataclass(frozen=True)
class PlanSession:
    """The session a plan is asked for (docs/clinical-rules.md 3.8.2, 3.8.3): its id and its
    local day."""

    session_id: int
    day: date


def lineage_id(order: Order) -> int:
    return order.lineage_id or order.pk


def _daily_dose_g(stored_plan: Any) -> Decimal | None:
    if not isinstance(stored_plan, dict) or stored_plan.get("daily_dose_g") is None:
        return None
    try:
        return Decimal(str(stored_plan["daily_dose_g"]))
    except InvalidOperation:
        return None


def _stored_cycles(stored_plan: Any) -> list[tuple[int, list[date]]]:
    if not isinstance(stored_plan, dict):
        return []
    cycles = []
    for cycle in stored_plan.get("cycles") or []:
        try:
            cycles.append(
                (int(cycle["number"]), [date.fromisoformat(str(day)) for day in cycle["days"]])
            )
        except (KeyError, TypeError, ValueError):
            continue
    return cycles


def _order_key(order: Order) -> tuple[Any, ...] | None:
    """An order version as it stands: a saved row's id with its edit counter and status (None
    for an unsaved order, never kept)."""
    if order.pk is None:
        return None
    return (order.pk, order.version, order.status)


def version_key(order: Order, question: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The key ``question`` about this version of ``order`` is kept under within a request that
    only reads (None for an unsaved order, never kept)."""
    order_key = _order_key(order)
    if order_key is None:
        return None
    return (question[0], order_key, *question[1:])


def _once_per_version(
    order: Order, question: tuple[Any, ...], make: Callable[[], Answer]
) -> Answer:
    """``make()`` for this version of ``order``, asked once per ``question`` within a request
    that only reads (``once_per_request``); each time for an unsaved order."""
    key = version_key(order, question)
    if key is None:
        return make()
    return once_per_request(key, make)


def _engine_request(order: Order, as_of: date) -> PlanRequest:
    """The engine's request for ``order`` on the facts of ``as_of`` (its patient, product,
    policy and lines), read once per request that only reads: a page asking two plans of one
    order (the order's and its session's, a booking's before and with the proposed days)
    reads them once."""
    return _once_per_version(
        order, ("engine request", as_of), lambda: plan_request_for_order(order, evaluated_on=as_of)
    )


def plan_on_its_own(order: Order, *, as_of: date) -> dict[str, Any] | None:
    """The engine's plan for ``order`` alone on the facts of ``as_of`` (docs/api.md's JSON shape):
    no calendar, no coverage, no session, what signing would freeze. For an order without a plan
    frozen at signing (made outside the order services), so that its grams still count; None
    when the formulary cannot cost its product."""

    def plan() -> dict[str, Any] | None:
        try:
            return dose_plan_to_json(compute_plan(_engine_request(order, as_of)))
        except FormularyError:
            return None

    return _once_per_version(order, ("on its own", as_of), plan)


def _stored_plan(row: Order) -> Any:
    """An order's plan as signed (``plan_at_signing``); for an order that has none (made outside
    the order services), the engine's plan for it on its own, so that its grams still count."""
    if row.plan_at_signing:
        return row.plan_at_signing
    return plan_on_its_own(row, as_of=_signed_on(row, timezone.localdate()))


@dataclass
class _CalendarDays:
    """The calendar being gathered: this version's sessions, the other days, and per other
    order's lineage the first day of each booked cycle."""

    own: list[SessionDay] = field(default_factory=list)
    other: list[CalendarDay] = field(default_factory=list)
    first_booked_days: dict[int, dict[int, date]] = field(default_factory=dict)


def _session_dose_g(session: CalendarSession, planned_by: Order) -> Decimal:
    """The grams given in ``session``, or else the signed daily dose of ``planned_by`` (0 when
    unknown)."""
    dose = session.given_g
    if dose is None:
        dose = _daily_dose_g(_stored_plan(planned_by))
    return dose if dose is not None else Decimal(0)


def _replaced_by(session: CalendarSession, session_order: Order, newer: Order) -> bool:
    """Whether ``newer``, a later version of ``session_order``, replaces ``session``: not yet
    started, on or after the newer version's first day (verifying it cancels the session)."""
    return (
        not session.started
        and session_order.revision < newer.revision
        and session.day >= newer.start_date
    )


def _add_own_lineage_session(
    days: _CalendarDays,
    order: Order,
    session: CalendarSession,
    session_order: Order,
    replaced: tuple[set[int], set[int]],
) -> None:
    """A session of this order's lineage: this version's own (unless ``replaced``: moved
    sessions, rebooked cycles), or another version's day."""
    moved, rebooked = replaced
    if session.order_id == order.pk:
        if session.session_id not in moved and session.cycle_number not in rebooked:
            days.own.append(
                SessionDay(
                    cycle_number=session.cycle_number, day=session.day, given_g=session.given_g
                )
            )
        return
    # Another version of this order: its days are given (or to be given) under that version's
    # regimen and numbering, so they count as days, not as this version's cycles. An earlier
    # version's sessions not yet started on or after this version's first day are left out:
    # verifying this version cancels them, its own cycles replacing them; those before it stay
    # (docs/clinical-rules.md 4).
    if _replaced_by(session, session_order, order):
        return
    days.other.append(
        CalendarDay(
            day=session.day,
            dose_g=_session_dose_g(session, session_order),
            order_id=session.order_id,
            order_open=False,
        )
    )


def _add_other_session(
    days: _CalendarDays,
    session: CalendarSession,
    session_order: Order,
    lineage: int,
    in_force: Mapping[int, Order],
) -> None:
    """A session of another order of the patient, under that order's first version's id."""
    replacing = in_force.get(lineage)
    if replacing is not None and _replaced_by(session, session_order, replacing):
        return  # a newer version of that order (in force or being checked) replaces it
    cycles = days.first_booked_days.setdefault(lineage, {})
    if session.cycle_number not in cycles or session.day < cycles[session.cycle_number]:
        cycles[session.cycle_number] = session.day
    days.other.append(
        CalendarDay(
            day=session.day,
            dose_g=_session_dose_g(session, replacing or session_order),
            order_id=lineage,
            order_open=lineage in in_force,
        )
    )


def _unbooked_days_of_open_orders(
    in_force: Mapping[int, Order], first_booked_days: Mapping[int, Mapping[int, date]]
) -> list[CalendarDay]:
    """The planned days of the cycles not yet booked of the other open orders (the version in
    force of each, from its signed plan), moved with their latest booked cycle."""
    days: list[CalendarDay] = []
    for lineage, row in in_force.items():
        stored = _stored_plan(row)
        dose = _daily_dose_g(stored)
        if dose is None:
            continue
        booked = first_booked_days.get(lineage, {})
        for _number, cycle_days in _following(_stored_cycles(stored), booked):
            days.extend(
                CalendarDay(day=day, dose_g=dose, order_id=lineage, order_open=True)
                for day in cycle_days
            )
    return days


def patient_calendar(order: Order, proposed: Sequence[ProposedDay] = ()) -> PatientCalendar:
    """The patient's IVIg calendar around ``order`` (docs/clinical-rules.md 3.9).

    - ``own_sessions``: the live sessions of this version, with the ``proposed`` days applied
      (a moved session's day replaced, a booked cycle's days added); the other versions'
      sessions are ``other_days`` (not open: not a concurrent order), an earlier version's
      sessions not yet started on or after this version's first day left out (verifying this
      version cancels them);
    - ``other_days``: every live session of the patient's other orders (completed ones
      included), with the grams given or else that order's signed daily dose; and the planned
      days of the cycles not yet booked of the other open orders (the version in force of
      each, from its signed plan). Versions of one order count once, under its first
      version's id.

    Unbooked cycles after an order's latest booked cycle move with it (``_following``): a cycle
    booked a day late does not squeeze the next one, planned a day too early, into its window.
    """
    own_lineage = lineage_id(order)
    sessions, session_orders = _calendar_rows(order.patient_id)
    moved = {day.session_id for day in proposed if day.session_id is not None}
    # A booking's proposed days stand in for the cycle's present sessions, if any.
    rebooked = {day.cycle_number for day in proposed if day.session_id is None}
    open_others = sorted(
        (
            row
            for row in session_orders.values()
            if row.status in OPEN_STATUSES
            and row.pk != own_lineage
            and row.lineage_id != own_lineage
        ),
        key=lambda row: row.revision,
    )
    in_force = {lineage_id(row): row for row in open_others}  # the latest revision wins
    days = _CalendarDays()
    for session in sessions:
        session_order = session_orders.get(session.order_id)
        if session_order is None:
            continue
        lineage = lineage_id(session_order)
        if lineage == own_lineage:
            _add_own_lineage_session(days, order, session, session_order, (moved, rebooked))
        else:
            _add_other_session(days, session, session_order, lineage, in_force)
    days.own.extend(SessionDay(cycle_number=day.cycle_number, day=day.day) for day in proposed)
    days.own.extend(_own_cycles_following(order, days.own))
    days.other.extend(_unbooked_days_of_open_orders(in_force, days.first_booked_days))
    return PatientCalendar(other_days=days.other, own_sessions=days.own)


CalendarRows = tuple[list[CalendarSession], dict[int, Order]]


def calendar_rows_key(patient_id: int) -> tuple[str, int]:
    """The key a patient's calendar rows are kept under within a request that only reads."""
    return ("calendar rows", patient_id)


def _calendar_rows(patient_id: int) -> CalendarRows:
    """The patient's live sessions (the calendar port) and every order of the patient by id
    (those the sessions belong to and the open ones): ``calendar_rows_of`` the patient, once per
    request that only reads, whatever the number of orders, versions and questions."""
    return once_per_request(
        calendar_rows_key(patient_id), lambda: calendar_rows_of([patient_id])[patient_id]
    )


def calendar_rows_of(patient_ids: Sequence[int]) -> dict[int, CalendarRows]:
    """Per patient id, the patient's live sessions and every order of the patient by id: two
    queries, whatever the number of patients."""
    sessions = calendar_source()(patient_ids)
    orders: dict[int, dict[int, Order]] = {patient_id: {} for patient_id in patient_ids}
    for row in Order.objects.filter(patient_id__in=list(orders)).select_related(
        "patient", "product", "indication"
    ):
        orders[row.patient_id][row.pk] = row
    return {patient_id: (list(sessions[patient_id]), orders[patient_id]) for patient_id in orders}


def _following(
    planned: Sequence[tuple[int, list[date]]], booked: Mapping[int, date]
) -> list[tuple[int, list[date]]]:
    """The planned cycles not booked, those after the latest booked cycle moved with it: a
    cycle booked late (or early) carries the cycles planned after it by the same number of
    days, as they will be booked (the interval counts from the cycle given)."""
    first_planned = {number: days[0] for number, days in planned if days}
    shift = timedelta(0)
    if booked:
        latest = max(booked)
        if latest in first_planned:
            shift = booked[latest] - first_planned[latest]
    return [
        (number, [day + shift for day in days] if booked and number > max(booked) else days)
        for number, days in planned
        if number not in booked
    ]


def _first_booked_days(days: Iterable[SessionDay]) -> dict[int, date]:
    """The first day of each booked cycle among ``days``."""
    booked: dict[int, date] = {}
    for session in days:
        if session.cycle_number not in booked or session.day < booked[session.cycle_number]:
            booked[session.cycle_number] = session.day
    return booked


def cycle_first_day(order: Order, cycle_number: int) -> date:
    """Cycle ``cycle_number``'s first day on the patient's calendar (``cycle_day_after_booked``
    of this version's live cycles before it). Booking proposes it by default, so a cycle booked
    a day late does not bring the next one a day early."""
    sessions, _orders = _calendar_rows(order.patient_id)
    booked = _first_booked_days(
        SessionDay(cycle_number=session.cycle_number, day=session.day)
        for session in sessions
        if session.order_id == order.pk
    )
    return cycle_day_after_booked(order, cycle_number, booked)


def _own_cycles_following(order: Order, own: Sequence[SessionDay]) -> list[SessionDay]:
    """This order's cycles after its latest booked one, moved with it
    (``cycle_day_after_booked``); none when nothing is booked or nothing moved."""
    booked = _first_booked_days(own)
    if not booked or max(booked) >= order.cycles:
        return []
    latest = max(booked)
    if booked[latest] == cycle_due_day(order, latest):
        return []
    return [
        SessionDay(
            cycle_number=number,
            day=cycle_day_after_booked(order, number, booked) + timedelta(days=offset),
        )
        for number in range(latest + 1, order.cycles + 1)
        for offset in range(order.days_per_cycle)
    ]


def _describe(findings: Sequence[Finding]) -> str:
    return "; ".join(
        f"{finding_title(finding.code)} — {finding.message.rstrip('.')}" for finding in findings
    )


REVISE = "A clinician must revise the order (new version)."
# Findings judged on a session's plan only, never at signing, so a new version does not
# answer them: their message says what does (3.8.2: a recent creatinine, or a clinician's
# reason for that session; 3.8.3: a clinician's plan for the reaction).
NOT_ANSWERED_BY_A_NEW_VERSION = frozenset({"CREATININE_DUE", "PRIOR_INFUSION_REACTION"})
# Of those, the override findings a clinician's reason answers for one session (3.8.2: "until a
# result is recorded or a clinician gives a reason"). PRIOR_INFUSION_REACTION is answered by
# the reaction's plan (3.8.3), which later sessions follow, not by a reason for one session.
ANSWERED_BY_A_SESSION_REASON = frozenset({"CREATININE_DUE"})
# Steps that a new override refuses until the order is revised (docs/clinical-rules.md 3.9);
# booking is then allowed only as tentative (step "book_tentative").
REFUSED_BY_NEW_OVERRIDE = frozenset({"verify", "start", "book", "confirm"})
STEP_WORDS = {
    "sign": "sign",
    "verify": "verify",
    "propose": "propose a booking",
    "book": "book",
    "book_tentative": "book",
    "move": "move the session",
    "confirm": "confirm the session",
    "start": "start the session",
}


@dataclass(frozen=True)
class OrderPlan:
    """The engine's plan for an order now, beside what was signed (docs/clinical-rules.md 3.9).

    ``signed_findings``: the findings at signing (NO_AUTHORIZATION left out: it is live);
    ``new_findings``: today's findings whose code the signed version did not carry;
    ``new_overrides``: today's override findings the order carries no reason for
    (``OrderOverride`` rows of this version) and, on a session's plan, that no clinician's
    reason given on that session answers (``session_reasons``, by code: only codes of
    ``ANSWERED_BY_A_SESSION_REASON`` that the plan raises, and never a stop).
    """

    order: Order
    plan: DosePlan
    signed_findings: list[Finding] = field(default_factory=list)
    new_findings: list[Finding] = field(default_factory=list)
    new_overrides: list[Finding] = field(default_factory=list)
    session_reasons: Mapping[str, SessionReason] = field(default_factory=dict)

    @property
    def findings(self) -> list[Finding]:
        return self.plan.findings

    @property
    def stops(self) -> list[Finding]:
        return [finding for finding in self.plan.findings if finding.severity == "stop"]

    @property
    def new_finding_codes(self) -> list[str]:
        return [finding.code for finding in self.new_findings]

    def refusal(self, step: str) -> str | None:
        """Why ``step`` is refused on this plan, naming each finding and its numbers; None
        when it may go ahead. A stop refuses every step; a new override refuses verification,
        a firm booking, confirming and starting (docs/clinical-rules.md 3.9)."""
        words = STEP_WORDS.get(step, step)
        if self.stops:
            return f"Cannot {words}: {_describe(self.stops)}. {REVISE}"
        if step in REFUSED_BY_NEW_OVERRIDE and self.new_overrides:
            tail = (
                " Until then a session can be booked only as tentative."
                if step in ("book", "confirm")
                else ""
            )
            revise = any(
                finding.code not in NOT_ANSWERED_BY_A_NEW_VERSION for finding in self.new_overrides
            )
            return (
                f"Cannot {words}: new since signing, {_describe(self.new_overrides)}."
                + (f" {REVISE}" if revise else "")
                + tail
            )
        return None


def _signed_on(order: Order, as_of: date) -> date:
    return timezone.localdate(order.signed_at) if order.signed_at else as_of


def frozen_plan(order: Order) -> dict[str, Any] | None:
    """The plan frozen at signing when it has cycles (what coverage counts), else None."""
    frozen = order.plan_at_signing
    if isinstance(frozen, dict) and frozen.get("cycles"):
        return frozen
    return None


def _order_covered(order: Order, request: PlanRequest) -> bool:
    """Whether approved authorizations cover every cycle of ``order`` (docs/clinical-rules.md 7),
    by the judge the authorizations app registers. The judge counts the grams of the plan frozen
    at signing; for an order without one (a draft) it is given this request's plan, whose cycles
    and vials do not depend on coverage, the calendar or the session (the engine rounds on the
    course's own calendar, docs/clinical-rules.md 3.6), so it never plans the order again."""
    frozen = frozen_plan(order)
    if frozen is not None:
        return _once_per_version(
            order, ("covered",), lambda: coverage_judge()([(order, frozen)])[order.pk]
        )
    return coverage_judge()([(order, dose_plan_to_json(compute_plan(request)))])[order.pk]


def _override_codes(order: Order) -> set[str]:
    """The codes of the order's overrides (``OrderOverride`` rows of this version): those the
    page loaded with the order, or else read once per request that only reads."""
    if "overrides" in getattr(order, "_prefetched_objects_cache", {}):
        return {override.code for override in order.overrides.all()}
    return _once_per_version(
        order, ("override codes",), lambda: set(order.overrides.values_list("code", flat=True))
    )


def _signed_and_new(order: Order, plan: DosePlan, inputs: SessionInputs) -> OrderPlan:
    """``plan`` beside what was signed: the findings at signing, those new since, the new
    overrides no reason answers (``OrderPlan``)."""
    signed = [
        Finding.model_validate(finding)
        for finding in order.findings_at_signing or []
        if finding.get("code") not in LIVE_ONLY_CODES
    ]
    signed_codes = {finding.code for finding in signed}
    reasons = _override_codes(order)
    raised = {f.code for f in plan.findings if f.severity == "override"}
    session_reasons = {
        given.code: given
        for given in inputs.reasons
        if given.code in ANSWERED_BY_A_SESSION_REASON and given.code in raised
    }
    return OrderPlan(
        order=order,
        plan=plan,
        signed_findings=signed,
        new_findings=(
            [f for f in plan.findings if f.code not in signed_codes | LIVE_ONLY_CODES]
            if order.findings_at_signing is not None
            else []
        ),
        new_overrides=[
            f
            for f in plan.findings
            if f.severity == "override" and f.code not in reasons | session_reasons.keys()
        ],
        session_reasons=session_reasons,
    )


def order_plan(
    order: Order,
    *,
    as_of: date,
    proposed: Sequence[ProposedDay] = (),
    session: PlanSession | None = None,
) -> OrderPlan:
    """The engine's plan for ``order`` on the facts of ``as_of`` (docs/clinical-rules.md 3.9),
    with the patient's calendar (``proposed``: the days a booking or a move would create) and
    live NO_AUTHORIZATION; for a ``session``, its day (CREATININE_DUE, 3.8.2), the reactions it
    carries forward (PRIOR_INFUSION_REACTION, 3.8.3), the reasons given on it for its
    session-only findings (3.9) and whether an approval covers it (7). A product without a
    current price is ``FormularyError``. Asked again within a request that only reads, the
    plan already made is given (``orders.dose_plans.per_request``)."""
    return _once_per_version(
        order,
        ("order plan", as_of, tuple(proposed), session),
        lambda: _order_plan(order, as_of=as_of, proposed=proposed, session=session),
    )


def _session_inputs(session_id: int) -> SessionInputs:
    """What the session brings to its plan (the session port), read once per request that only
    reads."""
    return once_per_request(("session inputs", session_id), lambda: session_source()(session_id))


def _order_plan(
    order: Order,
    *,
    as_of: date,
    proposed: Sequence[ProposedDay],
    session: PlanSession | None,
) -> OrderPlan:
    inputs = _session_inputs(session.session_id) if session else SessionInputs()
    request = _engine_request(order, as_of).model_copy(
        update={
            "evaluated_on": _signed_on(order, as_of),
            "signed_weight_kg": order.signed_weight_kg,
            "calendar": patient_calendar(order, proposed),
            "session_on": session.day if session else None,
            "prior_reactions": list(inputs.prior_reactions),
        }
    )
    covered = inputs.covered if inputs.covered is not None else _order_covered(order, request)
    plan = compute_plan(request.model_copy(update={"authorization_covered": covered}))
    if order.status == OrderStatus.DRAFT:
        return OrderPlan(order=order, plan=plan)
    return _signed_and_new(order, plan, inputs)
