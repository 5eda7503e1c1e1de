"""The sessions no approval covers (docs/clinical-rules.md 7 and 3.8 ``NO_AUTHORIZATION``): the
schedule's "not covered" badge and the authorization admins' list of sessions to cover."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from django.core.paginator import Page, Paginator
from django.db.models import (
    Exists,
    F,
    OuterRef,
    QuerySet,
)
from django.utils import timezone

from authorizations.coverage_rules import (
    Approval,
    CycleCoverage,
    cover_cycles,
    coverage_blocker,
    lineage_root_id,
    planned_cycles,
    planned_cycles_from_plan,
)
from authorizations.models import OrderCycleCoverage
from authorizations.selectors import patient_matches, recent_approvals, start_of_day
from authorizations.stored_coverage import coverage_by_rule, stored_coverage
from infusions.administration.start_coverage import urgent_first_cycle
from infusions.booking.models import (
    ACTIVE_STATUSES,
    InfusionSession,
    SessionStatus,
)
from infusions.schedule.models import CoverageGapsBuilt, SessionCoverageGap
from orders.models import Order


class SessionOnDay(Protocol):
    """What the badge reads of a session (an ``InfusionSession`` or a schedule row)."""

    @property
    def pk(self) -> Any: ...
    @property
    def order_id(self) -> int: ...
    @property
    def status(self) -> str: ...
    @property
    def planned_start(self) -> datetime: ...
    @property
    def cycle_number(self) -> int: ...


def uncovered_session_ids(sessions: Iterable[SessionOnDay]) -> set[int]:
    """The schedule's sessions still to run that no approval covers (the "not covered" badge).

    Two queries however many sessions: the orders' plans frozen at signing, and the approvals;
    coverage is computed once per order. An order without a frozen plan (never signed) gets no
    badge here; the session page and the start still judge it in full.
    """
    zone = timezone.get_current_timezone()  # each session's local day worked out once
    live = {
        session.pk: (session, session.planned_start.astimezone(zone).date())
        for session in sessions
        if session.status in ACTIVE_STATUSES
    }
    if not live:
        return set()
    # Of each plan only its cycles and vials (what coverage reads), not the whole JSON.
    plans = {
        row["pk"]: row
        for row in Order.objects.filter(pk__in={s.order_id for s, _ in live.values()}).values(
            "pk",
            "lineage_id",
            "urgent",
            plan_cycles=F("plan_at_signing__cycles"),
            plan_vials=F("plan_at_signing__vials"),
        )
    }
    approvals = recent_approvals(
        min(day for _, day in live.values()),
        lineages={row["lineage_id"] or order_id for order_id, row in plans.items()},
    )
    coverage: dict[int, Any] = {}
    for order_id, row in plans.items():
        cycles = planned_cycles_from_plan(
            {"cycles": row["plan_cycles"], "vials": row["plan_vials"]}
        )
        if cycles is not None:
            coverage[order_id] = cover_cycles(
                cycles, approvals.get(row["lineage_id"] or order_id, [])
            )
    return {
        pk
        for pk, (session, day) in live.items()
        if session.order_id in coverage
        and not urgent_first_cycle(plans[session.order_id]["urgent"], session.cycle_number)
        and coverage_blocker(coverage[session.order_id], day, session.cycle_number)
    }


@dataclass(frozen=True)
class UncoveredSession:
    session: InfusionSession
    day: date
    blocker: str


def scheduled_sessions(today: date) -> QuerySet[InfusionSession]:
    """Tentative or booked sessions from today on, with order, patient and chair."""
    return InfusionSession.objects.filter(
        status__in=(SessionStatus.TENTATIVE, SessionStatus.BOOKED),
        planned_start__gte=start_of_day(today),
    ).select_related("order", "order__patient", "chair")


def sessions_not_covered(
    today: date,
    *,
    approvals: Mapping[int, list[Approval]] | None = None,
    coverage: dict[int, list[CycleCoverage]] | None = None,
) -> list[UncoveredSession]:
    """Sessions scheduled from today on that no approval covers (docs/clinical-rules.md 7), soonest
    first. Two queries (sessions with their orders, approvals); coverage per order computed once.
    ``approvals`` (``recent_approvals(today)``) and ``coverage`` (per order, filled in): what the
    caller has read already (the reminder sweeps share them between their notices)."""
    sessions = list(scheduled_sessions(today))
    approvals = recent_approvals(today) if approvals is None else approvals
    coverage = {} if coverage is None else coverage
    rows = []
    for session in sessions:
        order = session.order
        if order.pk not in coverage:
            coverage[order.pk] = cover_cycles(
                planned_cycles(order), approvals.get(lineage_root_id(order), [])
            )
        day = timezone.localdate(session.planned_start)
        blocker = coverage_blocker(coverage[order.pk], day, session.cycle_number)
        if blocker:
            rows.append(UncoveredSession(session, day, blocker))
    return sorted(rows, key=lambda row: (row.session.planned_start, row.session.pk))


UNCOVERED_PER_PAGE = 20
SCHEDULED = (SessionStatus.TENTATIVE, SessionStatus.BOOKED)


def scheduled_from(today: date, query: str = "") -> QuerySet[InfusionSession]:
    """Tentative or booked sessions from today on, optionally of patients whose MRN or name has
    every word of ``query``."""
    return InfusionSession.objects.filter(
        status__in=SCHEDULED, planned_start__gte=start_of_day(today)
    ).filter(patient_matches(query, "order__patient__"))


def _stored() -> Exists:
    """The session's order has stored coverage."""
    return Exists(OrderCycleCoverage.objects.filter(order_id=OuterRef("order_id")))


