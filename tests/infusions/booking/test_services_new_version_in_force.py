"""The version in force stays in force until its new version is verified (docs/clinical-rules.md
4): signing a new version (a taper, 10.3) leaves the version in force bookable and startable, its
booked sessions untouched; verification cancels only its sessions on or after the new version's
first day (a reason in each one's history), books nothing, and tells the nurses and the
clinician what moved; rejecting the new version leaves everything as it was; the old version's
cycles before the new first day stay its own, bookable and under way."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from infusions.administration.services import session_start_blockers
from infusions.booking import selectors
from infusions.booking import services as booking
from infusions.booking.next_cycles import refresh_next_cycle
from infusions.errors import InfusionError
from infusions.models import InfusionSession, SessionStatus
from ivig.accounts.roles import Role
from ivig.notifications.models import Kind, Notification
from orders.dose_plans.plan_accessor import order_plan
from orders.errors import OrderError
from orders.models import Order, OrderStatus
from orders.reviews.services import review_record
from orders.reviews.tapering import taper_accept
from orders.services import order_discontinue, order_reject, order_sign, order_verify
from tests.conftest import TEST_PASSWORD
from tests.infusions.factories import ChairFactory, local, session_for, verified_order

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate


def _course(clinician, *, cycle_3_from: int, cycle_4_from: int | None = None):
    """An active order, 2 g/kg over 5 days every 28 days, 6 cycles, its cycle 3 planned today:
    cycles 1 and 2 given, cycle 3 booked from ``cycle_3_from`` days from now, cycle 4 booked
    from ``cycle_4_from`` when given; two reviews in complete response (a taper
    is proposed)."""
    today = TODAY()
    order = verified_order(
        start_date=today - timedelta(days=56), cycles=6, verified_at=timezone.now()
    )
    chair = ChairFactory.create(name="Chair A")
    booked = [(1, -56, SessionStatus.COMPLETED), (2, -28, SessionStatus.COMPLETED)]
    booked.append((3, cycle_3_from, SessionStatus.BOOKED))
    if cycle_4_from is not None:
        booked.append((4, cycle_4_from, SessionStatus.BOOKED))
    for cycle, first, status in booked:
        for day in range(5):
            session_for(
                order,
                chair,
                local(today + timedelta(days=first + day), "09:00"),
                by=clinician,
                status=status,
                cycle_number=cycle,
                day_number=day + 1,
            )
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.ACTIVE)
    order.refresh_from_db()
    for days_ago in (30, 1):
        review_record(
            order,
            by=clinician,
            reviewed_on=today - timedelta(days=days_ago),
            score=Decimal(0),
            prednisone_mg_per_day=Decimal(0),
            response="complete",
            decision="taper",
        )
    return order


def _sign(order, by):
    overrides = [
        f.code for f in order_plan(order, as_of=TODAY()).findings if f.severity == "override"
    ]
    return order_sign(
        order,
        by=by,
        password=TEST_PASSWORD,
        override_reasons={code: "Meant: a taper" for code in overrides},
        version=order.version,
    )


def _verify(order, by):
    return order_verify(
        order,
        by=by,
        acknowledged_codes=set(order.overrides.values_list("code", flat=True)),
        version=order.version,
    )


def _sessions(order) -> list[tuple[int, date, str]]:
    return list(
        InfusionSession.objects.filter(order=order)
        .order_by("planned_start")
        .values_list("cycle_number", "planned_day", "status")
    )


def _to_book() -> set[tuple[int, int | None]]:
    return {(o.pk, o.next_cycle) for o in selectors.cycles_to_book(window_days=60)}


@pytest.fixture
def second_pharmacist(make_user):
    return make_user("pharm-verifier", Role.PHARMACIST)


def test_signing_a_taper_leaves_the_version_in_force_and_its_sessions_alone(
    clinician, nurse, second_pharmacist
):
    order = _course(clinician, cycle_3_from=0, cycle_4_from=28)
    before = _sessions(order)
    taper = taper_accept(order, by=clinician, kind="dose", version=order.version)
    assert taper.start_date == TODAY() + timedelta(days=28)  # one interval after cycle 3's day
    signed = _sign(taper, clinician)

    order.refresh_from_db()
    assert (order.status, signed.status) == (OrderStatus.ACTIVE, OrderStatus.SIGNED)
    assert _sessions(order) == before  # nothing cancelled before a pharmacist verified it
    # Still the version in force: its booked sessions can start (no order refusal), its cycles
    # can be moved; the new version, only signed, is not on "Cycles to book".
    session = InfusionSession.objects.filter(order=order, cycle_number=3).first()
    assert session is not None
    assert not any("version in force" in line for line in session_start_blockers(session))
    assert (signed.pk, 1) not in _to_book()
    with pytest.raises(Exception) as refused:
        booking.booking_propose(signed, 1)
    assert getattr(refused.value, "code", None) == "order_not_bookable"
    assert not Notification.objects.filter(kind=Kind.SESSIONS_REPLACED).exists()


def test_verifying_cancels_only_the_sessions_on_or_after_the_new_first_day_and_says_so(
    clinician, nurse, second_pharmacist, client_for, django_capture_on_commit_callbacks
):
    for user in (nurse, clinician):
        user.email = f"{user.username}@unit.example"
        user.save()
    order = _course(clinician, cycle_3_from=0, cycle_4_from=28)
    taper = taper_accept(order, by=clinician, kind="dose", version=order.version)
    first_day = taper.start_date
    signed = _sign(taper, clinician)
    with django_capture_on_commit_callbacks(execute=True):
        verified = _verify(signed, second_pharmacist)

    order.refresh_from_db()
    assert (order.status, verified.status) == (OrderStatus.SUPERSEDED, OrderStatus.VERIFIED)
    rows = _sessions(order)
    # Cycle 3 (before the new first day) stays booked; cycle 4 (from it) is cancelled.
    assert [s for c, _, s in rows if c == 3] == [SessionStatus.BOOKED] * 5
    assert [s for c, _, s in rows if c == 4] == [SessionStatus.CANCELLED] * 5
    assert [s for c, _, s in rows if c in (1, 2)] == [SessionStatus.COMPLETED] * 10
    cancelled = InfusionSession.objects.filter(order=order, status=SessionStatus.CANCELLED)
    for session in cancelled:
        latest = session.history.first()
        assert latest.history_user == second_pharmacist
        assert "version 2, verified, replaces version 1" in latest.history_change_reason
        assert f"{first_day:%d %b %Y}" in session.status_reason
    # Nothing booked for the new version: its cycle 1 is to book, due on its first day.
    assert not InfusionSession.objects.filter(order=verified).exists()
    assert (verified.pk, 1) in _to_book()
    assert (order.pk, 4) not in _to_book() and (order.pk, 5) not in _to_book()

    # The nurse and the clinician are told, in the inbox and by e-mail, what moved.
    notices = Notification.objects.filter(kind=Kind.SESSIONS_REPLACED)
    assert {n.recipient_id for n in notices} == {nurse.pk, clinician.pk}
    notice = notices.get(recipient=nurse)
    assert "5 sessions of version 1 cancelled" in notice.title
    cancelled_days = sorted(s.planned_day for s in cancelled)
    for day in cancelled_days:
        assert f"{day:%a %d %b %Y}" in notice.body
    assert f"Version 2 starts on {first_day:%a %d %b %Y}" in notice.body
    assert "5 sessions of version 1 before that day stay booked" in notice.body
    assert {message.to[0] for message in mail.outbox} == {nurse.email, clinician.email}
    page = client_for(nurse).get(reverse("notifications:inbox")).content.decode()
    assert "5 sessions of version 1 cancelled" in page

    # A session the old version keeps is not moved onto the new version's days.
    kept = InfusionSession.objects.filter(order=order, cycle_number=3).order_by("pk").last()
    assert kept is not None
    with pytest.raises(InfusionError) as refused:
        booking.session_move(
            kept, chair=kept.chair, start=local(first_day, "09:00"), by=nurse, reason="Asked"
        )
    assert "does not govern" in refused.value.message


def test_rejecting_the_new_version_leaves_everything_as_it_was(clinician, nurse, second_pharmacist):
    order = _course(clinician, cycle_3_from=0, cycle_4_from=28)
    before = (_sessions(order), _to_book())
    taper = taper_accept(order, by=clinician, kind="dose", version=order.version)
    signed = _sign(taper, clinician)
    rejected = order_reject(signed, by=second_pharmacist, reason="Keep the dose for now")
    order.refresh_from_db()
    assert (order.status, rejected.status) == (OrderStatus.ACTIVE, OrderStatus.DRAFT)
    assert (_sessions(order), _to_book()) == before
    assert not Notification.objects.filter(kind=Kind.SESSIONS_REPLACED).exists()


def test_the_old_versions_cycles_before_the_new_first_day_stay_bookable_and_startable(
    clinician, nurse, second_pharmacist
):
    """Cycle 3 not booked yet: bookable while the new version awaits verification, and after
    it too (it is planned before the new first day); its sessions are then still given. Booked
    late in the day, cycle 3 moves to tomorrow and cycle 4's proposal moves with it."""
    today = TODAY()
    order = _course(clinician, cycle_3_from=0)
    InfusionSession.objects.filter(order=order, cycle_number=3).delete()
    refresh_next_cycle(order)
    taper = taper_accept(order, by=clinician, kind="interval", version=order.version)
    assert taper.start_date == today + timedelta(days=42)
    signed = _sign(taper, clinician)
    assert (order.pk, 3) in _to_book()  # still the version in force

    _verify(signed, second_pharmacist)
    order.refresh_from_db()
    assert order.status == OrderStatus.SUPERSEDED
    assert (order.pk, 3) in _to_book()  # planned before the new first day: still its own
    sessions = booking.booking_confirm(order, 3, booking.booking_propose(order, 3), nurse)
    assert len(sessions) == 5 and all(s.planned_day < taper.start_date for s in sessions)
    order.refresh_from_db()
    # Its cycle 4 (planned at 28 days) is before the new first day (42 days): still its own.
    assert (order.pk, 4) in _to_book()
    # Its cycle 5 (planned at 56 days) is the new version's: refused, never offered.
    with pytest.raises(Exception) as refused:
        booking.booking_propose(order, 5)
    assert getattr(refused.value, "code", None) == "order_not_bookable"
    assert "replaces from" in refused.value.message  # type: ignore[attr-defined]
    booking.booking_confirm(order, 4, booking.booking_propose(order, 4), nurse)
    order.refresh_from_db()
    assert order.next_cycle is None and order.pk not in {pk for pk, _ in _to_book()}
    blockers = session_start_blockers(sessions[0])
    assert not any("version in force" in line for line in blockers), blockers
    assert selectors.stale_next_cycles() == []


