"""docs/clinical-rules.md 7, 3.8 NO_AUTHORIZATION: which cycles and sessions an approval covers, at
the boundaries of its dates, its cycle count and its grams."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from authorizations.coverage_rules import (
    Approval,
    PlannedCycle,
    cover_cycles,
    order_coverage,
    planned_cycles,
)
from authorizations.models import AuthorizationStatus, OrderCycleCoverage
from infusions.administration.start_coverage import session_coverage_blocker, session_is_covered
from orders.models import Order, OrderStatus
from tests.orders.factories import PatientFactory

from .factories import approved, make_order, plan_json, session

pytestmark = pytest.mark.django_db

START = date(2027, 3, 1)
# Three two-day cycles, 21 days apart: 1-2 March, 22-23 March, 12-13 April; 80 g each.
CYCLE_DAYS = [(date(2027, 3, 1), date(2027, 3, 2)), (date(2027, 3, 22), date(2027, 3, 23))]
LAST_DAY_OF_CYCLE_3 = date(2027, 4, 13)


@pytest.fixture
def order(clinician):
    return make_order(start_date=START, by=clinician)


def covered(order):
    return [cycle.covered for cycle in order_coverage(order)]


def test_grams_per_cycle_are_vial_grams_per_day_times_days(order):
    cycles = planned_cycles(order)
    assert [cycle.number for cycle in cycles] == [1, 2, 3]
    assert [cycle.grams for cycle in cycles] == [Decimal(80)] * 3
    assert cycles[2].days == (date(2027, 4, 12), LAST_DAY_OF_CYCLE_3)


def test_no_approval_covers_nothing(order):
    coverage = order_coverage(order)
    assert covered(order) == [False, False, False]
    assert coverage[0].reason == "no approved authorization"


def test_a_denied_authorization_covers_nothing(order):
    approved(order, valid_from=START, valid_to=LAST_DAY_OF_CYCLE_3, cycles=3, grams=240)
    order.authorizations.update(status=AuthorizationStatus.DENIED)
    assert covered(order) == [False, False, False]


def test_cycle_whose_last_day_is_valid_to_is_covered(order):
    approved(order, valid_from=START, valid_to=LAST_DAY_OF_CYCLE_3, cycles=3, grams=240)
    assert covered(order) == [True, True, True]


def test_cycle_ending_a_day_after_valid_to_is_not(order):
    approved(
        order,
        valid_from=START,
        valid_to=LAST_DAY_OF_CYCLE_3 - timedelta(days=1),
        cycles=3,
        grams=240,
    )
    coverage = order_coverage(order)
    assert [cycle.covered for cycle in coverage] == [True, True, False]
    assert "outside" in coverage[2].reason


def test_cycle_starting_before_valid_from_is_not(order):
    approved(
        order,
        valid_from=START + timedelta(days=1),
        valid_to=LAST_DAY_OF_CYCLE_3,
        cycles=3,
        grams=240,
    )
    assert covered(order) == [False, True, True]


def test_cycle_count_exactly_approved_is_covered_one_more_is_not(order):
    approved(order, valid_from=START, valid_to=LAST_DAY_OF_CYCLE_3, cycles=2, grams=1000)
    coverage = order_coverage(order)
    assert [cycle.covered for cycle in coverage] == [True, True, False]
    assert "2 approved cycles are used" in coverage[2].reason


def test_grams_exactly_approved_are_covered(order):
    approved(order, valid_from=START, valid_to=LAST_DAY_OF_CYCLE_3, cycles=3, grams="240")
    assert covered(order) == [True, True, True]


def test_one_vial_over_the_approved_grams_is_not(order):
    # 240 g are dispensed over three cycles; 230 g is one 10 g vial short.
    approved(order, valid_from=START, valid_to=LAST_DAY_OF_CYCLE_3, cycles=3, grams="230")
    coverage = order_coverage(order)
    assert [cycle.covered for cycle in coverage] == [True, True, False]
    assert "would exceed" in coverage[2].reason


def test_two_approvals_share_the_course_in_date_order(order):
    approved(order, valid_from=START, valid_to=date(2027, 3, 31), cycles=6, grams=1000)
    second = approved(
        order, valid_from=date(2027, 4, 1), valid_to=date(2027, 6, 30), cycles=1, grams=80
    )
    coverage = order_coverage(order)
    assert [cycle.covered for cycle in coverage] == [True, True, True]
    assert coverage[2].authorization_id == second.pk


def test_an_approval_of_an_earlier_version_covers_the_new_version(order, clinician):
    approved(order, valid_from=START, valid_to=LAST_DAY_OF_CYCLE_3, cycles=3, grams=240)
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.SUPERSEDED)
    new_version = make_order(start_date=START, by=clinician, patient=order.patient)
    Order.objects.filter(pk=new_version.pk).update(lineage=order, revision=2)
    new_version.refresh_from_db()
    assert covered(new_version) == [True, True, True]


def test_an_approval_expired_early_covers_only_until_then(order):
    authorization = approved(
        order, valid_from=START, valid_to=LAST_DAY_OF_CYCLE_3, cycles=3, grams=240
    )
    authorization.status = AuthorizationStatus.EXPIRED
    authorization.expired_at = timezone.make_aware(datetime(2027, 3, 10, 12))
    authorization.save()
    assert covered(order) == [True, False, False]


def test_cover_cycles_without_grams_covers_nothing():
    cycle = PlannedCycle(1, (START,), None)
    approval = Approval(1, "P 1", "approved", START, START, 1, Decimal(100))
    assert not cover_cycles([cycle], [approval])[0].covered


def test_an_order_without_a_frozen_plan_uses_the_engine_or_its_dates(clinician):
    order = make_order(start_date=START, by=clinician)
    order.plan_at_signing = None
    # No weight recorded: the engine cannot plan, so the regimen's dates with unknown grams.
    cycles = planned_cycles(order)
    assert cycles[0].days == (START, START + timedelta(days=1))


def test_an_order_without_a_frozen_plan_counts_its_callers_plan():
    """The plan accessor hands coverage the plan it is computing (a draft's): its grams count."""
    order = Order(start_date=START, days_per_cycle=1, cycles=3, cycle_interval_days=21)
    given = plan_json(START, 3, 1, 21, [("10", 3)])
    assert [cycle.grams for cycle in planned_cycles(order, given)] == [Decimal(30)] * 3


def test_the_frozen_plan_wins_over_a_callers_plan():
    order = Order(plan_at_signing=plan_json(START, 1, 3, 21, [("5", 1), ("10", 2)]))
    given = plan_json(START, 1, 3, 21, [("10", 9)])
    assert planned_cycles(order, given)[0].grams == Decimal(75)


def test_frozen_plan_is_read_as_api_json():
    plan = plan_json(START, 1, 3, 21, [("5", 1), ("10", 2)])
    order = Order(plan_at_signing=plan)
    assert planned_cycles(order)[0].grams == Decimal(75)


def test_session_coverage(order):
    approved(order, valid_from=START, valid_to=date(2027, 3, 22), cycles=3, grams=240)
    first = session(order, 1, 1, date(2027, 3, 1))
    assert session_is_covered(first)
    assert session_coverage_blocker(first) is None
    # Cycle 2 runs 22-23 March; valid to 22 March leaves it uncovered.
    second = session(order, 2, 1, date(2027, 3, 22))
    assert not session_is_covered(second)
    assert "cycle 2" in (session_coverage_blocker(second) or "")


def test_a_session_moved_outside_the_approval_dates_is_not_covered(order):
    approved(order, valid_from=START, valid_to=LAST_DAY_OF_CYCLE_3, cycles=3, grams=240)
    moved = session(order, 3, 2, LAST_DAY_OF_CYCLE_3 + timedelta(days=1))
    assert "outside" in (session_coverage_blocker(moved) or "")


def test_the_order_coverage_page_shows_each_cycle(order, client_for, nurse):
    approved(order, valid_from=START, valid_to=date(2027, 3, 31), cycles=3, grams=240)
    page = client_for(nurse).get(f"/orders/{order.pk}/coverage/")
    assert page.status_code == 200
    assert page.content.count(b'data-testid="coverage-row"') == 3
    assert page.content.count(b"not-covered") == 1


def test_the_dashboards_first_page_lists_every_patients_uncovered_sessions_soonest_first(
    clinician,
):
    """docs/clinical-rules.md 7: the authorization admins' list, before the kept gaps are built
    (every session judged by the rule), 20 to a page, any patient unless a query is given."""
    from infusions.schedule.uncovered_sessions import (
        judged_page,
        scheduled_from,
        sessions_not_covered_page,
    )

    order = make_order(start_date=START, cycles=11, by=clinician)  # 22 days, none approved
    sessions = [
        session(order, cycle.number, day_number, day)
        for cycle in planned_cycles(order)
        for day_number, day in enumerate(cycle.days, 1)
    ]
    assert scheduled_from(START).count() == 22
    for page in (sessions_not_covered_page(START), judged_page(START)):
        assert (page.number, page.paginator.count) == (1, 22)
        assert [row.session for row in page.object_list] == sessions[:20]
        assert page.object_list[0].blocker == (
            "No authorization covers cycle 1: no approved authorization."
        )


def test_the_schedules_badge_marks_sessions_still_to_run_no_approval_covers_on_their_local_day(
    order,
):
    """The schedule's "not covered" badge (``uncovered_session_ids``): a session is judged on its
    day in the centre's time zone, not the server's (here UTC), and only while it is still to
    run (tentative, booked or under way)."""
    from infusions.schedule.uncovered_sessions import uncovered_session_ids

    approved(order, valid_from=START, valid_to=LAST_DAY_OF_CYCLE_3, cycles=3, grams=240)
    with timezone.override("Pacific/Auckland"):
        on_the_last_day = session(order, 3, 1, LAST_DAY_OF_CYCLE_3)
        # 10:00 on 14 April in Auckland is 22:00 on 13 April in UTC: the approval's last day.
        a_day_late = session(order, 3, 2, LAST_DAY_OF_CYCLE_3 + timedelta(days=1))
        given = session(order, 2, 2, LAST_DAY_OF_CYCLE_3 + timedelta(days=2), status="completed")
        assert uncovered_session_ids([on_the_last_day, a_day_late, given]) == {a_day_late.pk}
    assert uncovered_session_ids([given]) == set()


def test_the_sessions_not_covered_are_those_scheduled_from_today_in_two_queries(
    order, django_assert_num_queries
):
    """The reminders' list (``sessions_not_covered``): tentative or booked sessions from the
    start of today on, none covered here, soonest first, with their order, patient and chair
    read in the same query as the sessions (and one for the approvals)."""
    from infusions.schedule.uncovered_sessions import sessions_not_covered

    today = date(2027, 3, 2)
    session(order, 1, 1, date(2027, 3, 1))  # yesterday
    booked = session(order, 1, 2, today)
    tentative = session(order, 2, 1, date(2027, 3, 22), status="tentative")
    session(order, 2, 2, date(2027, 3, 23), status="cancelled")
    session(order, 3, 1, date(2027, 4, 12), status="in_progress")
    with django_assert_num_queries(2):
        rows = sessions_not_covered(today)
        shown = [
            (row.session, row.session.order.patient.mrn, row.session.chair.name) for row in rows
        ]
    assert [row[0] for row in shown] == [booked, tentative]
    assert [row.day for row in rows] == [today, date(2027, 3, 22)]


def test_the_sessions_not_covered_are_judged_by_what_the_caller_read(order):
    """The reminder sweeps read the approvals once and share each order's coverage between
    their notices: ``sessions_not_covered`` judges by the approvals it is given and fills the
    coverage it is given."""
    from infusions.schedule.uncovered_sessions import sessions_not_covered

    today = date(2027, 3, 2)
    approved(order, valid_from=START, valid_to=LAST_DAY_OF_CYCLE_3, cycles=3, grams=240)
    booked = session(order, 1, 2, today)
    coverage: dict = {}
    assert sessions_not_covered(today, coverage=coverage) == []
    assert [cycle.covered for cycle in coverage[order.pk]] == [True, True, True]
    assert [row.session for row in sessions_not_covered(today, approvals={})] == [booked]


def test_the_badge_and_the_list_find_a_sessions_cycle_by_its_number(clinician):
    """A session moved off its cycle's planned days, still within the approval's dates, is
    covered (its cycle found by number, not by day); an urgent order's first cycle gets no badge
    (docs/clinical-rules.md 3.10) while its second, with no approval on file, does."""
    from infusions.schedule.uncovered_sessions import sessions_not_covered, uncovered_session_ids

    covered_order = make_order(start_date=START, by=clinician)
    approved(covered_order, valid_from=START, valid_to=LAST_DAY_OF_CYCLE_3, cycles=3, grams=240)
    moved = session(covered_order, 1, 1, date(2027, 3, 5))  # planned 1-2 March
    urgent = make_order(start_date=START, by=clinician, urgent=True, urgent_reason="TEN")
    first = session(urgent, 1, 1, date(2027, 3, 3))
    second = session(urgent, 2, 1, date(2027, 3, 22))

    assert uncovered_session_ids([moved, first, second]) == {second.pk}
    rows = sessions_not_covered(date(2027, 3, 1))
    assert [(row.session, row.blocker) for row in rows] == [
        (first, "No authorization covers cycle 1: no approved authorization."),
        (second, "No authorization covers cycle 2: no approved authorization."),
    ]


def _panel_rows(page) -> list[tuple]:
    """What the dashboard's panel reads of each row (infusions/_sessions_not_covered.html): the
    session, its order's number and patient, start, cycle, day, chair and status, the row's day
    and the words that refuse its start."""
    return [
        (
            row.session.pk,
            row.session.order.number,
            str(row.session.order.patient),
            row.session.planned_start,
            row.session.cycle_number,
            row.session.day_number,
            row.session.chair.name,
            row.session.get_status_display(),
            row.day,
            row.blocker,
        )
        for row in page.object_list
    ]


def _expected_rows(*rows: tuple) -> list[tuple]:
    """``_panel_rows``' tuple of each (session, blocker), the session's day its local day."""
    return [
        (
            s.pk,
            s.order.number,
            str(s.order.patient),
            s.planned_start,
            s.cycle_number,
            s.day_number,
            s.chair.name,
            s.get_status_display(),
            timezone.localdate(s.planned_start),
            blocker,
        )
        for s, blocker in rows
    ]


@pytest.fixture
def built_sessions():
    """Counts the sessions a page builds from rows (each a model instance read)."""
    from django.db.models.signals import post_init

    from infusions.models import InfusionSession

    built: list[int] = []

    def count(sender, instance, **kwargs):
        built.append(1)

    post_init.connect(count, sender=InfusionSession, weak=False)
    yield built
    post_init.disconnect(count, sender=InfusionSession)


def test_before_the_gaps_are_built_the_dashboard_judges_stored_and_unstored_coverage_alike(
    clinician, django_assert_num_queries, built_sessions
):
    """docs/clinical-rules.md 7: before the kept gaps are first built (a bulk load), the
    authorization admins' list judges every session scheduled from today on: those of orders
    with stored coverage in SQL, the others by the rule, in one list soonest first (then by
    session), each row with what the panel shows and the start's words. Five queries when every
    order's coverage is stored, the rule's three more for the others (and one that finds the
    gaps not built), whatever the rows: the page's sessions are the only ones read. A query
    keeps the rows of the patients it names."""
    from infusions.models import CoverageGapsBuilt, SessionCoverageGap
    from infusions.schedule.uncovered_sessions import judged_page, sessions_not_covered_page

    today = START
    stored = make_order(
        start_date=START, by=clinician, patient=PatientFactory.create(family_name="Storer")
    )
    judged = make_order(
        start_date=START, by=clinician, patient=PatientFactory.create(family_name="Judd")
    )
    covered = make_order(start_date=START, by=clinician)
    approval = approved(
        covered, valid_from=START, valid_to=LAST_DAY_OF_CYCLE_3, cycles=3, grams=240
    )
    # Created later-first: the sessions' ids are not in the order of their days.
    stored_cycle_2 = session(stored, 2, 1, date(2027, 3, 22))  # 09:00
    stored_cycle_1 = session(stored, 1, 2, date(2027, 3, 2))  # 10:00
    judged_cycle_2 = session(judged, 2, 2, date(2027, 3, 23))  # 10:00
    judged_cycle_1 = session(judged, 1, 1, START)  # 09:00
    session(stored, 1, 1, date(2027, 2, 28))  # yesterday: not listed
    session(judged, 3, 1, date(2027, 4, 12), status="cancelled")
    session(covered, 1, 1, date(2027, 3, 5))  # off its planned days, within the approval's
    past_its_dates = session(covered, 3, 2, LAST_DAY_OF_CYCLE_3 + timedelta(days=1))
    # Before the gaps are first built (a bulk load): no gap kept, every session judged.
    CoverageGapsBuilt.objects.all().delete()
    SessionCoverageGap.objects.all().delete()
    cycle = "No authorization covers cycle {}: no approved authorization."
    outside = (
        "No authorization covers this session: 2027-04-14 is outside "
        f"{approval.payer} {approval.reference_number}'s dates (2027-03-01 to 2027-04-13)."
    )

    # Every order's coverage stored: the page is SQL over it.
    all_stored = _expected_rows(
        (judged_cycle_1, cycle.format(1)),
        (stored_cycle_1, cycle.format(1)),
        (stored_cycle_2, cycle.format(2)),
        (judged_cycle_2, cycle.format(2)),
        (past_its_dates, outside),
    )
    built_sessions.clear()
    with django_assert_num_queries(5):
        assert _panel_rows(judged_page(today)) == all_stored
    assert len(built_sessions) == 5
    with django_assert_num_queries(6):
        assert _panel_rows(sessions_not_covered_page(today)) == all_stored

    # Two orders' coverage not stored: judged by the rule, their rows among the others'.
    OrderCycleCoverage.objects.filter(order__in=(judged, covered)).delete()
    built_sessions.clear()
    with django_assert_num_queries(8):
        page = sessions_not_covered_page(today)
        assert _panel_rows(page) == all_stored
    assert page.paginator.count == 5
    assert len(built_sessions) == 5
    assert _panel_rows(judged_page(today, query="judd")) == _expected_rows(
        (judged_cycle_1, cycle.format(1)), (judged_cycle_2, cycle.format(2))
    )
    assert _panel_rows(sessions_not_covered_page(today, query="Storer")) == _expected_rows(
        (stored_cycle_1, cycle.format(1)), (stored_cycle_2, cycle.format(2))
    )


def test_the_kept_gaps_are_listed_soonest_first_then_by_session_in_three_queries(
    clinician, django_assert_num_queries, built_sessions
):
    """docs/clinical-rules.md 7: once the gaps are built, the authorization admins' list pages
    the kept gaps from today on, soonest first and, at the same start, by session (whatever
    order the gaps were written in and however the database reads them), each row with what
    the panel shows: three queries a page (whether the gaps are built, the count, the page),
    the page's sessions the only ones read, of their orders not the frozen plan."""
    from django.db import connection
    from django.db.models import F

    from infusions.models import CoverageGapsBuilt, InfusionSession
    from infusions.schedule.uncovered_sessions import (
        GAP_FIELDS,
        UNCOVERED_PER_PAGE,
        judged_page,
        rebuild_gaps,
        sessions_not_covered_page,
        store_gaps,
    )

    today = START
    later = session(make_order(start_date=START, by=clinician), 2, 1, date(2027, 3, 22))
    orders = [make_order(start_date=START, by=clinician) for _ in range(22)]
    # Booked last order first: the sessions' ids are not in their orders' order.
    at_nine = [session(order, 1, 1, START) for order in reversed(orders)]
    session(at_nine[1].order, 1, 2, date(2027, 2, 28))  # yesterday: not listed
    rebuild_gaps()
    # The gaps and the sessions written again newest first: on disk they are not in the
    # sessions' order, and the database reads them from disk, not through an index.
    store_gaps(InfusionSession.objects.order_by("-pk").values_list(*GAP_FIELDS))
    for row in reversed(at_nine):
        InfusionSession.objects.filter(pk=row.pk).update(day_number=F("day_number"))
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_indexscan = off")
            cursor.execute("SET LOCAL enable_bitmapscan = off")
    cycle = "No authorization covers cycle {}: no approved authorization."
    expected = _expected_rows(
        *((s, cycle.format(1)) for s in sorted(at_nine, key=lambda s: s.pk)),
        (later, cycle.format(2)),
    )
    shown = []
    for number in (1, 2):
        built_sessions.clear()
        with django_assert_num_queries(3):
            page = sessions_not_covered_page(today, page=number)
            shown.extend(_panel_rows(page))
        assert len(built_sessions) == len(page.object_list)
        assert all("plan_at_signing" in row.session.order.get_deferred_fields() for row in page)
    assert len(page.object_list) == 23 - UNCOVERED_PER_PAGE
    assert shown == expected
    one = at_nine[3]
    assert _panel_rows(sessions_not_covered_page(today, query=one.order.patient.mrn)) == (
        _expected_rows((one, cycle.format(1)))
    )
    # Judged without the gaps (before they are built), the same pages.
    judged = [_panel_rows(judged_page(today, page=number)) for number in (1, 2)]
    assert judged[0] + judged[1] == expected
    CoverageGapsBuilt.objects.all().delete()
    assert _panel_rows(sessions_not_covered_page(today, page=2)) == judged[1]
    # Their coverage not stored: judged by the rule, the same pages.
    OrderCycleCoverage.objects.filter(order__in=orders).delete()
    by_rule = [_panel_rows(judged_page(today, page=number)) for number in (1, 2)]
    assert by_rule[0] + by_rule[1] == expected


def test_within_a_request_each_set_of_orders_gets_its_own_approvals(clinician, monkeypatch):
    """Approvals are kept per request that only reads, under the lineages asked: a second
    question about another order is answered with that order's approvals, not the first's."""
    from types import SimpleNamespace

    from authorizations.coverage_rules import approvals_for_orders, lineage_root_id
    from orders.dose_plans import per_request

    first = make_order(start_date=START, by=clinician)
    second = make_order(start_date=START, by=clinician)
    approved(second, valid_from=START, valid_to=date(2027, 6, 1), cycles=3, grams=240)
    reading = SimpleNamespace(method="GET")
    monkeypatch.setattr(per_request, "current_request", lambda: reading)

    assert approvals_for_orders([first]).get(lineage_root_id(first), []) == []
    of_second = approvals_for_orders([second]).get(lineage_root_id(second), [])
    assert [approval.approved_grams for approval in of_second] == [Decimal(240)]
