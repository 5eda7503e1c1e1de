"""Where the schedule draws things (docs/clinical-rules.md 6: the nurses' day view, chairs x
time): the hours a day shows, each session's grid column and span, the week's columns. Pure
arithmetic on plain dataclasses: no database, no Django models; the view turns rows into these
and back.

The day is a CSS grid of 15-minute columns after one column of chair names (grid column 1), from
the earliest opening (or session start) to the latest closing (or session end), whole hours.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from math import ceil

SLOT_MINUTES = 15
DEFAULT_HOURS = (time(8), time(18))  # a day with nothing open and nothing booked
FIRST_SLOT_COLUMN = 2  # grid column 1 holds the chair's name


@dataclass(frozen=True)
class ChairDay:
    """A chair on the day drawn: its opening windows that weekday (none: closed)."""

    chair_id: int
    openings: Sequence[tuple[time, time]] = ()


@dataclass(frozen=True)
class Booking:
    """A session: aware start and end; ``holds_chair`` false when cancelled or missed (its time
    still widens the day, it draws no block)."""

    session_id: int
    chair_id: int
    chair_name: str
    start: datetime
    end: datetime
    holds_chair: bool = True


@dataclass(frozen=True)
class Block:
    session_id: int
    column: int  # CSS grid column
    span: int  # 15-minute columns


@dataclass(frozen=True)
class Lane:
    chair_id: int
    blocks: list[Block]


@dataclass(frozen=True)
class DayGrid:
    hours: list[tuple[str, int]]  # ("08:00", grid column)
    lanes: list[Lane]  # the chairs given, then chairs only a booking uses
    columns: int  # 15-minute columns


def day_grid(
    day: date, chairs: Sequence[ChairDay], bookings: Sequence[Booking], zone: tzinfo
) -> DayGrid:
    """The day view of ``day`` in ``zone``: hour labels, one lane per chair, the blocks."""
    starts = [opens for chair in chairs for opens, _ in chair.openings]
    starts += [booking.start.astimezone(zone).time() for booking in bookings]
    first_hour = min(starts, default=DEFAULT_HOURS[0]).hour
    ends = [datetime.combine(day, closes) for chair in chairs for _, closes in chair.openings]
    for booking in bookings:
        end = booking.end.astimezone(zone)
        # A session running past midnight fills the day.
        ends.append(
            end.replace(tzinfo=None) if end.date() == day else datetime.combine(day, time.max)
        )
    last = max(ends, default=datetime.combine(day, DEFAULT_HOURS[1]))
    last_hour = min(24, last.hour + (1 if last.minute or last.second else 0))
    origin = datetime.combine(day, time(first_hour), tzinfo=zone)
    columns = max(1, (last_hour - first_hour) * 60 // SLOT_MINUTES)
    per_hour = 60 // SLOT_MINUTES
    hours = [
        (f"{hour:02d}:00", FIRST_SLOT_COLUMN + (hour - first_hour) * per_hour)
        for hour in range(first_hour, last_hour)
    ]
    lanes: dict[int, list[Block]] = {chair.chair_id: [] for chair in chairs}
    for booking in bookings:
        if not booking.holds_chair:
            continue
        offset = _minutes(origin, booking.start) / SLOT_MINUTES
        start_column = max(0, int(offset))
        span = max(
            1,
            min(ceil(_minutes(booking.start, booking.end) / SLOT_MINUTES), columns - start_column),
        )
        lanes.setdefault(booking.chair_id, []).append(
            Block(booking.session_id, FIRST_SLOT_COLUMN + start_column, span)
        )
    return DayGrid(hours, [Lane(chair_id, blocks) for chair_id, blocks in lanes.items()], columns)


def _minutes(since: datetime, until: datetime) -> float:
    """Elapsed minutes (real time, whatever the zones of the two)."""
    return (until.astimezone(UTC) - since.astimezone(UTC)).total_seconds() / 60


@dataclass(frozen=True)
class WeekLane:
    chair_id: int
    cells: list[list[int]]  # session ids per day, Monday first


@dataclass(frozen=True)
class WeekGrid:
    days: list[date]  # Monday to Sunday
    lanes: list[WeekLane]  # the chairs given, then chairs only a booking uses, by name


def week_of(day: date) -> list[date]:
    monday = day - timedelta(days=day.weekday())
    return [monday + timedelta(days=offset) for offset in range(7)]


def week_grid(
    day: date, chair_ids: Sequence[int], bookings: Sequence[Booking], zone: tzinfo
) -> WeekGrid:
    """The week view of the week of ``day``: each chair's sessions per (local) day."""
    days = week_of(day)
    cells: dict[tuple[int, date], list[int]] = {}
    for booking in bookings:
        key = (booking.chair_id, booking.start.astimezone(zone).date())
        cells.setdefault(key, []).append(booking.session_id)
    others = {booking.chair_id: booking.chair_name for booking in bookings}
    for chair_id in chair_ids:
        others.pop(chair_id, None)
    order = [*chair_ids, *sorted(others, key=lambda chair_id: others[chair_id])]
    return WeekGrid(
        days,
        [WeekLane(chair_id, [cells.get((chair_id, d), []) for d in days]) for chair_id in order],
    )