def uncovered_by_stored_coverage(
    sessions: QuerySet[InfusionSession],
) -> QuerySet[InfusionSession]:
    """Of ``sessions``, those of orders with stored coverage (authorizations/stored_coverage.py)
    that no approval covers, in SQL: ``coverage_blocker``'s rule over the stored cycles (the
    session's cycle is covered and its day is within the approval's dates, else not covered);
    tests/authorizations/test_stored_coverage.py holds the two to the same answer."""
    covered = OrderCycleCoverage.objects.filter(
        order_id=OuterRef("order_id"),
        cycle_number=OuterRef("cycle_number"),
        authorization__isnull=False,
        valid_from__lte=OuterRef("planned_day"),
        valid_to__gte=OuterRef("planned_day"),
    )
    return sessions.filter(_stored()).exclude(Exists(covered))


GAP_FIELDS = ("pk", "order_id", "planned_start", "planned_day", "cycle_number", "status")
SessionRow = tuple[int, int, datetime, date, int, str]


def store_gaps(sessions: Iterable[SessionRow]) -> None:
    """Judge these sessions (rows of ``GAP_FIELDS``) again: a ``SessionCoverageGap`` for each
    tentative or booked one that no approval covers, with ``coverage_blocker``'s words (the
    start's rule) over its order's stored coverage, or the rule's own coverage for an order
    without. Three queries (four with orders without stored coverage)."""
    rows = list(sessions)
    if not rows:
        return
    SessionCoverageGap.objects.filter(session_id__in=[row[0] for row in rows]).delete()
    scheduled = [row for row in rows if row[5] in SCHEDULED]
    orders = {row[1] for row in scheduled}
    coverage = stored_coverage(orders)
    if orders - coverage.keys():
        coverage.update(coverage_by_rule(orders - coverage.keys()))
    gaps = []
    for pk, order_id, start, day, cycle_number, _status in scheduled:
        blocker = coverage_blocker(coverage.get(order_id, []), day, cycle_number)
        if blocker:
            gaps.append(SessionCoverageGap(session_id=pk, planned_start=start, blocker=blocker))
    SessionCoverageGap.objects.bulk_create(gaps, batch_size=1000)


def store_gaps_of_orders(order_ids: Iterable[int]) -> None:
    """Judge every session of these orders again (their stored coverage was written again)."""
    store_gaps(InfusionSession.objects.filter(order_id__in=set(order_ids)).values_list(*GAP_FIELDS))


