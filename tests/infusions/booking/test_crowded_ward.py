"""A booking proposal on a crowded ward (docs/clinical-rules.md 6): many chairs and sessions,
sessions over midnight, cancelled and missed ones lying across free slots (they free their
chair). The proposal (days, chair, times) is pinned as the proposal computed before the chairs'
sessions were read and searched as they are now (one indexed query, each chair's sessions
sorted once, the gaps found by bisection: infusions/booking/free_slots.py), first fit and
ranked; every free start time of the ward is checked against the booking rule start time by
start time; the booking page's queries do not grow with the ward's sessions."""

import random
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from infusions.booking import services as booking
from infusions.booking.free_slots import FreeSlots
from infusions.chairs.selectors import opening_windows, within_opening_hours
from infusions.common import at
from infusions.models import Chair, InfusionSession, SessionStatus
from orders.models import Order
from tests.infusions.factories import ChairFactory, local, verified_order
from tests.infusions.planning.test_api import one_nurse

pytestmark = pytest.mark.django_db

WEEKDAYS_8_TO_6 = [(weekday, "08:00", "18:00") for weekday in range(5)]
SPLIT_DAY = [(weekday, "07:00", "12:00") for weekday in range(7)] + [
    (weekday, "13:00", "21:00") for weekday in range(7)
]
ROUND_THE_CLOCK = [(weekday, "00:00", "23:45") for weekday in range(7)]
CROWDED_DAYS = 24
GRID_MINUTES = 15


def next_monday() -> date:
    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


def crowded_ward(
    nurse, monday: date, patients: int = 14, seed: int = 21, days: int = CROWDED_DAYS
) -> list[Chair]:
    """Five chairs, each of ``days`` from ``monday`` filled at random with booked and tentative
    sessions (one per patient a day), a session over each midnight on the round-the-clock
    chair, and cancelled and missed sessions on top of them anywhere."""
    chairs = [
        ChairFactory.create(name="A chair", hours=WEEKDAYS_8_TO_6),
        ChairFactory.create(name="B chair", hours=WEEKDAYS_8_TO_6),
        ChairFactory.create(name="C split", hours=SPLIT_DAY),
        ChairFactory.create(name="D split", hours=SPLIT_DAY),
        ChairFactory.create(name="E night", hours=ROUND_THE_CLOCK),
    ]
    fill(nurse, chairs, monday, patients, seed, days)
    return chairs


def fill(nurse, chairs: list[Chair], monday: date, patients: int, seed: int, days: int) -> None:
    others = [verified_order(start_date=monday) for _ in range(patients)]
    rng = random.Random(seed)
    numbers = iter(range(1, 10_000))

    def add(order: Order, chair: Chair, start: datetime, minutes: int, status: str) -> None:
        InfusionSession.objects.create(
            order=order,
            chair=chair,
            cycle_number=next(numbers),
            day_number=1,
            planned_start=start,
            planned_end=start + timedelta(minutes=minutes),
            status=status,
            created_by=nurse,
        )

    for offset in range(days):
        day = monday + timedelta(days=offset)
        free_patients = rng.sample(others, len(others))
        # Over midnight: 22:30 to 08:30 the next morning.
        add(free_patients.pop(), chairs[4], local(day, "22:30"), 600, SessionStatus.BOOKED)
        cursors = {chair: local(day, "07:00") for chair in chairs[:4]}
        cursors[chairs[4]] = local(day, "08:30")
        # The last start, by 19:00 (15:00 on the night chair: its night session starts 22:30).
        lasts = {chair: local(day, "19:00") for chair in chairs[:4]}
        lasts[chairs[4]] = local(day, "15:00")
        while free_patients and (open_chairs := [c for c in chairs if cursors[c] < lasts[c]]):
            chair = rng.choice(open_chairs)
            start = cursors[chair] + timedelta(minutes=rng.choice((0, 0, 15, 20, 45, 130)))
            minutes = rng.choice((60, 150, 209, 300))
            status = rng.choice((SessionStatus.BOOKED, SessionStatus.TENTATIVE))
            add(free_patients.pop(), chair, start, minutes, status)
            cursors[chair] = start + timedelta(minutes=minutes)
        for chair in chairs:
            for _ in range(rng.randint(0, 2)):
                start = local(day, f"{rng.randint(6, 17):02d}:{rng.choice((0, 15, 40)):02d}")
                status = rng.choice((SessionStatus.CANCELLED, SessionStatus.MISSED))
                add(rng.choice(others), chair, start, rng.choice((120, 240, 400)), status)


