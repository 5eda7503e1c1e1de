"""Rounding to vials where the fallback meets a gap, and vial sizes with decimals
(docs/clinical-rules.md 3.3): with no achievable amount within tolerance, the dose is kept to
0.1 g and drawn from the vials that cover it with the least waste: the smallest achievable
amount at or above it, stepping over the amounts no vial mix gives; a 2.5 g vial is 2.5 g.

Expected amounts are worked by hand in each comment.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ivig.engine.dosing import DoseCaps, VialRounding, _mix, round_to_vials, vial_table

D = Decimal
NO_CAPS = DoseCaps(daily_cap_g=D(10_000), window_cap_g=D(10_000), days_in_window=1)


@pytest.fixture(autouse=True)
def fresh_vial_tables() -> None:
    """The vial tables and mixes are cached per process: each test computes its own."""
    vial_table.cache_clear()
    _mix.cache_clear()


def rounded(calc: str, sizes: tuple[str, ...], tolerance_pct: str) -> VialRounding:
    return round_to_vials(
        calculated_daily_dose_g=D(calc),
        vial_sizes_g=tuple(D(size) for size in sizes),
        tolerance_pct=D(tolerance_pct),
        caps=NO_CAPS,
    )


def test_the_fallback_covers_the_dose_over_a_gap_with_the_least_waste() -> None:
    # 2/5 g vials: 2, 4, 5, 6, 7, ... (1 and 3 are gaps). 2.6 g with no tolerance: none is exact,
    # so 2.6 g is kept; 3 g is a gap, the least-waste cover is 4 g = 2 + 2 (waste 1.4 g), not
    # 5 g (waste 2.4) nor 2 g (short of the dose).
    result = rounded("2.6", ("2", "5"), "0")
    assert (result.daily_dose_g, result.rounded_to_vials) == (D("2.6"), False)
    assert result.vials == ((D(2), 2),)
    assert (result.dispensed_g, result.waste_g) == (D(4), D("1.4"))


def test_the_fallback_steps_over_a_run_of_gaps() -> None:
    # 5/7 g vials: 8 and 9 are gaps, 10 = 5 + 5. 7.6 g with no tolerance: kept, covered by 10 g.
    result = rounded("7.6", ("5", "7"), "0")
    assert result.daily_dose_g == D("7.6")
    assert (result.vials, result.waste_g) == (((D(5), 2),), D("2.4"))


def test_a_two_and_a_half_gram_vial_is_two_and_a_half_grams() -> None:
    # Gammagard Liquid sizes 1/2.5/5/10/20/30 g: 12.5 g is 10 + 2.5 exactly (2 vials).
    result = rounded("12.5", ("1", "2.5", "5", "10", "20", "30"), "10")
    assert (result.daily_dose_g, result.rounded_to_vials) == (D("12.5"), True)
    assert result.vials == ((D(10), 1), (D("2.5"), 1))
    # 7.5 g = 5 + 2.5; 3.5 g = 2.5 + 1.
    assert rounded("7.5", ("1", "2.5", "5"), "0").vials == ((D(5), 1), (D("2.5"), 1))
    assert rounded("3.5", ("1", "2.5", "5"), "0").vials == ((D("2.5"), 1), (D(1), 1))