def rebuild_gaps() -> int:
    """Every scheduled session judged from scratch (idempotent); returns how many no approval
    covers. Run by ``manage.py rebuild_rollups`` after a bulk load."""
    SessionCoverageGap.objects.all().delete()
    CoverageGapsBuilt.objects.all().delete()
    store_gaps(InfusionSession.objects.filter(status__in=SCHEDULED).values_list(*GAP_FIELDS))
    CoverageGapsBuilt.objects.create(built_at=timezone.now())
    return SessionCoverageGap.objects.count()


# What the dashboard's panel shows of a session (infusions/_sessions_not_covered.html): its
# order's number and patient, start, cycle and day, chair and status.
UNCOVERED_SESSION_FIELDS = (
    "id",
    "order_id",
    "chair_id",
    "planned_start",
    "planned_day",
    "cycle_number",
    "day_number",
    "status",
    "order__lineage_id",
    "order__patient_id",
    "order__patient__mrn",
    "order__patient__family_name",
    "order__patient__given_name",
    "chair__name",
)


def sessions_not_covered_page(today: date, *, page: Any = 1, query: str = "") -> Page:
    """``sessions_not_covered`` as the dashboard shows it: the count and one page of
    ``UncoveredSession`` rows, soonest first, optionally of patients whose MRN or name has every
    word of ``query``: the kept gaps (``store_gaps``) from today on, counted and paged in SQL, so
    the cost does not grow with the sessions (three queries). Before the gaps are first built
    every session is judged (``judged_page``)."""
    if not CoverageGapsBuilt.objects.exists():
        return judged_page(today, page=page, query=query)
    gaps = (
        SessionCoverageGap.objects.filter(planned_start__gte=start_of_day(today))
        .filter(patient_matches(query, "session__order__patient__"))
        .select_related("session__order__patient", "session__chair")
        .only("blocker", *(f"session__{field}" for field in UNCOVERED_SESSION_FIELDS))
        .order_by("planned_start", "session_id")
    )
    found: Page[Any] = Paginator(gaps, UNCOVERED_PER_PAGE).get_page(page)
    found.object_list = [
        UncoveredSession(gap.session, gap.session.planned_day, gap.blocker)
        for gap in found.object_list
    ]
    return found


def judged_page(today: date, *, page: Any = 1, query: str = "") -> Page:
    """The dashboard's page with every scheduled session judged: those of orders with stored
    coverage in SQL (``uncovered_by_stored_coverage``), the others by the rule. Five queries."""
    sessions = scheduled_from(today, query)
    fields = ("planned_start", "pk", "order_id", "cycle_number", "planned_day")
    unstored = list(sessions.exclude(_stored()).values_list(*fields))
    light = (
        uncovered_by_stored_coverage(sessions).order_by("planned_start", "pk").values_list(*fields)
    )
    judged: dict[int, list[CycleCoverage]] = {}
    found: Page[Any]
    if not unstored:
        found = Paginator(light, UNCOVERED_PER_PAGE).get_page(page)
    else:
        judged = coverage_by_rule({row[2] for row in unstored})
        rows = [row for row in unstored if coverage_blocker(judged[row[2]], row[4], row[3])]
        rows.extend(light)
        rows.sort(key=lambda row: (row[0], row[1]))
        found = Paginator(rows, UNCOVERED_PER_PAGE).get_page(page)
    coverage = {**stored_coverage({row[2] for row in found.object_list}), **judged}
    loaded = (
        InfusionSession.objects.select_related("order__patient", "chair")
        .only(*UNCOVERED_SESSION_FIELDS)
        .in_bulk([row[1] for row in found.object_list])
    )
    page_rows = []
    for _start, pk, order_id, cycle_number, day in found.object_list:
        blocker = coverage_blocker(coverage.get(order_id, []), day, cycle_number)
        assert blocker is not None
        page_rows.append(UncoveredSession(loaded[pk], day, blocker))
    found.object_list = page_rows
    return found


def uncovered_by_order(rows: Iterable[UncoveredSession]) -> dict[int, list[UncoveredSession]]:
    grouped: dict[int, list[UncoveredSession]] = defaultdict(list)
    for row in rows:
        grouped[row.session.order_id].append(row)
    return grouped
