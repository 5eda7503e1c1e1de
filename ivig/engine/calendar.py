"""The patient's IVIg calendar (docs/clinical-rules.md 3.9), pure functions.

Rules, as implemented:
- This order's days (``own_days``): for each cycle of the regimen, if ``own_sessions`` holds
  any day of that cycle, those sessions' days, each with the grams given where recorded, else
  the rounded daily dose; otherwise the cycle's planned days at the rounded daily dose.
  Sessions of a cycle number the regimen does not have are not this order's days.
- Grams per calendar day are summed over orders: this order's days plus ``other_days`` (the
  caller's live sessions and unbooked planned days of the patient's other orders).
- ``heaviest_window``: among every 28 consecutive calendar days (day d to d + 27) that hold at
  least one day of this order, the one with the most grams (the earliest on a tie). A window
  with the most grams can always be slid forward to start on a calendar day without losing a
  day of this order, so only windows starting on a calendar day are weighed: one sort, then
  a two-pointer sweep with prefix sums, O(n log n).
- ``heaviest_own_day``: the calendar day holding a day of this order with the most grams (all
  orders), the earliest on a tie.
- ``concurrent_order_ids``: the open other orders with a day within 27 days of one of this
  order's days (both fit in one 28-day window), by binary search in this order's sorted days.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ivig.engine.models import CalendarDay, SessionDay
from ivig.engine.schedule import WINDOW_DAYS

# This order's days carry no order id: the caller names only the other orders.
THIS_ORDER = -1


@dataclass(frozen=True, slots=True)
class OwnDay:
    """A day of this order on the calendar; ``dose_g`` None = the planned dose is unknown."""

    day: date
    dose_g: Decimal | None


@dataclass(frozen=True, slots=True)
class CalendarWindow:
    first_day: date
    last_day: date  # first_day + 27
    dose_g: Decimal  # every order's grams in the window
    order_count: int  # orders with a day in the window, this one included


@dataclass(frozen=True, slots=True)
class CalendarDayTotal:
    day: date
    dose_g: Decimal
    order_count: int


def own_days(
    cycle_dates: Sequence[Sequence[date]],
    daily_dose_g: Decimal | None,
    own_sessions: Sequence[SessionDay],
) -> list[OwnDay]:
    """This order's calendar days, cycle by cycle (see the module docstring)."""
    sessions_by_cycle: dict[int, list[SessionDay]] = {}
    for session in own_sessions:
        sessions_by_cycle.setdefault(session.cycle_number, []).append(session)
    days: list[OwnDay] = []
    for number, planned in enumerate(cycle_dates, start=1):
        booked = sessions_by_cycle.get(number)
        if booked:
            days.extend(
                OwnDay(s.day, daily_dose_g if s.given_g is None else s.given_g) for s in booked
            )
        else:
            days.extend(OwnDay(day, daily_dose_g) for day in planned)
    return days


def grams_by_day(
    own: Sequence[OwnDay], other_days: Sequence[CalendarDay]
) -> dict[date, tuple[Decimal, frozenset[int]]]:
    """Grams per calendar day over every order, with the orders contributing (``THIS_ORDER``
    for this one). Days of this order with an unknown dose are refused (ValueError)."""
    grams: dict[date, Decimal] = {}
    orders: dict[date, set[int]] = {}
    for day in own:
        if day.dose_g is None:
            raise ValueError("a day of this order has no dose")
        grams[day.day] = grams.get(day.day, Decimal(0)) + day.dose_g
        orders.setdefault(day.day, set()).add(THIS_ORDER)
    for other in other_days:
        grams[other.day] = grams.get(other.day, Decimal(0)) + other.dose_g
        orders.setdefault(other.day, set()).add(other.order_id)
    return {day: (grams[day], frozenset(orders[day])) for day in grams}


def heaviest_window(
    own: Sequence[OwnDay], other_days: Sequence[CalendarDay], window_days: int = WINDOW_DAYS
) -> CalendarWindow | None:
    """The 28-day window holding a day of this order with the most grams; None without days."""
    by_day = grams_by_day(own, other_days)
    if not own:
        return None
    ordinals = sorted(day.toordinal() for day in by_day)
    own_ordinals = {day.day.toordinal() for day in own}
    grams_prefix = [Decimal(0)]
    own_prefix = [0]
    for ordinal in ordinals:
        grams_prefix.append(grams_prefix[-1] + by_day[date.fromordinal(ordinal)][0])
        own_prefix.append(own_prefix[-1] + (ordinal in own_ordinals))
    window_g, first, end = _heaviest_span(ordinals, grams_prefix, own_prefix, window_days)
    orders: set[int] = set()
    for ordinal in ordinals[first:end]:
        orders |= by_day[date.fromordinal(ordinal)][1]
    last_ordinal = min(ordinals[first] + window_days - 1, date.max.toordinal())
    return CalendarWindow(
        first_day=date.fromordinal(ordinals[first]),
        last_day=date.fromordinal(last_ordinal),
        dose_g=window_g,
        order_count=len(orders),
    )


def _heaviest_span(
    ordinals: list[int], grams_prefix: list[Decimal], own_prefix: list[int], window_days: int
) -> tuple[Decimal, int, int]:
    """(grams, first index, end index exclusive) of the heaviest window starting on a calendar
    day and holding a day of this order; the earliest on a tie."""
    best: tuple[Decimal, int, int] | None = None
    end = 0
    for first, start in enumerate(ordinals):
        while end < len(ordinals) and ordinals[end] < start + window_days:
            end += 1
        if own_prefix[end] == own_prefix[first]:
            continue  # no day of this order in this window
        window_g = grams_prefix[end] - grams_prefix[first]
        if best is None or window_g > best[0]:
            best = (window_g, first, end)
    assert best is not None  # the window starting on this order's first day holds it
    return best


def heaviest_own_day(
    own: Sequence[OwnDay], other_days: Sequence[CalendarDay]
) -> CalendarDayTotal | None:
    """The calendar day of this order with the most grams of all orders; None without days."""
    by_day = grams_by_day(own, other_days)
    best: CalendarDayTotal | None = None
    for day in sorted({own_day.day for own_day in own}):
        day_g, orders = by_day[day]
        if best is None or day_g > best.dose_g:
            best = CalendarDayTotal(day=day, dose_g=day_g, order_count=len(orders))
    return best


def concurrent_order_ids(
    own_dates: Sequence[date], other_days: Sequence[CalendarDay], window_days: int = WINDOW_DAYS
) -> list[int]:
    """Open other orders with a day at most ``window_days - 1`` days from one of this order's."""
    ordinals = sorted({day.toordinal() for day in own_dates})
    if not ordinals:
        return []
    reach = window_days - 1
    found: set[int] = set()
    for other in other_days:
        if not other.order_open or other.order_id in found:
            continue
        ordinal = other.day.toordinal()
        index = bisect_left(ordinals, ordinal - reach)
        if index < len(ordinals) and ordinals[index] <= ordinal + reach:
            found.add(other.order_id)
    return sorted(found)
