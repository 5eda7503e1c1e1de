"""Response reviews of an IVIg course (docs/clinical-rules.md 10); tapering is
``orders.reviews.tapering``.

- ``review_record``: a clinician records a review of the course (10.1); the course cycle it
  covers and the day it was due are computed here, not typed.
- ``review_due_before_cycle``: the booking service asks it before booking a cycle (10.2).
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ivig.accounts.models import User
from orders.course_versions import (
    course_cycle,
    course_cycle_start,
    course_cycles_started_by,
    course_versions,
    lineage_root_id,
    order_in_force,
)
from orders.dose_plans.per_request import policy_in_force
from orders.errors import OrderError
from orders.labs.models import LAB_LATEST_FIRST, Analyte, LabResult
from orders.models import Order, OrderStatus
from orders.saving import save_validated

from .models import ResponseReview
from .outcome_measures import SCORE_RANGES, SHORT_NAMES


def lineage_reviews(order: Order) -> QuerySet[ResponseReview]:
    """The course's reviews, newest first."""
    return ResponseReview.objects.filter(lineage_id=lineage_root_id(order)).select_related(
        "recorded_by", "order", "hemoglobin_result__test"
    )


def latest_review(order: Order) -> ResponseReview | None:
    return lineage_reviews(order).first()


def last_reviewed_cycle(order: Order) -> int:
    """The highest course cycle a review covers (0: none yet)."""
    values = ResponseReview.objects.filter(lineage_id=lineage_root_id(order)).values_list(
        "after_cycle", flat=True
    )
    return max(values, default=0)


@dataclass(frozen=True)
class ReviewStatus:
    """Where the course stands (docs/clinical-rules.md 10.2)."""

    interval: int
    last_reviewed_cycle: int
    next_due_cycle: int  # the first course cycle that needs a new review
    next_due_on: date | None  # its planned first day (None past the course)
    course_cycles: int  # the course's last cycle
    last_cycle_on: date | None  # its planned first day
    measure: str
    measure_name: str
    score_low: Decimal
    score_high: Decimal

    @property
    def due_within_course(self) -> bool:
        """Whether a cycle of the course still needs a review before it (10.2); else none is
        due before a cycle, and the response is reassessed at the end of the course."""
        return self.next_due_cycle <= self.course_cycles


def review_status(order: Order) -> ReviewStatus:
    interval = policy_in_force().review_interval_cycles
    last = last_reviewed_cycle(order)
    measure = order.indication.outcome_measure
    low, high = SCORE_RANGES[measure]
    versions = course_versions(order)
    course_cycles = versions[-1].last_course_cycle if versions else order.cycles
    due = last + interval + 1
    return ReviewStatus(
        interval=interval,
        last_reviewed_cycle=last,
        next_due_cycle=due,
        next_due_on=course_cycle_start(order, due, versions) if due <= course_cycles else None,
        course_cycles=course_cycles,
        last_cycle_on=course_cycle_start(order, course_cycles, versions),
        measure=measure,
        measure_name=SHORT_NAMES[measure],
        score_low=low,
        score_high=high,
    )


def review_due_before_cycle(order: Order, cycle_number: int) -> str | None:
    """docs/clinical-rules.md 10.2: why cycle ``cycle_number`` of ``order`` cannot be booked
    yet (a response review is due), or None. Due when the cycle's number in the course is past
    the last reviewed cycle + the policy's review interval."""
    interval = policy_in_force().review_interval_cycles
    number = course_cycle(order, cycle_number)
    last = last_reviewed_cycle(order)
    if number <= last + interval:
        return None
    since = f"the last review covers cycle {last}" if last else "no review is recorded yet"
    return (
        f"A response review is due before cycle {cycle_number} of order {order.number} "
        f"(cycle {number} of the course): reviews are due every {interval} cycles and "
        f"{since}. A clinician records it on the order's review page."
    )


