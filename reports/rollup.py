"""The stewardship report read from a daily roll-up (docs/clinical-rules.md 10.5,
``StewardshipDay``), so that the page and the CSV cost the same whatever the history.

How it stays true, without a hook in the apps below (docs/architecture.md: reports is on top):

- every change to a session leaves a row in its history (moves, completions, cancellations, the
  missed sweep's bulk update alike), and a completion or its correction is a new entry with
  ``recorded_at``; so the days changed since a moment are those of the sessions with a history
  row or a completion entry since then: the day each has now and the day the roll-up counted it
  under (``StewardshipSession``; a move changes both);
- ``refresh_rollup`` (the Celery beat task ``reports.stewardship_rollup``, every 10 minutes,
  idempotent) counts those days again and moves ``counted_until`` to ``REFRESH_MARGIN`` before
  it started (a change saved earlier than that was committed before the refresh read it);
- the page and the CSV read the roll-up for the period's days except the days changed since
  ``counted_until``, which are counted live: the report is always true, and fast when the
  refresh has run. Before the first refresh (``manage.py rebuild_rollups``) every day is live.

The signed orders' indication, product, signer and frozen plan never change (a change is a new
version), so a session's figures change only with the session or its completion entries.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from formulary.models import Product
from infusions.administration.given import completed_grams
from infusions.models import AdministrationEntry, EntryKind, InfusionSession
from ivig.accounts.models import User
from orders.models import Indication, Order

from .models import StewardshipDay, StewardshipRollup, StewardshipSession
from .stewardship import COUNTED, ONE_PLACE, SAVINGS_KEYS, Savings, day_savings, start_of

# A transaction that changes sessions commits within this long of its changes.
REFRESH_MARGIN = timedelta(minutes=10)
GRAMS: DecimalField[Any, Any] = DecimalField(max_digits=20, decimal_places=8)
Key = tuple[date, int, int, int | None]  # day, indication, product, prescriber


@dataclass
class DayCount:
    """What the report counts of a day's sessions of one indication, product and prescriber."""

    sessions: int = 0
    grams: Decimal = Decimal(0)
    saved_by_weight_g: Decimal = Decimal(0)
    saved_by_rounding_g: Decimal = Decimal(0)


# --- counting days ------------------------------------------------------------------------


def _day_ranges(days: Iterable[date]) -> Q:
    """Sessions planned on any of ``days`` (contiguous days as one range of the indexed
    ``planned_start``)."""
    condition = Q(pk__in=[])
    ordered = sorted(set(days))
    start = 0
    for index, day in enumerate(ordered):
        if index + 1 == len(ordered) or ordered[index + 1] != day + timedelta(days=1):
            first, last = ordered[start], day
            condition |= Q(
                planned_start__gte=start_of(first), planned_start__lt=start_of(last, days=1)
            )
            start = index + 1
    return condition


def count_days(sessions: QuerySet[InfusionSession]) -> dict[Key, DayCount]:
    """``sessions`` counted by day, indication, product and prescriber. Two queries: the
    sessions by day and order, then of those orders their indication, product, signer and of the
    frozen plan the keys ``day_savings`` reads."""
    planned = ExpressionWrapper(
        F("order__plan_grams_per_cycle") / F("order__days_per_cycle"), GRAMS
    )
    by_order = (
        sessions.filter(status__in=COUNTED)
        .annotate(counted=Coalesce(completed_grams(), planned, output_field=GRAMS))
        .values("planned_day", "order_id")
        .annotate(sessions=Count("id"), grams=Sum("counted"))
        .order_by()
    )
    rows = list(by_order)
    orders = {
        row["pk"]: row
        for row in Order.objects.filter(pk__in={row["order_id"] for row in rows}).values(
            "pk",
            "indication_id",
            "product_id",
            "signed_by_id",
            **{f"plan_{key}": F(f"plan_at_signing__{key}") for key in SAVINGS_KEYS},
        )
    }
    counted: dict[Key, DayCount] = defaultdict(DayCount)
    for row in rows:
        order: dict[str, Any] = dict(orders[row["order_id"]])
        plan = {
            key: order[f"plan_{key}"] for key in SAVINGS_KEYS if order[f"plan_{key}"] is not None
        }
        by_weight, by_rounding = day_savings(plan) if plan else (Decimal(0), Decimal(0))
        total = counted[
            (row["planned_day"], order["indication_id"], order["product_id"], order["signed_by_id"])
        ]
        total.sessions += row["sessions"]
        total.grams += row["grams"] or 0
        total.saved_by_weight_g += by_weight * row["sessions"]
        total.saved_by_rounding_g += by_rounding * row["sessions"]
    return counted