def test_a_cycle_booked_across_the_new_first_day_refuses_the_verification(
    clinician, nurse, second_pharmacist
):
    """Booked while the new version awaited verification (the old one was in force), a cycle
    across the new first day is not cut in two: the verification is refused, nothing changes."""
    order = _course(clinician, cycle_3_from=0)
    taper = taper_accept(order, by=clinician, kind="dose", version=order.version)
    first_day = taper.start_date
    signed = _sign(taper, clinician)
    chair = ChairFactory.create(name="Chair B")
    for day in range(5):  # cycle 4: two days before the new first day, three from it
        session_for(
            order,
            chair,
            local(first_day + timedelta(days=day - 2), "09:00"),
            by=nurse,
            cycle_number=4,
            day_number=day + 1,
        )
    before = _sessions(order)
    with pytest.raises(OrderError) as refused:
        _verify(signed, second_pharmacist)
    assert refused.value.code == OrderError.WRONG_STATE
    assert "Cycle 4 of order" in refused.value.message
    assert f"booked across {first_day:%a %d %b %Y}" in refused.value.message
    order.refresh_from_db()
    signed.refresh_from_db()
    assert (order.status, signed.status) == (OrderStatus.ACTIVE, OrderStatus.SIGNED)
    assert _sessions(order) == before
    assert not Notification.objects.filter(kind=Kind.SESSIONS_REPLACED).exists()


