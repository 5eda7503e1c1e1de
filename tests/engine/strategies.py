"""Hypothesis strategies for plan requests, shared by the engine's property tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from hypothesis import strategies as st

from ivig.engine import PlanRequest
from tests.engine.factories import INDICATION_SLUGS, PRODUCT_SLUGS, plan_request

RISK_FACTORS = (
    "migraine",
    "cardiac_disease",
    "cardiac_insufficiency",
    "thrombosis",
    "renal_impairment",
    "renal_failure",
    "diabetes",
    "estrogen_use",
)


def _tenths(low: int, high: int) -> st.SearchStrategy[str]:
    return st.integers(low, high).map(lambda tenths: str(Decimal(tenths) / 10))


@st.composite
def valid_requests(draw: st.DrawFn) -> PlanRequest:
    """Requests inside every INVALID_INPUT range (other findings may still fire)."""
    by_total = draw(st.booleans())
    return plan_request(
        weight_kg=draw(_tenths(10, 3500)),
        height_cm=draw(_tenths(400, 2500)),
        sex=draw(st.sampled_from(["female", "male"])),
        age_years=draw(st.integers(0, 100)),
        blood_group=draw(st.sampled_from(["O", "A", "B", "AB", "unknown"])),
        iga_status=draw(st.sampled_from(["normal", "deficient", "unknown"])),
        risk_factors=tuple(draw(st.lists(st.sampled_from(RISK_FACTORS), max_size=3))),
        pregnant=draw(st.booleans()),
        product_slug=draw(st.sampled_from(PRODUCT_SLUGS)),
        indication_slug=draw(st.sampled_from(INDICATION_SLUGS)),
        total_dose_g_per_kg=draw(st.integers(1, 60).map(lambda n: str(Decimal(n) / 20)))
        if by_total
        else None,
        daily_dose_mg_per_kg=None if by_total else draw(st.integers(50, 2000).map(str)),
        days_per_cycle=draw(st.integers(1, 5)),
        cycles=draw(st.integers(1, 8)),
        cycle_interval_days=draw(st.integers(7, 90)),
        start_date=draw(st.dates(date(2026, 1, 1), date(2030, 12, 31))),
        dosing_weight_basis=draw(st.sampled_from(["auto", "actual", "ideal", "adjusted"])),
        rate_protocol=draw(st.sampled_from(["protocol", "label"])),
        target_rate_ml_per_h=draw(st.integers(60, 260)),
        concomitant_immunosuppressant=draw(st.sampled_from([None, "rituximab"])),
    )


@st.composite
def any_requests(draw: st.DrawFn) -> PlanRequest:
    """Requests with values on both sides of every range, and unknown product/indication."""
    by_total = draw(st.booleans())
    return plan_request(
        weight_kg=draw(st.one_of(st.none(), _tenths(-10, 3600))),
        height_cm=draw(st.one_of(st.none(), _tenths(300, 2600))),
        sex=draw(st.sampled_from([None, "female", "male"])),
        age_years=draw(st.integers(-1, 131)),
        blood_group=draw(st.sampled_from(["O", "A", "AB"])),
        risk_factors=tuple(draw(st.lists(st.sampled_from(RISK_FACTORS), max_size=3))),
        product_slug=draw(st.sampled_from([None, *PRODUCT_SLUGS])),
        indication_slug=draw(st.sampled_from([None, *INDICATION_SLUGS])),
        total_dose_g_per_kg=draw(st.integers(-2, 60).map(lambda n: str(Decimal(n) / 20)))
        if by_total
        else None,
        daily_dose_mg_per_kg=None if by_total else draw(st.integers(-100, 2000).map(str)),
        days_per_cycle=draw(st.integers(0, 6)),
        cycles=draw(st.integers(0, 61)),
        cycle_interval_days=draw(st.integers(6, 91)),
        dosing_weight_basis=draw(st.sampled_from(["auto", "actual", "ideal", "adjusted"])),
        rate_protocol=draw(st.sampled_from(["protocol", "label"])),
        target_rate_ml_per_h=draw(st.integers(0, 260)),
    )