def proposed(proposal: booking.Proposal, monday: date) -> list[tuple[int, str, str, str]]:
    """Each day as (days after ``monday``, chair, local start, local end)."""
    return [
        (
            (slot.day - monday).days,
            slot.chair.name,
            timezone.localtime(slot.start).strftime("%H:%M"),
            timezone.localtime(slot.end).strftime("%H:%M") if slot.end else "",
        )
        for slot in proposal.slots
    ]


def one_run(day: int, chair: str, start: str, end: str) -> list[tuple[int, str, str, str]]:
    return [(day + index, chair, start, end) for index in range(5)]


# The proposal computed before the change (the chairs' sessions filed by day in Python), in
# either time zone, first fit or ranked: from Friday of the third week, the night chair at 15:45
# (each of its nights is taken from 22:30).
PINNED = one_run(18, "E night", "15:45", "19:26")


@pytest.mark.parametrize("staffed", [False, True], ids=["first-fit", "ranked"])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_the_proposal_on_a_crowded_ward_is_the_one_before(settings, nurse, zone, staffed):
    settings.TIME_ZONE = zone
    with timezone.override(zone):
        monday = next_monday()
        crowded_ward(nurse, monday)
        order = verified_order(start_date=monday)
        if staffed:
            for offset in range(CROWDED_DAYS + 14):
                one_nurse(nurse, monday + timedelta(days=offset))
        proposal = booking.booking_proposal(order, 1)
        assert proposed(proposal, monday) == PINNED
        assert (proposal.why == booking.FIRST_FIT_WHY) is not staffed


def _free_by_hand(chair: Chair, day: date, clock: time, minutes: int, rows) -> bool:
    """The booking rule for one start time, against every session of the chair (not cancelled
    or missed), each compared one by one."""
    start = at(day, clock)
    end = start + timedelta(minutes=minutes)
    return (
        start >= timezone.now()
        and within_opening_hours(chair, start, end)
        and not any(
            start < other_end and other_start < end
            for chair_id, other_start, other_end, status in rows
            if chair_id == chair.pk
            and status not in (SessionStatus.CANCELLED, SessionStatus.MISSED)
        )
    )


@pytest.mark.parametrize("minutes", [60, 221])
@pytest.mark.parametrize("zone", ["UTC", "Europe/Paris"])
def test_every_free_start_time_of_a_crowded_ward_is_the_rules(settings, nurse, zone, minutes):
    settings.TIME_ZONE = zone
    with timezone.override(zone):
        monday = next_monday()
        crowded_ward(nurse, monday, patients=8, seed=5)
        chairs = list(Chair.objects.prefetch_related("opening_hours").order_by("name"))
        rows = list(
            InfusionSession.objects.values_list(
                "chair_id", "planned_start", "planned_end", "status"
            )
        )
        days = [monday + timedelta(days=offset) for offset in range(-1, CROWDED_DAYS + 2)]
        free = FreeSlots(
            booking._busy_by_chair(chairs, at(days[0], time.min), at(days[-1], time.max)),
            minutes,
            timezone.now(),
        )
        for chair in chairs:
            for day in days:
                clocks = sorted(
                    {
                        (opens + timedelta(minutes=step)).time()
                        for opens, closes in opening_windows(chair, day)
                        for step in range(0, (closes - opens) // timedelta(minutes=1), GRID_MINUTES)
                    }
                )
                by_hand = [c for c in clocks if _free_by_hand(chair, day, c, minutes, rows)]
                assert free.fitting_clocks(chair, day) == by_hand, (chair.name, day)
                assert [c for c in clocks if free.free(chair, day, c)] == by_hand


def test_the_booking_pages_queries_do_not_grow_with_the_wards_sessions(
    client, nurse, django_assert_max_num_queries
):
    monday = next_monday()
    order = verified_order(start_date=monday)
    client.force_login(nurse)
    url = reverse("infusions:book", args=[order.pk, 1])
    chairs = crowded_ward(nurse, monday, patients=2, days=1)
    client.get(url)  # the catalogue and per-process caches warmed
    with django_assert_max_num_queries(40) as few:
        assert client.get(url).status_code == 200
    fill(nurse, chairs, monday + timedelta(days=1), patients=14, seed=3, days=CROWDED_DAYS)
    assert InfusionSession.objects.count() > 10 * len(few.captured_queries)
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(url).status_code == 200
