"""Where a chair is open and free for a session's length (docs/clinical-rules.md 6), asked for
every chair, day and clock time of a booking proposal's horizon.

A proposal tries each chair at each start time of the grid on each run of the cycle's days: on a
full ward that was every chair, start time and day of the horizon against every session of the
chair (seconds for one page). Here each chair's sessions are filed by day, its opening windows
read once a day, and the start times of a day found from the gaps between its sessions (only
those inside a gap long enough are looked at); each one is then checked with the very rule the
booking applies (``free``: open for the whole length, after ``not_before``, overlapping no
session), and every answer kept for the other runs of days that share that day.
"""

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from infusions.chairs.models import Chair, ChairOpeningHours
from infusions.chairs.selectors import windows_on

# Start times are proposed on this grid from each opening time (docs/clinical-rules.md 6).
_GRID = timedelta(minutes=15)
_ONE_DAY = timedelta(days=1)

Interval = tuple[datetime, datetime]


class FreeSlots:
    """The chairs' free start times for sessions of ``minutes``, from ``not_before`` on, given
    each chair's booked sessions (``busy``: chair id → (start, end))."""

    def __init__(
        self, busy: Mapping[int, Sequence[Interval]], minutes: int, not_before: datetime
    ) -> None:
        self.minutes = minutes
        self.length = timedelta(minutes=minutes)
        self.not_before = not_before
        self.zone = timezone.get_current_timezone()
        self._busy_on: dict[tuple[int, date], list[Interval]] = defaultdict(list)
        for chair_id, rows in busy.items():
            for start, end in rows:
                day, last = start.astimezone(self.zone).date(), end.astimezone(self.zone).date()
                while day <= last:
                    self._busy_on[(chair_id, day)].append((start, end))
                    day += _ONE_DAY
        for rows in self._busy_on.values():
            rows.sort()
        self._hours: dict[int, list[ChairOpeningHours]] = {}
        self._windows: dict[tuple[int, date], list[Interval]] = {}
        self._free: dict[tuple[int, date, time], bool] = {}
        self._fitting: dict[tuple[int, date], list[time]] = {}

    def windows(self, chair: Chair, day: date) -> list[Interval]:
        """The chair's opening windows on ``day`` (``infusions.chairs.selectors.opening_windows``,
        its hours read once)."""
        key = (chair.pk, day)
        if key not in self._windows:
            if chair.pk not in self._hours:
                self._hours[chair.pk] = list(chair.opening_hours.all())
            self._windows[key] = windows_on(self._hours[chair.pk], day, self.zone)
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
                    for other_start, other_end in self._busy_on.get((chair.pk, on), ())
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
                for clock in self._grid_in_gaps(chair, day, opens, closes)
                if self.free(chair, day, clock)
            }
            self._fitting[key] = sorted(clocks)
        return self._fitting[key]

    def _grid_in_gaps(
        self, chair: Chair, day: date, opens: datetime, closes: datetime
    ) -> list[time]:
        """The grid's start times of one opening window that may fit: those in a gap between
        the chair's sessions at least the session's length long (every start time of the
        window when the clock changes within it: ``free`` alone decides there)."""
        steps = -((opens - closes) // _GRID)  # the grid's start times: opening + 0, 15… minutes
        if opens.utcoffset() != closes.utcoffset():
            return [(opens + step * _GRID).time() for step in range(steps)]
        found: list[time] = []
        for gap_start, gap_end in self._gaps(chair, day, opens, closes):
            if gap_end - gap_start < self.length:
                continue
            first = max(0, -((opens - gap_start) // _GRID))  # the first step on or after
            last = (gap_end - self.length - opens) // _GRID
            found.extend(
                (opens + step * _GRID).time() for step in range(first, min(last, steps - 1) + 1)
            )
        return found

    def _gaps(self, chair: Chair, day: date, opens: datetime, closes: datetime) -> list[Interval]:
        gaps = []
        cursor = opens
        for other_start, other_end in self._busy_on.get((chair.pk, day), ()):
            if other_end <= cursor or other_start >= closes:
                continue
            if other_start > cursor:
                gaps.append((cursor, other_start))
            cursor = max(cursor, other_end)
        if cursor < closes:
            gaps.append((cursor, closes))
        return gaps
