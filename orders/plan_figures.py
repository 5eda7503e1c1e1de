"""The few figures of an order's signed plan that lists show, stored on the order.

Lists (the verification queue, *Cycles to book*, the orders API) must neither run the engine
per row nor load the JSON plan frozen at signing (``Order.plan_at_signing``). So when the plan
is stored, replaced or cleared, ``Order.save`` copies these figures from it, and they are
always the plan's own numbers (docs/clinical-rules.md 3.6: the course's cycles and days):

- ``plan_first_day``: day 1 of cycle 1 of the signed plan;
- ``plan_last_day``: the last infusion day of the last cycle;
- ``plan_grams_per_cycle``: the engine's ``cycle_dose_g``.

No plan (a draft, a rejected order) means all three are empty. No engine is run here: the
figures are read from the stored plan.
"""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple


class PlanFigures(NamedTuple):
    first_day: date | None
    last_day: date | None
    grams_per_cycle: Decimal | None


NO_FIGURES = PlanFigures(None, None, None)


def _day(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        return None


def plan_figures(plan: Any) -> PlanFigures:
    """The figures of a stored plan (``dose_plan_to_json`` output), or ``NO_FIGURES``."""
    if not isinstance(plan, dict):
        return NO_FIGURES
    days = [
        day
        for cycle in plan.get("cycles") or []
        if isinstance(cycle, dict)
        for day in (_day(value) for value in cycle.get("days") or [])
        if day is not None
    ]
    grams: Decimal | None
    try:
        raw = plan.get("cycle_dose_g")
        grams = None if raw is None else Decimal(str(raw))
    except InvalidOperation:
        grams = None
    return PlanFigures(min(days, default=None), max(days, default=None), grams)
