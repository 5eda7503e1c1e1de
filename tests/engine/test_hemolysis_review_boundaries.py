"""HEMOLYSIS_SUSPECTED released by a clinician's review (docs/clinical-rules.md 3.8.2): a review
with the decision to continue, dated on or after the fallen result it names, releases the next
cycle; a lower result since is a new fall and stops again. And results taken on the cycle's first
day are pre-cycle values, never a fall.

The cycle: 4-8 Jan 2027 at 2 g/kg; pre-cycle hemoglobin 13.5 g/dL on 4 Jan, so a fall is a value
of 11.5 g/dL or less (2 g/dL below) taken from 5 Jan to 22 Jan.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from ivig.engine import CycleFacts, HemoglobinReview, LabValue, compute_plan
from tests.engine.factories import plan_request

CYCLE = CycleFacts(first_day=date(2027, 1, 4), last_day=date(2027, 1, 8), dose_g_per_kg=Decimal(2))
PRE = LabValue(taken_on=date(2027, 1, 4), value=Decimal("13.5"))


def hb(day: int, value: str) -> LabValue:
    return LabValue(taken_on=date(2027, 1, day), value=Decimal(value))


def review(answered: LabValue, day: int, decision: str = "continue") -> HemoglobinReview:
    return HemoglobinReview.model_validate(
        {"answered": answered, "reviewed_on": date(2027, 1, day), "decision": decision}
    )


def stops(results: list[LabValue], reviews: list[HemoglobinReview]) -> bool:
    request = plan_request()
    patient = request.patient.model_copy(
        update={
            "hemoglobin_results": [PRE, *results],
            "last_cycle": CYCLE,
            "hemoglobin_reviews": reviews,
        }
    )
    plan = compute_plan(request.model_copy(update={"patient": patient}))
    return "HEMOLYSIS_SUSPECTED" in {finding.code for finding in plan.findings}


FALL = hb(12, "11")


def test_without_a_review_the_fall_stops() -> None:
    assert stops([FALL], [])


def test_a_review_to_continue_on_the_day_of_the_fall_releases() -> None:
    assert not stops([FALL], [review(FALL, 12)])
    assert not stops([FALL], [review(FALL, 20)])


def test_a_review_dated_before_the_fall_it_names_does_not_release() -> None:
    assert stops([FALL], [review(FALL, 11)])


def test_only_a_decision_to_continue_releases() -> None:
    assert stops([FALL], [review(FALL, 12, "taper")])
    assert stops([FALL], [review(FALL, 12, "stop")])


def test_a_review_naming_a_result_that_is_not_a_fall_does_not_release() -> None:
    not_a_fall = hb(10, "12")  # 1.5 below: not a fall
    assert stops([not_a_fall, FALL], [review(not_a_fall, 12)])
    # Same day as the fall, another value: not the fall it answers.
    assert stops([FALL], [review(hb(12, "11.2"), 12)])


def test_a_fall_exactly_2_g_dl_below_can_be_released() -> None:
    exact = hb(12, "11.5")
    assert stops([exact], [])
    assert not stops([exact], [review(exact, 12)])


def test_a_review_that_does_not_count_does_not_hide_a_later_one_that_does() -> None:
    assert not stops([FALL], [review(FALL, 12, "taper"), review(FALL, 13)])
    assert not stops([FALL], [review(FALL, 11), review(FALL, 13)])


def test_a_lower_result_since_the_reviewed_fall_stops_again() -> None:
    assert stops([FALL, hb(15, "10.5")], [review(FALL, 12)])
    # ... until that one is reviewed in turn.
    assert not stops([FALL, hb(15, "10.5")], [review(FALL, 12), review(hb(15, "10.5"), 15)])


def test_a_later_result_not_lower_than_the_reviewed_one_keeps_the_release() -> None:
    # Still fallen (11.2 and 11 are 2 g/dL or more below 13.5), but no lower: no new fall.
    assert not stops([FALL, hb(14, "11.2")], [review(FALL, 12)])
    assert not stops([FALL, hb(14, "11")], [review(FALL, 12)])


def test_a_lower_result_before_the_reviewed_one_is_not_a_new_fall() -> None:
    # 10.5 on 10 Jan, then 11 on 12 Jan; the review answers 12 Jan: nothing lower since.
    assert not stops([hb(10, "10.5"), FALL], [review(FALL, 12)])


def test_a_lower_result_the_same_day_as_the_reviewed_one_is_not_since() -> None:
    assert not stops([FALL, hb(12, "10.8")], [review(FALL, 12)])


def test_results_on_the_first_day_are_pre_cycle_values_never_a_fall() -> None:
    # 4 Jan: 13.5 and 11 (the highest is the pre-cycle value); nothing after the first day.
    assert not stops([hb(4, "11")], [])
