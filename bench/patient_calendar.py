"""Plan latency on a busy IVIg calendar: median time of one ``compute_plan`` with the patient's
calendar (docs/clinical-rules.md 3.9) on one core.

Run: ``.venv/bin/python bench/patient_calendar.py [--rounds N]``. (Not ``bench/calendar.py``:
the bench folder is first on ``sys.path`` when a bench script runs, and a ``calendar.py`` there
would shadow the standard library module that Django and the email package import.) The
patient has 5 other open orders with 60 live sessions between them (given grams recorded on the
past ones) and the planned days of their unbooked cycles, and this order has its first two
cycles booked. Prints the median and
p95 per plan, the plan's findings, and the verdict against the target (median under 5 ms).
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ivig.engine import (
    CalendarDay,
    IndicationFacts,
    LabelRateStep,
    PatientCalendar,
    PatientFacts,
    PlanRequest,
    ProductFacts,
    Regimen,
    SessionDay,
    compute_plan,
)

TARGET_MEDIAN_MS = 5
OTHER_ORDERS = 5
SESSIONS_PER_ORDER = 12  # 5 orders x 12 = 60 live sessions
START = date(2027, 1, 4)


def busy_calendar() -> PatientCalendar:
    """5 other open orders, 60 live sessions and the planned days of unbooked cycles."""
    other_days: list[CalendarDay] = []
    for order_index in range(OTHER_ORDERS):
        order_id = 100 + order_index
        first = START - timedelta(days=140) + timedelta(days=9 * order_index)
        days = [first + timedelta(days=28 * (n // 4) + n % 4) for n in range(SESSIONS_PER_ORDER)]
        for number, day in enumerate(days):
            given = Decimal("27.5") if number % 3 else None  # grams recorded on most
            other_days.append(
                CalendarDay(
                    day=day,
                    dose_g=given if given is not None else Decimal(25),
                    order_id=order_id,
                    order_open=True,
                )
            )
        unbooked_from = days[-1] + timedelta(days=28)
        other_days.extend(
            CalendarDay(
                day=unbooked_from + timedelta(days=28 * cycle + offset),
                dose_g=Decimal(25),
                order_id=order_id,
                order_open=True,
            )
            for cycle in range(3)
            for offset in range(4)
        )
    own_sessions = [
        SessionDay(cycle_number=cycle + 1, day=START + timedelta(days=28 * cycle + offset))
        for cycle in range(2)
        for offset in range(5)
    ]
    return PatientCalendar(other_days=other_days, own_sessions=own_sessions)


def request() -> PlanRequest:
    return PlanRequest(
        patient=PatientFacts(
            weight_kg=Decimal("82.5"),
            height_cm=Decimal(168),
            sex="female",
            age_years=57,
            blood_group="A",
            risk_factors=["migraine"],
        ),
        product=ProductFacts(  # Privigen as in formulary/data/products.csv
            slug="privigen",
            brand_name="Privigen",
            concentration_pct=Decimal(10),
            low_iga=False,
            contains_sucrose=False,
            vial_sizes_g=[Decimal(5), Decimal(10), Decimal(20), Decimal(40)],
            label_rate_steps=[
                LabelRateStep(rate_mg_per_kg_per_min=Decimal(rate), minutes=minutes)
                for rate, minutes in (("0.5", 30), ("1", 30), ("2", 30), ("4", 30), ("8", None))
            ],
            label_max_mg_per_kg_per_min=Decimal(8),
            price_per_g=Decimal(95),
        ),
        indication=IndicationFacts(
            slug="pemphigus-vulgaris",
            name="Pemphigus vulgaris",
            category="Autoimmune mucocutaneous blistering diseases",
            max_daily_g_per_kg=Decimal(1),
            max_g_per_kg_per_28_days=Decimal(2),
        ),
        regimen=Regimen(
            total_dose_g_per_kg=Decimal(2),
            days_per_cycle=5,
            cycles=6,
            cycle_interval_days=28,
            start_date=START,
        ),
        concomitant_immunosuppressant="mycophenolate",
        signed_weight_kg=Decimal("82.5"),
        calendar=busy_calendar(),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2000, help="timed plans")
    args = parser.parse_args()

    planned = request()
    assert planned.calendar is not None
    for _ in range(50):  # warm-up
        plan = compute_plan(planned)
    samples_ms: list[float] = []
    for _ in range(args.rounds):
        begin = time.perf_counter()
        compute_plan(planned)
        samples_ms.append((time.perf_counter() - begin) * 1e3)

    median_ms = statistics.median(samples_ms)
    p95_ms = statistics.quantiles(samples_ms, n=20)[-1]
    calendar = planned.calendar
    print(f"Python {platform.python_version()} ({platform.python_implementation()})")
    print(
        f"calendar: {OTHER_ORDERS} other open orders, {OTHER_ORDERS * SESSIONS_PER_ORDER} live "
        f"sessions, {len(calendar.other_days)} other days, {len(calendar.own_sessions)} own "
        "sessions"
    )
    print(f"findings: {', '.join(finding.code for finding in plan.findings) or 'none'}")
    print(f"{args.rounds} plans: median {median_ms:.3f} ms per plan, p95 {p95_ms:.3f} ms")
    verdict = "OK" if median_ms < TARGET_MEDIAN_MS else "SLOWER THAN TARGET"
    print(f"target median < {TARGET_MEDIAN_MS} ms: {verdict}")


if __name__ == "__main__":
    main()