def _check_score(measure: str, score: Decimal) -> None:
    low, high = SCORE_RANGES[measure]
    if not low <= score <= high:
        message = f"A {SHORT_NAMES[measure]} score is between {low} and {high}."
        raise OrderError(OrderError.INVALID, message, field_errors={"score": [message]})


def _check_hemoglobin(order: Order, result: LabResult | None, reviewed_on: date) -> None:
    if result is None:
        return
    message = ""
    if result.patient_id != order.patient_id or result.test.analyte != Analyte.HEMOGLOBIN:
        message = "Name one of this patient's hemoglobin results."
    elif result.taken_on > reviewed_on:
        message = "The hemoglobin answered is one taken on or before the review's date."
    if message:
        raise OrderError(OrderError.INVALID, message, field_errors={"hemoglobin_result": [message]})


def patient_hemoglobin_results(order: Order) -> QuerySet[LabResult]:
    """The patient's latest hemoglobin results, newest first: those a review may name."""
    return (
        LabResult.objects.filter(
            patient_id=order.patient_id, test__analyte=Analyte.HEMOGLOBIN, value__isnull=False
        )
        .select_related("test")
        .order_by(*LAB_LATEST_FIRST)
    )


def _order_entered_on(order: Order) -> date:
    """The first day of the order's life: its first version's start or entry, whichever came
    first."""
    first = Order.objects.filter(pk=lineage_root_id(order)).values("start_date", "created_at")
    row = first.first() or {"start_date": order.start_date, "created_at": order.created_at}
    return min(row["start_date"], timezone.localdate(row["created_at"]))


@transaction.atomic
def review_record(
    order: Order,
    *,
    by: User,
    reviewed_on: date,
    score: Decimal,
    prednisone_mg_per_day: Decimal,
    response: str,
    decision: str,
    notes: str = "",
    hemoglobin_result: LabResult | None = None,
) -> ResponseReview:
    """Record a response review of ``order``'s course (docs/clinical-rules.md 10.1). The score
    is on the indication's measure and within its range. The review covers the course cycles
    planned to start by ``reviewed_on``, at most one interval past the last review (a late
    review does not let the course run ahead), and never less than the last review covered.
    Refuses a future date and a draft (a course starts at signing). ``hemoglobin_result``: the
    patient's hemoglobin the review answered (HEMOLYSIS_SUSPECTED, docs/clinical-rules.md
    3.8.2), taken on or before the review's date."""
    Order.objects.select_for_update().filter(pk=lineage_root_id(order)).first()
    if order.status == OrderStatus.DRAFT:
        raise OrderError(
            OrderError.WRONG_STATE,
            f"Order {order.number} is a draft: its course is reviewed once it is signed.",
        )
    if reviewed_on > timezone.localdate():
        message = "A review cannot be dated in the future."
        raise OrderError(OrderError.INVALID, message, field_errors={"reviewed_on": [message]})
    entered = _order_entered_on(order)
    if reviewed_on < entered:
        message = f"A review is dated within the order's life: on or after {entered:%Y-%m-%d}."
        raise OrderError(OrderError.INVALID, message, field_errors={"reviewed_on": [message]})
    measure = order.indication.outcome_measure
    _check_score(measure, score)
    _check_hemoglobin(order, hemoglobin_result, reviewed_on)
    status = review_status(order)
    started = course_cycles_started_by(order, reviewed_on)
    after = max(status.last_reviewed_cycle, min(started, status.next_due_cycle - 1))
    review = ResponseReview(
        lineage_id=lineage_root_id(order),
        order=order_in_force(order),
        after_cycle=after,
        reviewed_on=reviewed_on,
        due_on=status.next_due_on,
        measure=measure,
        score=score,
        prednisone_mg_per_day=prednisone_mg_per_day,
        response=response,
        decision=decision,
        notes=notes.strip(),
        hemoglobin_result=hemoglobin_result,
        recorded_by=by,
    )
    save_validated(review, by, "Response review recorded")
    return review
