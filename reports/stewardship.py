"""The pharmacists' stewardship report (docs/clinical-rules.md 10.5): reads only.

- grams by month x indication x product x prescriber: every session in the period that is not
  cancelled or missed, counted with the grams given on its completion entry, else the signed
  plan's daily dose (``plan_grams_per_cycle / days_per_cycle``);
- grams saved by the dosing-weight rule (adjusted body weight instead of actual, from the
  stored plans) and by vial rounding (calculated minus rounded daily dose; negative when the
  rounding went up), per session day in the period (of each stored plan only the keys it reads);
  both counted per day in a roll-up (reports/rollup.py, ``count_days``), read by the page.
- response reviews recorded in the period, and how many on time (on or before ``due_on``).
- urgent starts (docs/clinical-rules.md 3.10): first-cycle sessions of urgent orders started in
  the period (in progress or completed), each with its order and indication.

A fixed number of queries whatever the period; rows are paginated by the view.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import (
    Count,
    F,
    Q,
    QuerySet,
)
from django.utils import timezone

from infusions.models import InfusionSession, SessionStatus
from orders.reviews.models import ResponseReview

COUNTED = (
    SessionStatus.TENTATIVE,
    SessionStatus.BOOKED,
    SessionStatus.IN_PROGRESS,
    SessionStatus.COMPLETED,
)
# docs/clinical-rules.md 3.1: adjusted = IBW + 0.4 x (actual - IBW).
ADJUSTED_FRACTION = Decimal("0.4")
ONE_PLACE = Decimal("0.1")


def start_of(day: date, *, days: int = 0) -> datetime:
    """The start of ``day`` (plus ``days``) in the unit's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=days), time.min))


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    return start_of(first), start_of(last, days=1)


def sessions_in(first: date, last: date) -> QuerySet[InfusionSession]:
    start, end = _bounds(first, last)
    return InfusionSession.objects.filter(
        status__in=COUNTED, planned_start__gte=start, planned_start__lt=end
    )


def _decimal(value: object) -> Decimal | None:
    try:
        return None if value is None else Decimal(str(value))
    except InvalidOperation:
        return None


def day_savings(plan: object) -> tuple[Decimal, Decimal]:
    """(grams saved by the dosing-weight rule, grams saved by vial rounding) per infusion day of
    a stored plan. The weight rule saves only where the plan used the adjusted body weight: the
    actual weight is IBW + (adjusted - IBW) / 0.4, and the saving is the calculated daily dose
    x (actual / dosing weight - 1)."""
    if not isinstance(plan, dict):
        return Decimal(0), Decimal(0)
    calculated = _decimal(plan.get("calculated_daily_dose_g"))
    rounded = _decimal(plan.get("daily_dose_g"))
    by_rounding = calculated - rounded if calculated is not None and rounded is not None else 0
    by_weight = Decimal(0)
    ideal = _decimal(plan.get("ideal_body_weight_kg"))
    adjusted = _decimal(plan.get("adjusted_body_weight_kg"))
    dosing = _decimal(plan.get("dosing_weight_kg"))
    if plan.get("dosing_weight_basis") == "adjusted" and None not in (ideal, adjusted, dosing):
        assert ideal is not None and adjusted is not None and dosing is not None
        actual = ideal + (adjusted - ideal) / ADJUSTED_FRACTION
        if calculated is not None and dosing > 0 and actual > dosing:
            by_weight = calculated * (actual / dosing - 1)
    return by_weight, Decimal(by_rounding)


@dataclass(frozen=True)
class Savings:
    by_weight_rule_g: Decimal
    by_vial_rounding_g: Decimal


# What ``day_savings`` reads of a stored plan: these keys only, never the whole JSON.
SAVINGS_KEYS = (
    "calculated_daily_dose_g",
    "daily_dose_g",
    "ideal_body_weight_kg",
    "adjusted_body_weight_kg",
    "dosing_weight_kg",
    "dosing_weight_basis",
)


@dataclass(frozen=True)
class ReviewsDone:
    total: int
    on_time: int

    @property
    def on_time_pct(self) -> int | None:
        return None if not self.total else round(100 * self.on_time / self.total)


def reviews_done(first: date, last: date) -> ReviewsDone:
    counts = ResponseReview.objects.filter(reviewed_on__gte=first, reviewed_on__lte=last).aggregate(
        total=Count("id"),
        on_time=Count("id", filter=Q(due_on__isnull=True) | Q(reviewed_on__lte=F("due_on"))),
    )
    return ReviewsDone(counts["total"], counts["on_time"])


def urgent_starts(first: date, last: date) -> QuerySet[InfusionSession]:
    """First-cycle sessions of urgent orders started in the period (docs/clinical-rules.md
    3.10), earliest first."""
    start, end = _bounds(first, last)
    return (
        InfusionSession.objects.filter(
            order__urgent=True,
            cycle_number=1,
            status__in=(SessionStatus.IN_PROGRESS, SessionStatus.COMPLETED),
            planned_start__gte=start,
            planned_start__lt=end,
        )
        .select_related("order__indication")
        # What the report shows of each: the day, the order's number and its indication.
        .only("planned_start", "order__lineage_id", "order__indication__name")
        .order_by("planned_start", "id")
    )
