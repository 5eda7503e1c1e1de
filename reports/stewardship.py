"""The pharmacists' stewardship report (docs/clinical-rules.md 10.5): reads only.

- grams by month x indication x product x prescriber: every session in the period that is not
  cancelled or missed, counted with the grams given on its completion entry, else the signed
  plan's daily dose (``plan_grams_per_cycle / days_per_cycle``); grouped in SQL.
- grams saved by the dosing-weight rule (adjusted body weight instead of actual, from the
  stored plans) and by vial rounding (calculated minus rounded daily dose; negative when the
  rounding went up), per session day in the period (of each stored plan only the keys it reads).
- response reviews recorded in the period, and how many on time (on or before ``due_on``).
- urgent starts (docs/clinical-rules.md 3.10): first-cycle sessions of urgent orders started in
  the period (in progress or completed), each with its order and indication.

A fixed number of queries whatever the period; rows are paginated by the view.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from infusions.administration.given import completed_grams
from infusions.models import InfusionSession, SessionStatus
from orders.models import Order
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


def _bounds(first: date, last: date) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(first, time.min))
    end = timezone.make_aware(datetime.combine(last + timedelta(days=1), time.min))
    return start, end


def sessions_in(first: date, last: date) -> QuerySet[InfusionSession]:
    start, end = _bounds(first, last)
    return InfusionSession.objects.filter(
        status__in=COUNTED, planned_start__gte=start, planned_start__lt=end
    )


def grams_rows(first: date, last: date) -> QuerySet[Any]:
    """One row per month x indication x product x prescriber, with ``grams`` and
    ``sessions``, newest month first."""
    planned = ExpressionWrapper(
        F("order__plan_grams_per_cycle") / F("order__days_per_cycle"),
        output_field=DecimalField(max_digits=10, decimal_places=2),
    )
    return (
        sessions_in(first, last)
        .annotate(
            grams_counted=Coalesce(
                completed_grams(),
                planned,
                output_field=DecimalField(max_digits=10, decimal_places=2),
            ),
            month=TruncMonth("planned_start"),
        )
        .values(
            "month",
            "order__indication__name",
            "order__product__brand_name",
            "order__signed_by__username",
        )
        .annotate(grams=Sum("grams_counted"), sessions=Count("id"))
        .order_by(
            "-month",
            "order__indication__name",
            "order__product__brand_name",
            "order__signed_by__username",
        )
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


def savings(first: date, last: date) -> Savings:
    """Grams saved over the period's session days (two queries: the session days per order in
    the period, grouped by the order's id alone; then of those orders' stored plans only the
    keys ``day_savings`` reads)."""
    days = dict(
        sessions_in(first, last)
        .values("order_id")
        .annotate(days=Count("id"))
        .order_by()
        .values_list("order_id", "days")
    )
    plans = Order.objects.filter(pk__in=days, plan_at_signing__isnull=False).values(
        "pk", **{f"plan_{key}": F(f"plan_at_signing__{key}") for key in SAVINGS_KEYS}
    )
    weight, rounding = Decimal(0), Decimal(0)
    for found in plans:
        row: dict[str, Any] = dict(found)
        plan = {key: row[f"plan_{key}"] for key in SAVINGS_KEYS if row[f"plan_{key}"] is not None}
        by_weight, by_rounding = day_savings(plan)
        weight += by_weight * days[row["pk"]]
        rounding += by_rounding * days[row["pk"]]
    return Savings(
        weight.quantize(ONE_PLACE, rounding=ROUND_HALF_UP),
        rounding.quantize(ONE_PLACE, rounding=ROUND_HALF_UP),
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
        .select_related("order", "order__indication")
        .order_by("planned_start", "id")
    )
