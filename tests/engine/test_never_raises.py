"""Whatever arrives through the API's types, the engine answers with findings, never an
exception (an exception would be a 500 for the caller)."""

from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ivig.engine import compute_plan

from .factories import PRODUCT_SLUGS, plan_request

any_decimal_text = st.decimals(allow_nan=False, allow_infinity=False).map(str)
any_int = st.integers(min_value=-(10**12), max_value=10**12)


def test_a_course_ending_after_the_calendar_is_invalid_input_not_a_crash():
    # 59 intervals of 90 days after 9999-12-01 is beyond date.max (9999-12-31).
    plan = compute_plan(
        plan_request(cycles=60, cycle_interval_days=90, start_date=date(9999, 12, 1))
    )
    assert plan.findings[0].code == "INVALID_INPUT"
    assert "calendar" in plan.findings[0].message
    assert plan.cycles is None


@settings(
    max_examples=300, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    weight_kg=st.one_of(st.none(), any_decimal_text),
    height_cm=st.one_of(st.none(), any_decimal_text),
    age_years=any_int,
    total_dose_g_per_kg=any_decimal_text,
    days_per_cycle=any_int,
    cycles=any_int,
    cycle_interval_days=any_int,
    start_date=st.dates(),
    target_rate_ml_per_h=any_int,
    product_slug=st.sampled_from(PRODUCT_SLUGS),
    rate_protocol=st.sampled_from(["protocol", "label"]),
    dosing_weight_basis=st.sampled_from(["auto", "actual", "ideal", "adjusted"]),
)
def test_the_engine_never_raises(**fields):
    plan = compute_plan(plan_request(**fields))
    if plan.daily_dose_g is not None:
        assert plan.daily_dose_g > Decimal(0)
    assert all(f.code and f.message for f in plan.findings)