def test_discontinuing_the_new_version_cancels_what_the_old_one_still_held(
    clinician, second_pharmacist
):
    order = _course(clinician, cycle_3_from=0, cycle_4_from=28)
    taper = taper_accept(order, by=clinician, kind="dose", version=order.version)
    verified = _verify(_sign(taper, clinician), second_pharmacist)
    order_discontinue(verified, by=clinician, reason="Remission")
    assert not InfusionSession.objects.filter(
        order=order, status__in=(SessionStatus.BOOKED, SessionStatus.TENTATIVE)
    ).exists()
    assert order.pk not in {pk for pk, _ in _to_book()}
    assert selectors.stale_next_cycles() == []


@pytest.mark.parametrize(("days_before", "bookable"), [(5, True), (4, False)])
def test_a_superseded_versions_cycle_is_booked_only_if_its_last_day_falls_before_the_new_first_day(
    clinician, second_pharmacist, days_before, bookable
):
    """A superseded version governs the days before its new version's first day: a five-day
    cycle asked for five days before it ends the day before and is booked; asked for four days
    before, its last day would be the new first day, and nothing is proposed."""
    order = _course(clinician, cycle_3_from=0)
    taper = taper_accept(order, by=clinician, kind="interval", version=order.version)
    _verify(_sign(taper, clinician), second_pharmacist)
    order.refresh_from_db()
    asked = taper.start_date - timedelta(days=days_before)
    if bookable:
        slots = booking.booking_propose(order, 4, requested_date=asked)
        assert [slot.day for slot in slots] == [asked + timedelta(days=n) for n in range(5)]
    else:
        with pytest.raises(InfusionError) as refused:
            booking.booking_propose(order, 4, requested_date=asked)
        assert refused.value.code == InfusionError.NO_SLOT
