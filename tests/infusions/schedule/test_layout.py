"""The schedule's layout (docs/clinical-rules.md 6: chairs x time), worked examples in plain
numbers: no database. A day is a grid of 15-minute columns after the chair-name column (grid
column 1), so 08:00 in a day drawn from 08:00 is grid column 2 and an hour spans 4 columns."""

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from infusions.schedule.layout import Block, Booking, ChairDay, Lane, day_grid, week_grid, week_of

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2026, 5, 12)  # a Tuesday
OFFICE_HOURS = [(time(8), time(18))]


def at(clock: str, day: date = DAY) -> datetime:
    return datetime.combine(day, time.fromisoformat(clock), tzinfo=PARIS)


def booking(
    session_id: int,
    chair_id: int,
    start: str,
    end: str,
    *,
    end_day: date = DAY,
    holds_chair: bool = True,
) -> Booking:
    return Booking(
        session_id, chair_id, f"Chair {chair_id}", at(start), at(end, end_day), holds_chair
    )


def test_a_session_from_0900_to_1230_in_a_chair_open_0800_to_1800() -> None:
    grid = day_grid(DAY, [ChairDay(1, OFFICE_HOURS)], [booking(7, 1, "09:00", "12:30")], PARIS)
    assert grid.columns == 40  # 10 hours of quarter hours
    assert grid.hours == [(f"{hour:02d}:00", 2 + (hour - 8) * 4) for hour in range(8, 18)]
    # 09:00 is the 5th quarter hour (grid column 6); 210 minutes span 14 columns.
    assert grid.lanes == [Lane(1, [Block(7, 6, 14)])]


def test_the_day_runs_from_the_earliest_opening_to_the_latest_closing() -> None:
    chairs = [ChairDay(1, [(time(7, 30), time(12))]), ChairDay(2, [(time(10), time(19, 15))])]
    both = [booking(1, 1, "10:00", "11:00"), booking(2, 2, "10:00", "11:00")]
    grid = day_grid(DAY, chairs, both, PARIS)
    # 07:30 starts the 07:00 hour; 19:15 ends in the 19:00 hour: 07:00 to 20:00.
    assert grid.hours[0] == ("07:00", 2) and grid.hours[-1] == ("19:00", 50)
    assert grid.columns == 13 * 4
    # Sessions at the same time in two chairs: one lane each, the same columns.
    assert grid.lanes == [Lane(1, [Block(1, 14, 4)]), Lane(2, [Block(2, 14, 4)])]


def test_a_session_before_opening_widens_the_day() -> None:
    grid = day_grid(DAY, [ChairDay(1, OFFICE_HOURS)], [booking(1, 1, "06:45", "08:15")], PARIS)
    assert grid.hours[0] == ("06:00", 2) and grid.columns == 12 * 4
    assert grid.lanes == [Lane(1, [Block(1, 5, 6)])]  # 06:45 is the 4th quarter hour


def test_a_session_crossing_closing_time_widens_the_day() -> None:
    grid = day_grid(DAY, [ChairDay(1, OFFICE_HOURS)], [booking(1, 1, "16:00", "19:10")], PARIS)
    # 19:10 ends in the 19:00 hour: the day runs to 20:00.
    assert grid.hours[-1] == ("19:00", 46) and grid.columns == 12 * 4
    # 16:00 is column 2 + 32; 190 minutes round up to 13 quarter hours.
    assert grid.lanes == [Lane(1, [Block(1, 34, 13)])]


def test_a_session_past_midnight_is_cut_at_the_end_of_the_day() -> None:
    late = booking(1, 1, "22:00", "01:30", end_day=date(2026, 5, 13))
    grid = day_grid(DAY, [ChairDay(1, OFFICE_HOURS)], [late], PARIS)
    assert grid.hours[-1] == ("23:00", 62) and grid.columns == 16 * 4
    # 210 minutes would be 14 columns; 8 are left before midnight.
    assert grid.lanes == [Lane(1, [Block(1, 58, 8)])]


def test_an_empty_day_shows_0800_to_1800() -> None:
    grid = day_grid(DAY, [], [], PARIS)
    assert grid.columns == 40 and grid.lanes == []
    assert [label for label, _ in grid.hours] == [f"{hour:02d}:00" for hour in range(8, 18)]
    closed = day_grid(DAY, [ChairDay(1), ChairDay(2)], [], PARIS)
    assert closed.columns == 40 and closed.lanes == [Lane(1, []), Lane(2, [])]


def test_cancelled_and_missed_sessions_draw_no_block_but_are_in_the_day() -> None:
    cancelled = booking(1, 1, "19:00", "20:30", holds_chair=False)
    grid = day_grid(DAY, [ChairDay(1, OFFICE_HOURS)], [cancelled], PARIS)
    assert grid.hours[-1] == ("20:00", 50)
    assert grid.lanes == [Lane(1, [])]


def test_a_chair_out_of_use_gets_a_lane_after_the_others_for_its_sessions() -> None:
    bookings = [booking(1, 9, "09:00", "10:00"), booking(2, 1, "09:00", "10:00")]
    grid = day_grid(DAY, [ChairDay(1, OFFICE_HOURS)], bookings, PARIS)
    assert [lane.chair_id for lane in grid.lanes] == [1, 9]


def test_times_are_drawn_in_the_zone_given() -> None:
    utc = ZoneInfo("UTC")
    start = datetime(2026, 5, 12, 7, 0, tzinfo=utc)  # 09:00 in Paris (summer time)
    stored = Booking(1, 1, "Chair 1", start, datetime(2026, 5, 12, 10, 30, tzinfo=utc))
    grid = day_grid(DAY, [ChairDay(1, OFFICE_HOURS)], [stored], PARIS)
    assert grid.lanes == [Lane(1, [Block(1, 6, 14)])]


def test_the_week_runs_monday_to_sunday() -> None:
    assert week_of(date(2026, 5, 17)) == [date(2026, 5, 11 + offset) for offset in range(7)]
    assert week_of(date(2026, 5, 11))[0] == date(2026, 5, 11)


def test_the_week_view_columns() -> None:
    monday, sunday = date(2026, 5, 11), date(2026, 5, 17)
    bookings = [
        Booking(1, 2, "B", at("09:00", monday), at("12:00", monday)),
        Booking(2, 2, "B", at("13:00", monday), at("15:00", monday), holds_chair=False),
        Booking(3, 1, "A", at("09:00", sunday), at("12:00", sunday)),
        Booking(4, 8, "Z old", at("09:00", DAY), at("12:00", DAY)),
        Booking(5, 7, "Y old", at("09:00", DAY), at("12:00", DAY)),
    ]
    grid = week_grid(DAY, [1, 2], bookings, PARIS)
    assert grid.days[0] == monday and grid.days[-1] == sunday
    # The chairs given, then chairs out of use by name; every session, cancelled too.
    assert [lane.chair_id for lane in grid.lanes] == [1, 2, 7, 8]
    assert grid.lanes[0].cells == [[], [], [], [], [], [], [3]]
    assert grid.lanes[1].cells == [[1, 2], [], [], [], [], [], []]
    assert grid.lanes[2].cells[1] == [5]


def test_the_week_view_files_a_session_under_its_local_day() -> None:
    late = datetime(2026, 5, 11, 22, 30, tzinfo=ZoneInfo("UTC"))  # Tuesday 00:30 in Paris
    grid = week_grid(DAY, [1], [Booking(1, 1, "A", late, late)], PARIS)
    assert grid.lanes[0].cells[:2] == [[], [1]]
