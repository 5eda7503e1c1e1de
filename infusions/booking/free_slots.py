"""Where a chair is open and free for a session's length (docs/clinical-rules.md 6), asked for
every chair, day and clock time of a booking proposal's horizon.

A proposal tries each chair at each start time of the grid on each run of the cycle's days: on a
full ward that was every chair, start time and day of the horizon against every session of the
chair (seconds for one page). Here each chair's sessions are sorted once by start (a full
ward's horizon holds thousands: none is filed by day), with the gaps between them at least the
session's length long; a window's gaps are found among those by bisection, and the sessions that
can overlap a start time likewise (those starting before its end, from the first whose end, or
an earlier session's, is after its start). Each chair's opening windows are read once a day
(shared by chairs with the same hours that day), and the start times of a day found from its
gaps (only those inside a gap long enough are looked at); each one is then checked with the very
rule the booking applies (``free``: open for the whole length, after ``not_before``, overlapping
no session), and every answer kept for the other runs of days that share that day.
"""

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from infusions.chairs.models import Chair, ChairOpeningHours
from infusions.chairs.selectors import windows_on

# Start times are proposed on this grid from each opening time (docs/clinical-rules.md 6).
_GRID = timedelta(minutes=15)

Interval = tuple[datetime, datetime]


class FreeSlots:
    """The chairs' free start times for sessions of ``minutes``, from ``not_before`` on, given
    each chair's booked sessions (``busy``: chair id → (start, end), in any order)."""

    def __init__(
        self, busy: Mapping[int, Sequence[Interval]], minutes: int, not_before: datetime
    ) -> None:
        self.minutes = minutes
        self.length = timedelta(minutes=minutes)
        self.not_before = not_before
        self.zone = timezone.get_current_timezone()
        # Each chair's sessions by (start, end), their starts, and the latest end so far; the
        # gaps between them at least the session's length long, with the gaps' ends.
        self._busy: dict[int, tuple[list[Interval], list[datetime], list[datetime]]] = {}
        self._long_gaps: dict[int, tuple[list[Interval], list[datetime]]] = {}
        for chair_id, rows in busy.items():
            ordered = sorted(rows)
            latest_ends: list[datetime] = []
            gaps: list[Interval] = []
            for start, end in ordered:
                if latest_ends and start - latest_ends[-1] >= self.length:
                    gaps.append((latest_ends[-1], start))
                latest_ends.append(max(latest_ends[-1], end) if latest_ends else end)
            self._busy[chair_id] = (ordered, [start for start, _end in ordered], latest_ends)
            self._long_gaps[chair_id] = (gaps, [end for _start, end in gaps])
        self._hours: dict[int, list[ChairOpeningHours]] = {}
        self._windows: dict[tuple[int, date], list[Interval]] = {}
        self._day_windows: dict[tuple[tuple[tuple[time, time], ...], date], list[Interval]] = {}
        self._free: dict[tuple[int, date, time], bool] = {}
        self._fitting: dict[tuple[int, date], list[time]] = {}

    def _near(self, chair: Chair, start: datetime, end: datetime) -> list[Interval]:
        """The chair's sessions, by start, that may overlap ``start`` to ``end``: every one that
        does (one starting before ``end`` and ending after ``start``), and only those starting
        before ``end`` from the first whose end, or an earlier session's, is after ``start``."""
        ordered, starts, latest_ends = self._busy.get(chair.pk, ([], [], []))
        return ordered[bisect_right(latest_ends, start) : bisect_left(starts, end)]

    def windows(self, chair: Chair, day: date) -> list[Interval]:
        """The chair's opening windows on ``day`` (``infusions.chairs.selectors.opening_windows``,
        its hours read once, the same windows for chairs with the same hours that day)."""
        key = (chair.pk, day)
        if key not in self._windows:
            if chair.pk not in self._hours:
                self._hours[chair.pk] = list(chair.opening_hours.all())
            hours = self._hours[chair.pk]
            weekday = day.weekday()
            shared = (
                tuple((row.opens_at, row.closes_at) for row in hours if row.weekday == weekday),
                day,
            )
            if shared not in self._day_windows:
                self._day_windows[shared] = windows_on(hours, day, self.zone)
            self._windows[key] = self._day_windows[shared]
        return self._windows[key]

    def free(self, chair: Chair, day: date, clock: time) -> bool:
        """Whether a session starting at ``clock`` on ``day`` is after ``not_before``, within
        one of the chair's opening windows that day and overlaps none of its sessions."""
        key = (chair.pk, day, clock)
        found = self._free.get(key)
        if found is None:
            start = datetime.combine(day, clock, tzinfo=self.zone)  # infusions.common.at
            end = start + self.length
            on = start.astimezone(self.zone).date()  # infusions.common.local
            found = (
                start >= self.not_before
                and any(
                    opens <= start and end <= closes for opens, closes in self.windows(chair, on)
                )
                and not any(
                    start < other_end and other_start < end
                    for other_start, other_end in self._near(chair, start, end)
                )
            )
            self._free[key] = found
        return found

    def fitting_clocks(self, chair: Chair, day: date) -> list[time]:
        """The start times of the chair's grid on ``day`` (every ``SLOT_GRID_MINUTES`` from each
        opening time) that are ``free``, earliest first."""
        key = (chair.pk, day)
        if key not in self._fitting:
            clocks = {
                clock
                for opens, closes in self.windows(chair, day)
                for clock in self._grid_in_gaps(chair, opens, closes)
                if self.free(chair, day, clock)
            }
            self._fitting[key] = sorted(clocks)
        return self._fitting[key]

    def _grid_in_gaps(self, chair: Chair, opens: datetime, closes: datetime) -> list[time]:
        """The grid's start times of one opening window that may fit: those in a gap between
        the chair's sessions at least the session's length long (every start time of the
        window when the clock changes within it: ``free`` alone decides there)."""
        steps = -((opens - closes) // _GRID)  # the grid's start times: opening + 0, 15… minutes
        if opens.utcoffset() != closes.utcoffset():
            return [(opens + step * _GRID).time() for step in range(steps)]
        found: list[time] = []
        for gap_start, gap_end in self._gaps(chair, opens, closes):
            if gap_end - gap_start < self.length:
                continue
            first = max(0, -((opens - gap_start) // _GRID))  # the first step on or after
            last = (gap_end - self.length - opens) // _GRID
            found.extend(
                (opens + step * _GRID).time() for step in range(first, min(last, steps - 1) + 1)
            )
        return found

    def _gaps(self, chair: Chair, opens: datetime, closes: datetime) -> list[Interval]:
        """The parts of ``opens`` to ``closes`` free of the chair's sessions that may be long
        enough: before its first session, within the chair's gaps at least the session's length
        long, and after its last session."""
        ordered, _starts, latest_ends = self._busy.get(chair.pk, ([], [], []))
        if not ordered or closes <= ordered[0][0] or latest_ends[-1] <= opens:
            return [(opens, closes)]
        found = []
        if opens < ordered[0][0]:
            found.append((opens, ordered[0][0]))
        gaps, gap_ends = self._long_gaps[chair.pk]
        for index in range(bisect_right(gap_ends, opens), len(gaps)):
            gap_start, gap_end = gaps[index]
            if gap_start >= closes:
                break
            found.append(
                (
                    opens if gap_start <= opens else gap_start,
                    closes if gap_end >= closes else gap_end,
                )
            )
        if latest_ends[-1] < closes:
            found.append((latest_ends[-1], closes))
        return found
