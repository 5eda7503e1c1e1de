"""Properties of every plan (docs/clinical-rules.md 3.3-3.8), checked with hypothesis on
derandomized examples."""

from __future__ import annotations

import functools
import itertools
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from ivig.engine import DosePlan, PlanRequest, compute_plan, dose_plan_to_json
from ivig.engine.dosing import DoseCaps, round_to_vials, vial_table
from ivig.engine.findings import SEVERITY_ORDER
from ivig.engine.schedule import max_infusion_days_in_window
from tests.engine.strategies import any_requests, valid_requests

ENGINE_SETTINGS = settings(
    max_examples=400,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)


def _exact_daily_dose_g(request: PlanRequest, dosing_weight_kg: Decimal) -> Decimal:
    regimen = request.regimen
    if regimen.total_dose_g_per_kg is not None:
        return regimen.total_dose_g_per_kg * dosing_weight_kg / regimen.days_per_cycle
    assert regimen.daily_dose_mg_per_kg is not None
    return regimen.daily_dose_mg_per_kg * dosing_weight_kg / 1000


def _codes(plan: DosePlan) -> list[str]:
    return [finding.code for finding in plan.findings]


def _valid_plan(request: PlanRequest) -> DosePlan:
    """The plan, for requests the engine can plan (an explicit ideal weight can still be 0 kg)."""
    plan = compute_plan(request)
    assume("INVALID_INPUT" not in _codes(plan))
    return plan


@ENGINE_SETTINGS
@given(valid_requests())
def test_rates_never_decrease_and_respect_the_caps(request: PlanRequest) -> None:
    plan = _valid_plan(request)
    assert plan.titration
    rates = [step.rate_ml_per_h for step in plan.titration]
    assert rates == sorted(rates)
    assert len(set(rates)) == len(rates)  # equal neighbours are merged
    assert all(1 <= rate <= 200 for rate in rates)
    assert all(rate <= request.target_rate_ml_per_h for rate in rates)
    starts = [step.start_min for step in plan.titration]
    assert starts[0] == 0
    assert starts == sorted(set(starts))
    # only the last step can be cut: each start is the previous start + its whole minutes
    for step, next_step in itertools.pairwise(plan.titration):
        assert step.start_min + step.minutes == next_step.start_min


@ENGINE_SETTINGS
@given(valid_requests())
def test_step_volumes_add_up_to_the_daily_volume(request: PlanRequest) -> None:
    plan = _valid_plan(request)
    assert plan.titration is not None and plan.daily_volume_ml is not None
    shown_ml = sum((step.volume_ml for step in plan.titration), Decimal(0))
    assert abs(shown_ml - plan.daily_volume_ml) <= Decimal("0.5")
    exact_ml = sum(
        (Decimal(step.rate_ml_per_h) * step.minutes / 60 for step in plan.titration[:-1]),
        Decimal(0),
    )
    assert exact_ml <= plan.daily_volume_ml
    assert plan.infusion_minutes is not None
    last = plan.titration[-1]
    # infusion minutes = ceil(exact end); shown minutes are within 0.05 of the exact ones
    shown_end_min = last.start_min + last.minutes
    assert plan.infusion_minutes - Decimal("1.05") < shown_end_min
    assert shown_end_min <= plan.infusion_minutes + Decimal("0.05")


def _caps(request: PlanRequest, plan: DosePlan) -> DoseCaps:
    assert request.indication is not None and plan.dosing_weight_kg is not None
    assert plan.cycles is not None
    return DoseCaps(
        daily_cap_g=request.indication.max_daily_g_per_kg * plan.dosing_weight_kg,
        window_cap_g=request.indication.max_g_per_kg_per_28_days * plan.dosing_weight_kg,
        days_in_window=max_infusion_days_in_window([d for c in plan.cycles for d in c.days]),
    )


