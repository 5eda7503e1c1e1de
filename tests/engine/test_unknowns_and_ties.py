"""Two boundaries between right-looking answers (docs/clinical-rules.md 3.1, 3.9):

- the ``auto`` dosing-weight rule is three-valued: one unknown input that could change the answer
  gives "cannot decide" (no basis, no dosing weight), never a guess; a known False decides the AND
  and a known True decides the OR whatever else is unknown;
- on the patient's calendar the heaviest 28-day window and the heaviest day go to the earliest
  on a tie.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from ivig.engine import CalendarDay
from ivig.engine.calendar import OwnDay, concurrent_order_ids, heaviest_own_day, heaviest_window
from ivig.engine.weights import auto_uses_adjusted, compute_weights

D = Decimal

# An obese adult: 40 years, 175 cm, BMI 120 / 1.75^2 = 39.2, IBW 70.5 kg (1.2 * IBW = 84.6).
KNOWN = {
    "age_years": 40,
    "pregnant": False,
    "height_cm": D(175),
    "bmi_value": D("39.2"),
    "actual_kg": D(120),
    "ideal_kg": D("70.5"),
}


def test_every_input_known_decides() -> None:
    assert auto_uses_adjusted(**KNOWN) is True  # type: ignore[arg-type]


@pytest.mark.parametrize("unknown", ["age_years", "height_cm"])
def test_one_unknown_and_input_cannot_be_decided(unknown: str) -> None:
    assert auto_uses_adjusted(**{**KNOWN, unknown: None}) is None  # type: ignore[arg-type]


def test_both_or_inputs_unknown_cannot_be_decided() -> None:
    assert auto_uses_adjusted(**{**KNOWN, "bmi_value": None, "ideal_kg": None}) is None  # type: ignore[arg-type]


def test_one_or_input_false_and_the_other_unknown_cannot_be_decided() -> None:
    # BMI 25 is not over 30; the IBW is unknown (sex missing): either answer is possible.
    facts = {**KNOWN, "bmi_value": D(25), "ideal_kg": None}
    assert auto_uses_adjusted(**facts) is None  # type: ignore[arg-type]


def test_one_or_input_true_decides_whatever_the_other() -> None:
    assert auto_uses_adjusted(**{**KNOWN, "ideal_kg": None}) is True  # type: ignore[arg-type]
    assert auto_uses_adjusted(**{**KNOWN, "bmi_value": None}) is True  # type: ignore[arg-type]


def test_a_known_false_decides_the_and_whatever_is_unknown() -> None:
    # A child: actual weight, even with the height unknown.
    assert auto_uses_adjusted(**{**KNOWN, "age_years": 17, "height_cm": None}) is False  # type: ignore[arg-type]
    assert auto_uses_adjusted(**{**KNOWN, "pregnant": True, "age_years": None}) is False  # type: ignore[arg-type]
    # Not obese by either measure, one of them unknown: still False only when both are known.
    lean = {**KNOWN, "bmi_value": D(22), "actual_kg": D(60)}
    assert auto_uses_adjusted(**lean) is False  # type: ignore[arg-type]


def test_adult_and_height_boundaries() -> None:
    assert auto_uses_adjusted(**{**KNOWN, "age_years": 18}) is True  # type: ignore[arg-type]
    assert auto_uses_adjusted(**{**KNOWN, "height_cm": D(152)}) is True  # type: ignore[arg-type]
    assert auto_uses_adjusted(**{**KNOWN, "height_cm": D("151.9")}) is False  # type: ignore[arg-type]


def test_bmi_and_ibw_ratio_boundaries_are_strict() -> None:
    # exactly BMI 30 and exactly 1.2 * IBW: not over either -> actual
    at = {**KNOWN, "bmi_value": D(30), "actual_kg": D("84.6"), "ideal_kg": D("70.5")}
    assert auto_uses_adjusted(**at) is False  # type: ignore[arg-type]
    assert auto_uses_adjusted(**{**at, "bmi_value": D("30.01")}) is True  # type: ignore[arg-type]
    assert auto_uses_adjusted(**{**at, "actual_kg": D("84.61")}) is True  # type: ignore[arg-type]


def test_an_undecidable_auto_basis_gives_no_dosing_weight() -> None:
    # Sex unknown: no IBW; BMI 60 / 1.75^2 = 19.6 is not over 30; the IBW rule could still say
    # adjusted, so the basis cannot be decided.
    weights = compute_weights(
        weight_kg=D(60),
        height_cm=D(175),
        sex=None,
        age_years=40,
        pregnant=False,
        basis_choice="auto",
    )
    assert (weights.basis, weights.dosing_weight_kg) == (None, None)


def test_a_decided_auto_basis_without_the_ibw() -> None:
    # Sex unknown but BMI 120 / 1.75^2 = 39.2 is over 30: adjusted is decided, yet the adjusted
    # weight needs the IBW: the basis is known, the dosing weight is not.
    weights = compute_weights(
        weight_kg=D(120),
        height_cm=D(175),
        sex=None,
        age_years=40,
        pregnant=False,
        basis_choice="auto",
    )
    assert (weights.basis, weights.dosing_weight_kg) == ("adjusted", None)


# --- ties on the calendar ------------------------------------------------------------------------

DAY = date(2027, 3, 1)


def own(*offsets: int, grams: str = "30") -> list[OwnDay]:
    return [OwnDay(DAY + timedelta(days=offset), D(grams)) for offset in offsets]


def test_heaviest_window_tie_goes_to_the_earliest() -> None:
    # Two equal days 40 days apart: each is alone in the windows that hold it.
    window = heaviest_window(own(0, 40), [])
    assert window is not None
    assert (window.first_day, window.dose_g) == (DAY, D(30))
    assert window.last_day == DAY + timedelta(days=27)


def test_heaviest_window_a_later_heavier_window_wins() -> None:
    window = heaviest_window(own(0) + own(40, grams="30.1"), [])
    assert window is not None
    assert (window.first_day, window.dose_g) == (DAY + timedelta(days=40), D("30.1"))


def test_heaviest_window_tie_with_another_order_goes_to_the_earliest() -> None:
    # Day 0: 30 g of this order. Day 40: 20 g of this order + 10 g of order 7: also 30 g.
    other = [CalendarDay(day=DAY + timedelta(days=40), dose_g=D(10), order_id=7, order_open=True)]
    window = heaviest_window(own(0) + own(40, grams="20"), other)
    assert window is not None
    assert (window.first_day, window.order_count) == (DAY, 1)


def test_heaviest_window_reaches_27_days_not_28() -> None:
    # Days 0 and 27 are in one window (60 g); days 0 and 28 are not.
    assert heaviest_window(own(0, 27), []).dose_g == D(60)  # type: ignore[union-attr]
    assert heaviest_window(own(0, 28), []).dose_g == D(30)  # type: ignore[union-attr]


def test_heaviest_own_day_tie_goes_to_the_earliest() -> None:
    best = heaviest_own_day(own(3, 1, 2), [])
    assert best is not None
    assert (best.day, best.dose_g, best.order_count) == (DAY + timedelta(days=1), D(30), 1)


def test_heaviest_own_day_counts_other_orders_on_that_day() -> None:
    other = [
        CalendarDay(day=DAY + timedelta(days=2), dose_g=D(5), order_id=9, order_open=False),
    ]
    best = heaviest_own_day(own(1, 2), other)
    assert best is not None
    assert (best.day, best.dose_g, best.order_count) == (DAY + timedelta(days=2), D(35), 2)


def test_two_other_orders_on_one_of_this_orders_days_count_as_two() -> None:
    other = [
        CalendarDay(day=DAY, dose_g=D(5), order_id=7, order_open=True),
        CalendarDay(day=DAY, dose_g=D(6), order_id=9, order_open=False),
    ]
    best = heaviest_own_day(own(0), other)
    assert best is not None
    assert (best.dose_g, best.order_count) == (D(41), 3)
    window = heaviest_window(own(0), other)
    assert window is not None
    assert (window.dose_g, window.order_count) == (D(41), 3)


def test_two_days_of_this_order_on_one_date_add_up() -> None:
    best = heaviest_own_day([OwnDay(DAY, D(10)), OwnDay(DAY, D(5))], [])
    assert best is not None
    assert best.dose_g == D(15)


def test_a_day_of_this_order_without_a_dose_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^a day of this order has no dose$"):
        heaviest_own_day([OwnDay(DAY, None)], [])


def test_a_closed_order_listed_first_does_not_hide_an_open_one() -> None:
    other = [
        CalendarDay(day=DAY, dose_g=D(5), order_id=3, order_open=False),
        CalendarDay(day=DAY + timedelta(days=1), dose_g=D(5), order_id=4, order_open=True),
        CalendarDay(day=DAY + timedelta(days=27), dose_g=D(5), order_id=5, order_open=True),
        CalendarDay(day=DAY + timedelta(days=28), dose_g=D(5), order_id=6, order_open=True),
    ]
    assert concurrent_order_ids([DAY], other) == [4, 5]


def test_most_infusion_days_in_a_28_day_window() -> None:
    from ivig.engine.schedule import max_infusion_days_in_window

    assert max_infusion_days_in_window([]) == 0
    assert max_infusion_days_in_window([DAY]) == 1
    assert max_infusion_days_in_window([DAY, DAY + timedelta(days=27)]) == 2
    assert max_infusion_days_in_window([DAY, DAY + timedelta(days=28)]) == 1