def changed_days(since: datetime) -> set[date]:
    """The days of the sessions changed since ``since``: the day each has now and the day the
    roll-up counted it under (four queries)."""
    history = InfusionSession.history.model.objects
    changed = set(history.filter(history_date__gte=since).values_list("id", flat=True))
    changed |= set(
        AdministrationEntry.objects.filter(
            kind=EntryKind.COMPLETED, recorded_at__gte=since
        ).values_list("session_id", flat=True)
    )
    if not changed:
        return set()
    return set(
        InfusionSession.objects.filter(pk__in=changed).values_list("planned_day", flat=True)
    ) | set(StewardshipSession.objects.filter(pk__in=changed).values_list("day", flat=True))


def _write_days(days: Collection[date]) -> None:
    sessions = InfusionSession.objects.filter(_day_ranges(days))
    StewardshipDay.objects.filter(day__in=days).delete()
    StewardshipSession.objects.filter(
        Q(day__in=days) | Q(session_id__in=sessions.values("pk"))
    ).delete()
    _write(count_days(sessions), sessions)


def _write(counted: dict[Key, DayCount], sessions: QuerySet[InfusionSession]) -> None:
    StewardshipSession.objects.bulk_create(
        (
            StewardshipSession(session_id=pk, day=day)
            for pk, day in sessions.values_list("pk", "planned_day").iterator()
        ),
        batch_size=5000,
    )
    StewardshipDay.objects.bulk_create(
        [
            StewardshipDay(
                day=day,
                indication_id=indication,
                product_id=product,
                prescriber_id=prescriber,
                sessions=count.sessions,
                grams=count.grams,
                saved_by_weight_g=count.saved_by_weight_g,
                saved_by_rounding_g=count.saved_by_rounding_g,
            )
            for (day, indication, product, prescriber), count in counted.items()
        ],
        batch_size=1000,
    )


@transaction.atomic
def rebuild_rollup(now: datetime | None = None) -> int:
    """The whole roll-up from scratch (idempotent); returns how many rows."""
    now = now or timezone.now()
    StewardshipRollup.objects.select_for_update().all().delete()
    StewardshipDay.objects.all().delete()
    StewardshipSession.objects.all().delete()
    _write(count_days(InfusionSession.objects.all()), InfusionSession.objects.all())
    StewardshipRollup.objects.create(counted_until=now - REFRESH_MARGIN, refreshed_at=now)
    return StewardshipDay.objects.count()


@transaction.atomic
def refresh_rollup(now: datetime | None = None) -> int:
    """Count again the days changed since the roll-up was last counted (idempotent; one
    refresh at a time); the whole roll-up when there is none yet. Returns the days counted."""
    now = now or timezone.now()
    rollup = StewardshipRollup.objects.select_for_update().first()
    if rollup is None:
        rebuild_rollup(now)
        return StewardshipDay.objects.values("day").distinct().count()
    days = changed_days(rollup.counted_until)
    if days:
        _write_days(days)
    rollup.counted_until = max(rollup.counted_until, now - REFRESH_MARGIN)
    rollup.refreshed_at = now
    rollup.save()
    return len(days)


# --- reading: the report ------------------------------------------------------------------


PeriodDays = tuple[QuerySet[StewardshipDay], set[date]]