@ENGINE_SETTINGS
@given(valid_requests())
def test_rounding_stays_within_tolerance_or_keeps_the_calculated_dose(
    request: PlanRequest,
) -> None:
    plan = _valid_plan(request)
    assert plan.dosing_weight_kg is not None and plan.daily_dose_g is not None
    assert plan.vials is not None and plan.waste_g is not None
    calc_g = _exact_daily_dose_g(request, plan.dosing_weight_kg)
    tolerance_g = request.policy.rounding_tolerance_pct * calc_g / 100
    half_up_g = calc_g.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    down_g = calc_g.quantize(Decimal("0.1"), rounding=ROUND_DOWN)
    caps = _caps(request, plan)
    within = plan.waste_g == 0 and abs(plan.daily_dose_g - calc_g) <= tolerance_g
    # the fallback: half up, or down to 0.1 g only where half up breaks a cap calc keeps
    half_up_breaks = caps.kept_by(calc_g) and not caps.kept_by(half_up_g)
    assert within or plan.daily_dose_g == (down_g if half_up_breaks else half_up_g)
    dispensed_g = sum(vial.size_g * vial.count for vial in plan.vials)
    assert dispensed_g - plan.waste_g == plan.daily_dose_g
    assert plan.waste_g >= 0
    sizes = [vial.size_g for vial in plan.vials]
    assert sizes == sorted(sizes, reverse=True)
    assert all(vial.count > 0 for vial in plan.vials)


@ENGINE_SETTINGS
@given(valid_requests())
def test_rounding_never_creates_a_stop(request: PlanRequest) -> None:
    """docs/clinical-rules.md 3.3: if the calculated dose keeps both caps on the course's own
    calendar, the rounded plan raises neither MAX_DAILY_DOSE nor MAX_DOSE_PER_28_DAYS."""
    plan = _valid_plan(request)
    assert plan.dosing_weight_kg is not None and plan.daily_dose_g is not None
    caps = _caps(request, plan)
    if caps.kept_by(_exact_daily_dose_g(request, plan.dosing_weight_kg)):
        assert caps.kept_by(plan.daily_dose_g)
        assert "MAX_DAILY_DOSE" not in _codes(plan)
        assert "MAX_DOSE_PER_28_DAYS" not in _codes(plan)
    # and the findings say exactly what the caps say
    assert ("MAX_DAILY_DOSE" in _codes(plan)) is (plan.daily_dose_g > caps.daily_cap_g)
    window_g = plan.daily_dose_g * caps.days_in_window
    assert ("MAX_DOSE_PER_28_DAYS" in _codes(plan)) is (window_g > caps.window_cap_g)


@settings(max_examples=500, derandomize=True, deadline=None)
@given(
    sizes_text=st.lists(
        st.sampled_from(["0.5", "1", "2", "2.5", "3", "5", "6", "10", "12", "20", "25", "40"]),
        min_size=1, max_size=5, unique=True,
    ),
    calc_hundredths=st.integers(1, 20000),
    daily_cap_hundredths=st.integers(1, 20000),
    window_cap_hundredths=st.integers(1, 60000),
    days_in_window=st.integers(1, 20),
    tolerance_pct=st.integers(0, 25),
)  # fmt: skip
def test_round_to_vials_never_turns_kept_caps_into_broken_ones(
    sizes_text: list[str],
    calc_hundredths: int,
    daily_cap_hundredths: int,
    window_cap_hundredths: int,
    days_in_window: int,
    tolerance_pct: int,
) -> None:
    calc_g = Decimal(calc_hundredths) / 100
    caps = DoseCaps(
        daily_cap_g=Decimal(daily_cap_hundredths) / 100,
        window_cap_g=Decimal(window_cap_hundredths) / 100,
        days_in_window=days_in_window,
    )
    rounding = round_to_vials(
        calculated_daily_dose_g=calc_g,
        vial_sizes_g=tuple(Decimal(text) for text in sizes_text),
        tolerance_pct=Decimal(tolerance_pct),
        caps=caps,
    )
    if caps.kept_by(calc_g):
        assert caps.kept_by(rounding.daily_dose_g)
    if rounding.rounded_to_vials:
        assert abs(rounding.daily_dose_g - calc_g) <= Decimal(tolerance_pct) * calc_g / 100
        assert rounding.waste_g == 0
    else:
        assert abs(rounding.daily_dose_g - calc_g) < Decimal("0.1")
        assert rounding.daily_dose_g == rounding.daily_dose_g.quantize(Decimal("0.1"))
        assert rounding.dispensed_g >= rounding.daily_dose_g


