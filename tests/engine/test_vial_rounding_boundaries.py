"""Rounding to vials at its boundaries (docs/clinical-rules.md 3.2, 3.3, 3.7): the nearest
achievable amount within tolerance (inclusive; a tie goes down), vial sets with gaps, one-vial
doses, amounts refused by a cap, the fallback, and the arithmetic after it (volume, cycle dose per
kg, cost, the cycle dose as ordered for mg/kg regimens).

Each case says, in its comment, which amounts are achievable and how far each is from the
calculated dose; the expected amount follows from the rule, not from a run of the engine.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ivig.engine import compute_plan
from ivig.engine.dosing import (
    DoseCaps,
    _mix,
    calculated_daily_dose_g,
    cost_per_cycle,
    cycle_dose_g_per_kg,
    daily_dose_g_per_kg,
    daily_volume_ml,
    ordered_cycle_dose_g_per_kg,
    round_to_vials,
    vial_table,
)
from tests.engine.factories import plan_request

D = Decimal


@pytest.fixture(autouse=True)
def fresh_vial_tables() -> None:
    """The vial tables and mixes are cached per process: each test here computes its own, so a
    table is never one another test (or another code path) left behind."""
    vial_table.cache_clear()
    _mix.cache_clear()


NO_CAPS = DoseCaps(daily_cap_g=D(10_000), window_cap_g=D(10_000), days_in_window=1)


def rounded(calc: str, sizes: tuple[str, ...], tolerance_pct: str = "10", caps: DoseCaps = NO_CAPS):
    return round_to_vials(
        calculated_daily_dose_g=D(calc),
        vial_sizes_g=tuple(D(size) for size in sizes),
        tolerance_pct=D(tolerance_pct),
        caps=caps,
    )


# --- nearest amount: up or down ----------------------------------------------------------------


def test_rounding_up_wins_when_up_is_nearer() -> None:
    # 5/10 g vials: 20 is 4 g below 24, 25 is 1 g above; tolerance 20 % = 4.8 g holds both.
    result = rounded("24", ("5", "10"), tolerance_pct="20")
    assert (result.daily_dose_g, result.rounded_to_vials) == (D(25), True)
    assert result.vials == ((D(10), 2), (D(5), 1))


def test_rounding_down_wins_when_down_is_nearer() -> None:
    result = rounded("21", ("5", "10"), tolerance_pct="20")  # 20 is 1 below, 25 is 4 above
    assert result.daily_dose_g == D(20)


def test_a_tie_goes_down() -> None:
    result = rounded("22.5", ("5", "10"), tolerance_pct="20")  # 20 and 25 both 2.5 away
    assert result.daily_dose_g == D(20)


def test_just_past_the_tie_goes_up() -> None:
    result = rounded("22.51", ("5", "10"), tolerance_pct="20")
    assert result.daily_dose_g == D(25)


# --- the tolerance edge (inclusive) -------------------------------------------------------------


def test_an_amount_exactly_at_the_tolerance_above_is_a_candidate() -> None:
    # Only 22 g vials: 0 is no amount; 22 is exactly 10 % of 20 above.
    result = rounded("20", ("22",))
    assert (result.daily_dose_g, result.rounded_to_vials) == (D(22), True)


def test_an_amount_just_beyond_the_tolerance_above_is_not() -> None:
    result = rounded("19.99", ("22",))  # 2.01 away, tolerance 1.999
    assert (result.daily_dose_g, result.rounded_to_vials) == (D("20.0"), False)
    assert result.dispensed_g == D(22)
    assert result.waste_g == D("2.0")


def test_an_amount_exactly_at_the_tolerance_below_is_a_candidate() -> None:
    # 9 g vials: 18 is exactly 10 % below 20; 27 is far above.
    result = rounded("20", ("9",))
    assert (result.daily_dose_g, result.rounded_to_vials) == (D(18), True)


def test_an_amount_just_beyond_the_tolerance_below_is_not() -> None:
    result = rounded("20.01", ("9",))  # 18 is 2.01 away, tolerance 2.001
    assert (result.daily_dose_g, result.rounded_to_vials) == (D("20.0"), False)
    assert result.dispensed_g == D(27)


def test_zero_tolerance_takes_only_an_exact_amount() -> None:
    assert rounded("20", ("5",), tolerance_pct="0").rounded_to_vials is True
    assert rounded("20.5", ("5",), tolerance_pct="0").rounded_to_vials is False


# --- vial sets with gaps, one-vial doses ----------------------------------------------------------


def test_achievable_amounts_of_a_set_with_gaps() -> None:
    table = vial_table((D(5), D(7)))
    achievable = [units for units in range(1, 25) if table.mix(units) is not None]
    # sums of 5s and 7s
    expected = sorted({5 * a + 7 * b for a in range(6) for b in range(5)} - {0})
    assert achievable == [amount for amount in expected if amount < 25]


def test_down_steps_over_a_gap_one_amount_at_a_time() -> None:
    # 3/5 g vials: 3, 5, 6, 8, 9, 10, ... (4 and 7 are gaps). 7.9 g: 7 is a gap, so down is 6
    # (1.9 away); up is 8 (0.1 away) but the daily cap is 7.95 g, which 7.9 keeps: 8 is refused.
    caps = DoseCaps(daily_cap_g=D("7.95"), window_cap_g=D(10_000), days_in_window=1)
    result = rounded("7.9", ("3", "5"), tolerance_pct="30", caps=caps)
    assert (result.daily_dose_g, result.rounded_to_vials) == (D(6), True)
    assert result.vials == ((D(3), 2),)


def test_up_steps_over_a_gap_one_amount_at_a_time() -> None:
    # 5/7 g vials: 8 and 9 are gaps. 8.9 g, tolerance 15 % = 1.335: down 7 is 1.9 away (out);
    # up 9 is a gap, 10 is 1.1 away: 10 = 5 + 5.
    result = rounded("8.9", ("5", "7"), tolerance_pct="15")
    assert (result.daily_dose_g, result.rounded_to_vials) == (D(10), True)
    assert result.vials == ((D(5), 2),)


def test_a_one_vial_dose() -> None:
    # 1 g vials: 1.04 g -> 1 g (0.04 away); 2 g is far outside 10 %.
    result = rounded("1.04", ("1",))
    assert (result.daily_dose_g, result.rounded_to_vials, result.vials) == (
        D(1),
        True,
        ((D(1), 1),),
    )


def test_a_one_unit_dose_below_a_larger_vial() -> None:
    # 2.5/10 g vials (unit 2.5): 2.6 g -> 2.5 g, one small vial.
    result = rounded("2.6", ("2.5", "10"))
    assert (result.daily_dose_g, result.vials) == (D("2.5"), ((D("2.5"), 1),))


def test_up_from_below_the_smallest_vial() -> None:
    # 0.95 g with 1 g vials: floor is 0 units, up is 1 (0.05 away).
    result = rounded("0.95", ("1",))
    assert (result.daily_dose_g, result.rounded_to_vials) == (D(1), True)


def test_fewest_vials_then_larger_sizes() -> None:
    table = vial_table((D(1), D("2.5"), D(5), D(10), D(20), D(30)))
    # 40 g: 30 + 10 (2 vials) beats 20 + 20 (2 vials)? same count: most of the larger size first.
    assert table.mix(int(D(40) / table.unit_g)) == (1, 0, 1, 0, 0, 0)
    # 60 g: 30 + 30.
    assert table.mix(int(D(60) / table.unit_g)) == (2, 0, 0, 0, 0, 0)


# --- caps: what rounding may not do ---------------------------------------------------------------


def test_up_refused_by_the_28_day_cap_falls_back_to_down() -> None:
    # calc 24 keeps 24 * 5 = 120 <= 120; 25 * 5 = 125 breaks it. 20 is 4 away, within 20 %.
    caps = DoseCaps(daily_cap_g=D(100), window_cap_g=D(120), days_in_window=5)
    result = rounded("24", ("5", "10"), tolerance_pct="20", caps=caps)
    assert result.daily_dose_g == D(20)


def test_up_at_exactly_the_cap_is_kept() -> None:
    caps = DoseCaps(daily_cap_g=D(25), window_cap_g=D(125), days_in_window=5)
    result = rounded("24", ("5", "10"), tolerance_pct="20", caps=caps)
    assert result.daily_dose_g == D(25)


def test_when_the_calculated_dose_already_breaks_a_cap_rounding_is_not_filtered() -> None:
    caps = DoseCaps(daily_cap_g=D(23), window_cap_g=D(10_000), days_in_window=1)
    result = rounded("24", ("5", "10"), tolerance_pct="20", caps=caps)
    assert result.daily_dose_g == D(25)


def test_fallback_rounds_down_where_half_up_would_break_the_cap() -> None:
    # 24.05 g; vials of 7 g: 21 (3.05 away) and 28 (3.95) are outside 10 %. Half up 24.1 breaks
    # the daily cap of 24.06 that 24.05 keeps: 24.0, from the least-waste cover 28 = 4 x 7.
    caps = DoseCaps(daily_cap_g=D("24.06"), window_cap_g=D(10_000), days_in_window=1)
    result = rounded("24.05", ("7",), caps=caps)
    assert (result.daily_dose_g, result.rounded_to_vials) == (D("24.0"), False)
    assert (result.dispensed_g, result.waste_g) == (D(28), D("4.0"))
    free = rounded("24.05", ("7",))
    assert free.daily_dose_g == D("24.1")


def test_dose_caps_boundaries() -> None:
    caps = DoseCaps(daily_cap_g=D(70), window_cap_g=D(140), days_in_window=2)
    assert caps.kept_by(D(70)) is True
    assert caps.kept_by(D("70.01")) is False
    narrow = DoseCaps(daily_cap_g=D(100), window_cap_g=D(140), days_in_window=2)
    assert narrow.kept_by(D(70)) is True
    assert narrow.kept_by(D("70.01")) is False


# --- dose per kg, volume, cycle dose and cost -------------------------------------------------


def test_daily_dose_per_kg_from_each_regimen_form() -> None:
    assert daily_dose_g_per_kg(
        total_dose_g_per_kg=D(2), daily_dose_mg_per_kg=None, days_per_cycle=5
    ) == D("0.4")
    assert daily_dose_g_per_kg(
        total_dose_g_per_kg=None, daily_dose_mg_per_kg=D(400), days_per_cycle=None
    ) == D("0.4")
    assert (
        daily_dose_g_per_kg(
            total_dose_g_per_kg=D(2), daily_dose_mg_per_kg=None, days_per_cycle=None
        )
        is None
    )
    assert calculated_daily_dose_g(
        total_dose_g_per_kg=None, daily_dose_mg_per_kg=D(400), days_per_cycle=3,
        dosing_weight_kg=D(70),
    ) == D(28)  # fmt: skip
    assert calculated_daily_dose_g(
        total_dose_g_per_kg=D(1), daily_dose_mg_per_kg=None, days_per_cycle=3,
        dosing_weight_kg=D(60),
    ) == D(20)  # fmt: skip


def test_cycle_dose_as_ordered_for_a_mg_per_kg_regimen() -> None:
    # 400 mg/kg a day for 5 days = 2000 mg/kg = 2 g/kg.
    assert ordered_cycle_dose_g_per_kg(
        total_dose_g_per_kg=None, daily_dose_mg_per_kg=D(400), days_per_cycle=5
    ) == D(2)
    assert ordered_cycle_dose_g_per_kg(
        total_dose_g_per_kg=D("1.5"), daily_dose_mg_per_kg=None, days_per_cycle=5
    ) == D("1.5")
    assert (
        ordered_cycle_dose_g_per_kg(
            total_dose_g_per_kg=None, daily_dose_mg_per_kg=D(400), days_per_cycle=None
        )
        is None
    )


@pytest.mark.parametrize(("mg_per_kg", "expected"), [("400", True), ("399", False)])
def test_hemolysis_risk_for_a_mg_per_kg_regimen_at_2_g_per_kg(
    mg_per_kg: str, expected: bool
) -> None:
    # Blood group A, 5 days: 400 mg/kg -> 2 g/kg per cycle (the threshold); 399 -> 1.995.
    plan = compute_plan(
        plan_request(blood_group="A", daily_dose_mg_per_kg=mg_per_kg, days_per_cycle=5)
    )
    assert ("HEMOLYSIS_RISK" in [f.code for f in plan.findings]) is expected


def test_daily_volume_rounds_half_up_to_a_whole_ml() -> None:
    assert daily_volume_ml(D("2.345"), D(10)) == 23  # 23.45
    assert daily_volume_ml(D("2.35"), D(10)) == 24  # 23.5 -> 24 (half up)
    assert daily_volume_ml(D("2.25"), D(10)) == 23  # 22.5 -> 23 (half up, not half even)
    assert daily_volume_ml(D(7), D(5)) == 140


def test_cycle_dose_per_kg_rounds_half_up_to_hundredths() -> None:
    assert cycle_dose_g_per_kg(D("0.125"), D(1)) == D("0.13")  # half even would give 0.12
    assert cycle_dose_g_per_kg(D(100), D(60)) == D("1.67")


def test_cost_per_cycle_rounds_half_up_to_cents() -> None:
    # 1 g a day, 1 day, at 0.125 a gram: 0.125 -> 0.13 (half even would give 0.12)
    assert cost_per_cycle(D(1), 1, D("0.125")) == D("0.13")
    assert cost_per_cycle(D(1), 1, D("0.135")) == D("0.14")
    assert cost_per_cycle(D(1), 1, D("0.1249")) == D("0.12")
    # waste included: 25 g dispensed a day * 5 days * 95
    assert cost_per_cycle(D(25), 5, D(95)) == D(11875)
    assert str(cost_per_cycle(D(25), 5, D(95))) == "11875.00"