def period_days(first: date, last: date) -> PeriodDays:
    """The roll-up's rows of the period that are counted, and the period's days to count live
    (every day before the first refresh): three queries, which a page showing both
    ``grams_rows`` and ``savings`` asks once and gives to each."""
    rollup = StewardshipRollup.objects.first()
    if rollup is None:
        days = {first + timedelta(days=n) for n in range((last - first).days + 1)}
        return StewardshipDay.objects.none(), days
    live = {day for day in changed_days(rollup.counted_until) if first <= day <= last}
    rows = StewardshipDay.objects.filter(day__gte=first, day__lte=last).exclude(day__in=live)
    return rows, live


def _live(days: set[date]) -> dict[Key, DayCount]:
    if not days:
        return {}
    return count_days(InfusionSession.objects.filter(_day_ranges(days)))


NAMES = (
    "order__indication__name",
    "order__product__brand_name",
    "order__signed_by__username",
)


def grams_rows(first: date, last: date, period: PeriodDays | None = None) -> list[dict[str, Any]]:
    """One row per month x indication x product x prescriber with ``sessions`` and ``grams``,
    newest month first (the keys of the report's table and CSV): the roll-up grouped in SQL,
    with the days changed since it was counted added live (``period``: ``period_days``)."""
    rows, live = period or period_days(first, last)
    grouped: dict[tuple[date, str, str, str | None], list[Any]] = defaultdict(
        lambda: [0, Decimal(0)]
    )
    for row in (
        rows.annotate(month=TruncMonth("day"))
        .values("month", "indication__name", "product__brand_name", "prescriber__username")
        .annotate(counted=Sum("sessions"), grams_sum=Sum("grams"))
        .order_by()
    ):
        key = (
            row["month"],
            row["indication__name"],
            row["product__brand_name"],
            row["prescriber__username"],
        )
        grouped[key][0] += row["counted"]
        grouped[key][1] += row["grams_sum"]
    counted = _live(live)
    if counted:
        indications = dict(Indication.objects.values_list("pk", "name"))
        products = dict(Product.objects.values_list("pk", "brand_name"))
        users = dict(
            User.objects.filter(pk__in={key[3] for key in counted}).values_list("pk", "username")
        )
        for (day, indication, product, prescriber), count in counted.items():
            key = (
                day.replace(day=1),
                indications[indication],
                products[product],
                users.get(prescriber) if prescriber else None,
            )
            grouped[key][0] += count.sessions
            grouped[key][1] += count.grams
    # Newest month first, then by indication, product and prescriber (none last).
    ordered = sorted(
        grouped.items(), key=lambda item: (item[0][1], item[0][2], item[0][3] is None, item[0][3])
    )
    ordered.sort(key=lambda item: item[0][0], reverse=True)
    return [
        {
            "month": month,
            NAMES[0]: indication,
            NAMES[1]: product,
            NAMES[2]: prescriber,
            "sessions": sessions,
            "grams": grams.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP),
        }
        for (month, indication, product, prescriber), (sessions, grams) in ordered
    ]


def savings(first: date, last: date, period: PeriodDays | None = None) -> Savings:
    """Grams saved over the period's session days: the roll-up's sums, the days changed since
    it was counted added live (``period``: ``period_days``)."""
    rows, live = period or period_days(first, last)
    totals = rows.aggregate(
        weight=Coalesce(Sum("saved_by_weight_g"), Decimal(0), output_field=GRAMS),
        rounding=Coalesce(Sum("saved_by_rounding_g"), Decimal(0), output_field=GRAMS),
    )
    weight, rounding = Decimal(totals["weight"]), Decimal(totals["rounding"])
    for count in _live(live).values():
        weight += count.saved_by_weight_g
        rounding += count.saved_by_rounding_g
    return Savings(
        weight.quantize(ONE_PLACE, rounding=ROUND_HALF_UP),
        rounding.quantize(ONE_PLACE, rounding=ROUND_HALF_UP),
    )