@ENGINE_SETTINGS
@given(valid_requests())
def test_vital_checks_start_at_0_and_end_with_the_infusion(request: PlanRequest) -> None:
    plan = _valid_plan(request)
    checks = plan.vital_checks_min
    assert checks is not None and plan.infusion_minutes is not None
    assert checks[0] == 0
    assert checks[-1] == plan.infusion_minutes
    assert all(a < b for a, b in itertools.pairwise(checks))
    stable = plan.target_rate_reached_min
    if stable is not None:
        assert stable in checks
        assert all(b - a <= 30 for a, b in itertools.pairwise([*filter(stable.__ge__, checks)]))
        assert all(b - a <= 60 for a, b in itertools.pairwise([*filter(stable.__le__, checks)]))
    else:
        assert all(b - a <= 30 for a, b in itertools.pairwise(checks))
    assert plan.chair_minutes == 30 + plan.infusion_minutes + 30


@ENGINE_SETTINGS
@given(any_requests())
def test_findings_are_ordered_and_unique_and_json_round_trips(request: PlanRequest) -> None:
    plan = compute_plan(request)
    keys = [(SEVERITY_ORDER[f.severity], f.code) for f in plan.findings]
    assert keys == sorted(keys)
    assert len({f.code for f in plan.findings}) == len(plan.findings)
    if "INVALID_INPUT" not in _codes(plan):
        assert plan.daily_dose_g is not None and plan.titration is not None
    body = dose_plan_to_json(plan)
    assert DosePlan.model_validate(body) == plan
    assert DosePlan.model_validate_json(plan.model_dump_json()) == plan
    for key in ("daily_dose_g", "dosing_weight_kg", "cost_per_cycle", "bmi"):
        value = body[key]
        assert value is None or (isinstance(value, str) and "E" not in value)


def _brute_force_mix(sizes_units: tuple[int, ...], amount_units: int) -> tuple[int, ...] | None:
    """Every count vector, by recursion over the sizes (largest first): fewest, then lexmax."""

    @functools.cache
    def best(index: int, rest: int) -> tuple[int, tuple[int, ...]] | None:
        if index == len(sizes_units):
            return (0, ()) if rest == 0 else None
        found: tuple[int, tuple[int, ...]] | None = None
        for count in range(rest // sizes_units[index] + 1):
            tail = best(index + 1, rest - count * sizes_units[index])
            if tail is None:
                continue
            key = (tail[0] + count, (-count, *tail[1]))
            if found is None or key < found:
                found = key
        return found

    result = best(0, amount_units)
    return None if result is None else tuple(-count for count in result[1])


@settings(max_examples=300, derandomize=True, deadline=None)
@given(
    st.lists(st.sampled_from(["0.5", "1", "2", "2.5", "3", "5", "6", "10", "12", "25", "40"]),
             min_size=1, max_size=5, unique=True),
    st.integers(1, 400),
)  # fmt: skip
def test_vial_mix_is_the_fewest_vials_preferring_larger_ones(
    sizes_text: list[str], amount_half_grams: int
) -> None:
    sizes_g = tuple(sorted((Decimal(text) for text in sizes_text), reverse=True))
    table = vial_table(sizes_g)
    amount_g = Decimal(amount_half_grams) / 2
    units = amount_g / table.unit_g
    if units != int(units):
        assert all(amount_g % size != 0 for size in sizes_g)
        return
    assert table.mix(int(units)) == _brute_force_mix(table.sizes_units, int(units))
