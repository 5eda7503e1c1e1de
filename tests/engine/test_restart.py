"""Rates at clock times and the plan after a restart (ivig/engine/restart.py; docs/clinical-rules.md
3.4, 3.5).

Worked on docs/api.md's example: 250 mL; rules v3 titration 20 (0-30 min), 41 (30-60), 82
(60-90), then 124, 139, 154, 169, 184 mL/h every 15 minutes (184 from 150 min to the end).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from ivig.engine import compute_plan
from ivig.engine.restart import (
    RateSegment,
    planned_rate_at,
    restart_plan,
    volume_given_ml,
)
from tests.engine.test_worked_example import _worked_example_request


@pytest.fixture(scope="module")
def titration():
    plan = compute_plan(_worked_example_request())
    assert plan.titration is not None
    return plan.titration


@pytest.mark.parametrize(
    ("elapsed_min", "rate_ml_per_h"),
    [
        ("-5", 20),  # before the start: the first step
        ("0", 20),
        ("29.9", 20),
        ("30", 41),  # a step starts on its minute
        ("89.5", 82),
        ("90", 124),
        ("150", 184),  # the last step ...
        ("500", 184),  # ... and beyond the planned end, never faster
    ],
)
def test_planned_rate_at_elapsed_minute(titration, elapsed_min: str, rate_ml_per_h: int) -> None:
    assert planned_rate_at(titration, Decimal(elapsed_min)) == rate_ml_per_h


def test_planned_rate_needs_steps() -> None:
    with pytest.raises(ValueError):
        planned_rate_at([], Decimal(0))


def test_volume_given_worked_example() -> None:
    # 34 * 15 / 60 = 8.5; 49 * 15 / 60 = 12.25; 64 * 10 / 60 = 10.666..; stopped 20 min: 0
    # total 31.4166.. -> 31.4 mL
    segments = [
        RateSegment(34, Decimal(15)),
        RateSegment(49, Decimal(15)),
        RateSegment(64, Decimal(10)),
        RateSegment(0, Decimal(20)),
    ]
    assert volume_given_ml(segments) == Decimal("31.4")


def test_volume_given_half_up_and_seconds() -> None:
    # 30 mL/h for 0.5 minute (30 s) = 0.25 mL -> 0.3 (half up)
    assert volume_given_ml([RateSegment(30, Decimal("0.5"))]) == Decimal("0.3")
    assert volume_given_ml([]) == Decimal(0)


def test_volume_given_refuses_negative_segments() -> None:
    with pytest.raises(ValueError):
        volume_given_ml([RateSegment(34, Decimal(-1))])


def test_restart_plan_worked_example() -> None:
    # 250 - 31.4 = 218.6 mL at 49 mL/h: 218.6 * 60 / 49 = 267.67 -> 268 minutes.
    # The restart rate is the top rate from its first minute: checks 0, 60, 120, 180, 240, end.
    plan = restart_plan(rate_ml_per_h=49, daily_volume_ml=250, volume_given_ml=Decimal("31.4"))
    assert plan.rate_ml_per_h == 49
    assert plan.remaining_volume_ml == Decimal("218.6")
    assert plan.infusion_minutes == 268
    assert plan.vital_checks_min == [0, 60, 120, 180, 240, 268]


def test_restart_plan_exact_minutes_and_nothing_left() -> None:
    # 100 mL at 100 mL/h: exactly 60 minutes, checks 0 and 60 (no duplicate).
    plan = restart_plan(rate_ml_per_h=100, daily_volume_ml=150, volume_given_ml=Decimal(50))
    assert (plan.infusion_minutes, plan.vital_checks_min) == (60, [0, 60])
    # More given than planned (a correction, rounding): nothing remains, a single check.
    done = restart_plan(rate_ml_per_h=10, daily_volume_ml=100, volume_given_ml=Decimal("100.2"))
    assert done.remaining_volume_ml == 0
    assert (done.infusion_minutes, done.vital_checks_min) == (0, [0])


def test_restart_plan_refuses_a_zero_rate() -> None:
    with pytest.raises(ValueError):
        restart_plan(rate_ml_per_h=0, daily_volume_ml=100, volume_given_ml=Decimal(0))
