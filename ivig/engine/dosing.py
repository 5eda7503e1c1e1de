"""Daily dose, rounding to vials, vial mix, volume, cycle dose and cost (docs/clinical-rules.md
3.2, 3.3, 3.7).

Rules, as implemented:
- Daily dose per kg = ``total_dose_g_per_kg / days_per_cycle`` or ``daily_dose_mg_per_kg / 1000``.
  The calculated daily dose (g) = that * the (rounded) dosing weight, kept at full precision; it
  is computed as ``total * weight / days`` (multiply first) so that exact splits stay exact. It
  is shown rounded to 0.1 g half up.
- The cycle dose "as ordered" (HEMOLYSIS_RISK) is ``total_dose_g_per_kg`` or
  ``daily_dose_mg_per_kg * days_per_cycle / 1000`` (g/kg, before any rounding).
- Achievable amounts are the sums (amount > 0) of any whole numbers of the active vial sizes.
  Tolerance = ``rounding_tolerance_pct / 100 * calculated dose`` (unrounded). Candidates are the
  achievable amounts ``a`` with ``|a - calc| ≤ tolerance`` (inclusive).
- Rounding never creates a stop (docs/clinical-rules.md 3.3). The caps (``DoseCaps``): daily
  cap = indication daily max * dosing weight; 28-day cap = indication 28-day max * dosing
  weight; W = the most infusion days of the course in any 28 consecutive days (its own
  calendar). An amount ``a`` keeps the caps when ``a ≤ daily cap`` and ``a * W ≤ 28-day cap``.
  Where the calculated dose keeps the caps, a candidate that does not is refused (only one
  above the calculated dose can break them; a larger candidate is refused whenever a smaller
  one is, so only the nearest achievable amount on each side needs checking). Where the
  calculated dose already breaks a cap, candidates are not filtered and the stop stands.
  The nearest remaining candidate wins; a tie goes down.
- No candidate: the daily dose is the calculated dose rounded to 0.1 g half up, or rounded
  down to 0.1 g where half up would break a cap that the calculated dose keeps; it is drawn
  from the vials covering it with the least waste (the smallest achievable amount at or above
  it), then the fewest vials, then larger vials. ``waste_g`` = vials - daily dose (0 when
  rounded to vials).
- Vial mix of an achievable amount: the fewest vials; among those, lexicographically the most of
  the larger sizes. Listed largest size first, sizes with a count of 0 left out.
- Daily volume (mL) = daily dose * 100 / concentration %, rounded half up to a whole mL.
- Cycle dose = daily dose * days; per kg = cycle dose / dosing weight, 0.01 half up.
- Cost per cycle = grams dispensed per day (vials, waste included) * days * price per g,
  0.01 half up.

Implementation of the vial arithmetic: sizes are scaled to integers in units of their greatest
common divisor (e.g. 0.5 g for 1/2.5/5 g vials). In a fewest-vials mix, a smaller size ``d`` is
used fewer than ``lcm(d1, d) / d`` times (``d1`` the largest size: otherwise that many could be
swapped for fewer large vials), so the part not made of the largest size is at most
``R = Σ (lcm(d1, d) - d)`` units. One small table of best mixes for 0..R units per vial-size
tuple (cached) answers any amount in O(R / d1): no table grows with the dose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_UP, Decimal
from functools import lru_cache

DOSE_DISPLAY_QUANTUM_G = Decimal("0.1")
FALLBACK_DOSE_QUANTUM_G = Decimal("0.1")
CYCLE_DOSE_PER_KG_QUANTUM = Decimal("0.01")
COST_QUANTUM = Decimal("0.01")
MG_PER_G = Decimal(1000)
ML_PER_DL = Decimal(100)  # concentration % = g per 100 mL
WHOLE_ML = Decimal(1)


def daily_dose_g_per_kg(
    *,
    total_dose_g_per_kg: Decimal | None,
    daily_dose_mg_per_kg: Decimal | None,
    days_per_cycle: int | None,
) -> Decimal | None:
    """Daily g/kg of the regimen; None when the days are needed and unknown."""
    if daily_dose_mg_per_kg is not None:
        return daily_dose_mg_per_kg / MG_PER_G
    if total_dose_g_per_kg is None or days_per_cycle is None:
        return None
    return total_dose_g_per_kg / days_per_cycle


def calculated_daily_dose_g(
    *,
    total_dose_g_per_kg: Decimal | None,
    daily_dose_mg_per_kg: Decimal | None,
    days_per_cycle: int | None,
    dosing_weight_kg: Decimal,
) -> Decimal | None:
    """Daily dose before rounding to vials, full precision (multiply before dividing)."""
    if daily_dose_mg_per_kg is not None:
        return daily_dose_mg_per_kg * dosing_weight_kg / MG_PER_G
    if total_dose_g_per_kg is None or days_per_cycle is None:
        return None
    return total_dose_g_per_kg * dosing_weight_kg / days_per_cycle


def ordered_cycle_dose_g_per_kg(
    *,
    total_dose_g_per_kg: Decimal | None,
    daily_dose_mg_per_kg: Decimal | None,
    days_per_cycle: int | None,
) -> Decimal | None:
    """The cycle dose as ordered, g/kg, before any rounding (HEMOLYSIS_RISK)."""
    if total_dose_g_per_kg is not None:
        return total_dose_g_per_kg
    if daily_dose_mg_per_kg is None or days_per_cycle is None:
        return None
    return daily_dose_mg_per_kg * days_per_cycle / MG_PER_G


# --- vial arithmetic ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)  # identity hash: tables are cached singletons
class VialTable:
    """Vial sizes (largest first) in integer units of ``unit_g``, with best mixes for 0..R."""

    sizes_g: tuple[Decimal, ...]
    unit_g: Decimal
    sizes_units: tuple[int, ...]
    # best_mix[r]: counts per size (largest first) of the best mix of exactly r units, or None.
    best_mix: tuple[tuple[int, ...] | None, ...]

    def mix(self, amount_units: int) -> tuple[int, ...] | None:
        """Fewest vials for exactly ``amount_units``, ties to larger vials; None if impossible."""
        return _mix(self, amount_units)


def _mix_key(counts: tuple[int, ...]) -> tuple[int, tuple[int, ...]]:
    # Fewest vials first; then lexicographically most of the larger sizes.
    return (sum(counts), tuple(-count for count in counts))


@lru_cache(maxsize=128)
def vial_table(sizes_g: tuple[Decimal, ...]) -> VialTable:
    """The cached table for a tuple of active vial sizes (any order, duplicates allowed)."""
    distinct: dict[Decimal, Decimal] = {}
    for size_g in sizes_g:
        distinct.setdefault(size_g, size_g)  # Decimal equality is by value
    ordered = tuple(sorted(distinct.values(), reverse=True))
    units, unit_g = _in_units(ordered)
    return VialTable(ordered, unit_g, units, _best_mixes(units))


def _in_units(ordered: tuple[Decimal, ...]) -> tuple[tuple[int, ...], Decimal]:
    """The sizes as whole multiples of their greatest common unit, and that unit in grams."""
    places = max(max(0, -int(size.normalize().as_tuple().exponent)) for size in ordered)
    scale = 10**places
    scaled = [int(size * scale) for size in ordered]
    gcd = math.gcd(*scaled)
    return tuple(value // gcd for value in scaled), Decimal(gcd) / scale


def _best_mixes(units: tuple[int, ...]) -> tuple[tuple[int, ...] | None, ...]:
    """The best mix (``_mix_key``) for every amount 0..R units, None where none adds up."""
    largest = units[0]
    residue_limit = sum(math.lcm(largest, size) - size for size in units[1:])
    best: list[tuple[int, ...] | None] = [None] * (residue_limit + 1)
    best[0] = (0,) * len(units)
    for amount in range(1, residue_limit + 1):
        best[amount] = _best_mix_of(best, units, amount)
    return tuple(best)


def _best_mix_of(
    best: list[tuple[int, ...] | None], units: tuple[int, ...], amount: int
) -> tuple[int, ...] | None:
    """The best mix for ``amount``: one more vial of some size on the best mix for the rest."""
    chosen: tuple[int, ...] | None = None
    for index, size in enumerate(units):
        previous = best[amount - size] if size <= amount else None
        if previous is None:
            continue
        candidate = (*previous[:index], previous[index] + 1, *previous[index + 1 :])
        if chosen is None or _mix_key(candidate) < _mix_key(chosen):
            chosen = candidate
    return chosen


@lru_cache(maxsize=4096)
def _mix(table: VialTable, amount_units: int) -> tuple[int, ...] | None:
    if amount_units < 0:
        return None
    largest = table.sizes_units[0]
    limit = min(amount_units, len(table.best_mix) - 1)
    chosen: tuple[int, ...] | None = None
    for rest in range(amount_units % largest, limit + 1, largest):
        rest_mix = table.best_mix[rest]
        if rest_mix is None:
            continue
        candidate = (rest_mix[0] + (amount_units - rest) // largest, *rest_mix[1:])
        if chosen is None or _mix_key(candidate) < _mix_key(chosen):
            chosen = candidate
    return chosen


@dataclass(frozen=True)
class VialRounding:
    daily_dose_g: Decimal
    vials: tuple[tuple[Decimal, int], ...]  # (size_g, count), largest first, counts > 0
    dispensed_g: Decimal  # grams of vials per day
    waste_g: Decimal
    rounded_to_vials: bool  # False: no achievable amount within tolerance


def _vial_list(table: VialTable, counts: tuple[int, ...]) -> tuple[tuple[Decimal, int], ...]:
    return tuple((size, count) for size, count in zip(table.sizes_g, counts, strict=True) if count)


@dataclass(frozen=True, slots=True)
class DoseCaps:
    """The indication's maxima for one course (docs/clinical-rules.md 3.3): a daily amount keeps
    them when ``amount <= daily_cap_g`` and ``amount * days_in_window <= window_cap_g``, where
    ``days_in_window`` is the most infusion days of the course in any 28 consecutive days."""

    daily_cap_g: Decimal
    window_cap_g: Decimal
    days_in_window: int

    def kept_by(self, amount_g: Decimal) -> bool:
        return amount_g <= self.daily_cap_g and amount_g * self.days_in_window <= self.window_cap_g


def round_to_vials(
    *,
    calculated_daily_dose_g: Decimal,
    vial_sizes_g: tuple[Decimal, ...],
    tolerance_pct: Decimal,
    caps: DoseCaps,
) -> VialRounding:
    """docs/clinical-rules.md 3.3, rounding never creates a stop: the nearest achievable amount
    within tolerance (ties down); where the calculated dose keeps the caps, only amounts that
    keep them are candidates. Otherwise the calculated dose to 0.1 g half up, or down where
    half up would break a cap the calculated dose keeps, from the least-waste vials."""
    table = vial_table(vial_sizes_g)
    calc_g = calculated_daily_dose_g
    tolerance_g = tolerance_pct * calc_g / 100
    # Where the calculated dose already breaks a cap the order is unsafe as written: round as
    # usual and let the stop stand. Amounts below the calculated dose always keep the caps.
    must_keep = caps.kept_by(calc_g)
    floor_units = int((calc_g / table.unit_g).to_integral_value(rounding=ROUND_FLOOR))
    down_units = _achievable_below(table, calc_g, tolerance_g, floor_units)
    up_units = _achievable_above(table, calc_g, tolerance_g, floor_units)
    if up_units is not None and must_keep and not caps.kept_by(up_units * table.unit_g):
        # Refused when it would break a cap; every larger amount would too, so there is no
        # other candidate above.
        up_units = None
    chosen_units = _nearer(calc_g, table.unit_g, down_units, up_units)
    if chosen_units is not None:
        counts = table.mix(chosen_units)
        assert counts is not None
        daily_g = chosen_units * table.unit_g
        return VialRounding(daily_g, _vial_list(table, counts), daily_g, Decimal(0), True)
    return _unrounded(table, calc_g, caps, must_keep)


def _achievable_below(
    table: VialTable, calc_g: Decimal, tolerance_g: Decimal, floor_units: int
) -> int | None:
    """The largest achievable amount (in units) at or below the dose, within tolerance."""
    units = floor_units
    while units >= 1 and calc_g - units * table.unit_g <= tolerance_g:
        if table.mix(units) is not None:
            return units
        units -= 1
    return None


def _achievable_above(
    table: VialTable, calc_g: Decimal, tolerance_g: Decimal, floor_units: int
) -> int | None:
    """The smallest achievable amount (in units) above the dose, within tolerance."""
    units = max(floor_units + 1, 1)
    while units * table.unit_g - calc_g <= tolerance_g:
        if table.mix(units) is not None:
            return units
        units += 1
    return None


def _nearer(
    calc_g: Decimal, unit_g: Decimal, down_units: int | None, up_units: int | None
) -> int | None:
    """The candidate nearer the calculated dose; down on a tie."""
    if down_units is None:
        return up_units
    if up_units is None:
        return down_units
    distance_down_g = calc_g - down_units * unit_g
    distance_up_g = up_units * unit_g - calc_g
    return up_units if distance_up_g < distance_down_g else down_units


def _unrounded(table: VialTable, calc_g: Decimal, caps: DoseCaps, must_keep: bool) -> VialRounding:
    """No achievable amount within tolerance: the dose to 0.1 g half up (down where half up
    would break a cap the calculated dose keeps), from the least-waste vials."""
    daily_g = calc_g.quantize(FALLBACK_DOSE_QUANTUM_G, rounding=ROUND_HALF_UP)
    if must_keep and not caps.kept_by(daily_g):
        daily_g = calc_g.quantize(FALLBACK_DOSE_QUANTUM_G, rounding=ROUND_DOWN)
    units = int((daily_g / table.unit_g).to_integral_value(rounding=ROUND_CEILING))
    while (counts := table.mix(units)) is None:
        units += 1
    dispensed_g = units * table.unit_g
    return VialRounding(
        daily_g, _vial_list(table, counts), dispensed_g, dispensed_g - daily_g, False
    )


def daily_volume_ml(daily_dose_g: Decimal, concentration_pct: Decimal) -> int:
    """Daily dose * 100 / concentration %, half up to a whole mL."""
    volume_ml = daily_dose_g * ML_PER_DL / concentration_pct
    return int(volume_ml.quantize(WHOLE_ML, rounding=ROUND_HALF_UP))


def cycle_dose_g_per_kg(cycle_dose_g: Decimal, dosing_weight_kg: Decimal) -> Decimal:
    return (cycle_dose_g / dosing_weight_kg).quantize(
        CYCLE_DOSE_PER_KG_QUANTUM, rounding=ROUND_HALF_UP
    )


def cost_per_cycle(
    dispensed_g_per_day: Decimal, days_per_cycle: int, price_per_g: Decimal
) -> Decimal:
    """Grams dispensed per cycle (waste included) * price per g, 0.01 half up
    (docs/clinical-rules.md 3.7)."""
    return (dispensed_g_per_day * days_per_cycle * price_per_g).quantize(
        COST_QUANTUM, rounding=ROUND_HALF_UP
    )
