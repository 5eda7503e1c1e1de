"""Reminder sweeps at scale (docs/clinical-rules.md 8): seconds and queries for 10,000 active
orders.

Run: ``.venv/bin/python bench/reminder_sweeps.py [--orders N]`` (with ``DATABASE_URL`` for
PostgreSQL; SQLite otherwise). Works in a throwaway test database (created and destroyed
here, like the test runner does), never the configured one. Creates the orders in bulk, each
with a plan frozen at signing, a third with booked sessions, half with an approval, a quarter
with a request awaiting a decision; then runs both sweeps twice (the second run must make no
notification) and prints seconds and query counts (``CaptureQueriesContext``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time as clock
from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ivig.settings")

import django

django.setup()

from django.contrib.auth.models import Group  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from ivig.accounts.roles import GROUP_NAMES, Role  # noqa: E402

CHAIRS = 200


def plan(start: date, cycles: int, days: int, interval: int) -> dict[str, Any]:
    return {
        "vials": [{"size_g": "10", "count": 4}],
        "cycles": [
            {
                "number": n + 1,
                "days": [
                    (start + timedelta(days=n * interval + d)).isoformat() for d in range(days)
                ],
            }
            for n in range(cycles)
        ],
    }


def populate(count: int, today: date) -> None:
    from authorizations.models import Authorization, AuthorizationStatus
    from formulary.models import Product, ProductPrice, VialSize
    from infusions.models import Chair, InfusionSession
    from ivig.accounts.models import User
    from orders.models import (
        Indication,
        Order,
        OrderStatus,
        Patient,
    )

    users = {}
    for name, role in (
        ("bench-nurse-1", Role.NURSE),
        ("bench-nurse-2", Role.NURSE),
        ("bench-auth", Role.AUTHORIZATION_ADMIN),
        ("bench-clinician", Role.CLINICIAN),
    ):
        user = User.objects.create(username=name, email=f"{name}@bench.test")
        user.groups.add(Group.objects.get_or_create(name=GROUP_NAMES[role])[0])
        users[name] = user
    clinician = users["bench-clinician"]
    product = Product.objects.create(
        slug="benchgam", brand_name="Benchgam", manufacturer="Bench", concentration_pct=10
    )
    VialSize.objects.create(product=product, size_g=Decimal(10))
    ProductPrice.objects.create(product=product, price_per_g=Decimal(90), effective_from=today)
    indication = Indication.objects.order_by("pk").first() or Indication.objects.create(
        slug="bench",
        name="Bench",
        category="Bench",
        default_total_g_per_kg=2,
        default_days_per_cycle=5,
        default_cycle_interval_days=28,
        max_daily_g_per_kg=1,
        max_g_per_kg_per_28_days=2,
    )
    Patient.objects.bulk_create(
        [
            Patient(
                mrn=f"B{i:07d}",
                family_name=f"Bench{i}",
                given_name="P",
                date_of_birth=date(1970, 1, 1),
                sex="female",
            )
            for i in range(count)
        ],
        batch_size=1000,
    )
    patients = list(Patient.objects.filter(mrn__startswith="B").order_by("mrn"))
    Order.objects.bulk_create(
        [
            Order(
                patient=patient,
                indication=indication,
                product=product,
                total_dose_g_per_kg=Decimal(2),
                days_per_cycle=2,
                cycles=4,
                cycle_interval_days=21,
                start_date=today + timedelta(days=i % 30 - 10),
                status=OrderStatus.ACTIVE if i % 2 else OrderStatus.VERIFIED,
                created_by=clinician,
                signed_by=clinician,
                plan_at_signing=plan(today + timedelta(days=i % 30 - 10), 4, 2, 21),
            )
            for i, patient in enumerate(patients)
        ],
        batch_size=500,
    )
    orders = list(Order.objects.filter(created_by=clinician).order_by("pk"))
    chairs = Chair.objects.bulk_create([Chair(name=f"Bench chair {n}") for n in range(CHAIRS)])
    sessions = []
    for i, order in enumerate(orders):
        if i % 3:
            continue
        for day in (1, 2):
            # One chair and time slot per order (17 slots of 55 minutes a chair a day).
            slot = (i // 3 // CHAIRS) * 55 + (day - 1) * 24 * 60
            start = timezone.make_aware(datetime.combine(order.start_date, time(0))) + timedelta(
                minutes=slot
            )
            sessions.append(
                InfusionSession(
                    order=order,
                    cycle_number=1,
                    day_number=day,
                    chair=chairs[i // 3 % CHAIRS],
                    planned_start=start,
                    planned_end=start + timedelta(minutes=50),
                    status="booked",
                    created_by=clinician,
                )
            )
    for session in sessions:
        session.fill_patient_day()
    InfusionSession.objects.bulk_create(sessions, batch_size=1000)
    now = timezone.now()
    authorizations = []
    for i, order in enumerate(orders):
        common = {
            "patient_id": order.patient_id,
            "order": order,
            "payer": "Bench Health",
            "member_id": f"M{i}",
            "created_by": clinician,
            "submitted_at": now - timedelta(days=i % 9),
        }
        if i % 2 == 0:
            authorizations.append(
                Authorization(
                    **common,
                    status=AuthorizationStatus.APPROVED,
                    decision_date=today,
                    valid_from=today - timedelta(days=20),
                    valid_to=today + timedelta(days=i % 60 - 2),
                    approved_cycles=1 + i % 4,
                    approved_grams=Decimal(80 * (1 + i % 4)),
                )
            )
        elif i % 4 == 1:
            authorizations.append(Authorization(**common, status=AuthorizationStatus.SUBMITTED))
    Authorization.objects.bulk_create(authorizations, batch_size=1000)


def measure(name: str, sweep: Callable[[], dict[str, int]]) -> dict[str, int]:
    with CaptureQueriesContext(connection) as queries:
        started = clock.perf_counter()
        counts = sweep()
        seconds = clock.perf_counter() - started
    print(f"{name:28} {seconds:7.2f} s {len(queries.captured_queries):5d} queries  {counts}")
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000)
    args = parser.parse_args()

    from ivig.celery import app as celery_app
    from reminders.sweeps import authorization_follow_ups, cycle_reminders

    # Emails are sent by tasks; here they run in-process into memory.
    celery_app.conf.update(task_always_eager=True, CELERY_TASK_ALWAYS_EAGER=True)
    setup_test_environment()  # locmem email
    old_name = connection.settings_dict["NAME"]
    if connection.vendor != "sqlite":  # never the test runner's own test database
        connection.settings_dict["TEST"]["NAME"] = f"bench_reminders_{os.getpid()}"
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        today = timezone.localdate()
        started = clock.perf_counter()
        populate(args.orders, today)
        print(
            f"{connection.vendor}: {args.orders} active orders made in "
            f"{clock.perf_counter() - started:.1f} s"
        )
        for run in ("first run", "second run"):
            measure(f"cycle reminders, {run}", lambda: cycle_reminders(today))
            measure(f"authorization follow-ups, {run}", lambda: authorization_follow_ups(today))
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


if __name__ == "__main__":
    main()
