"""Authorization test data: verified orders with a plan frozen at signing, approvals and
sessions, straight in the database (the rules are tested through the services)."""

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from authorizations.models import Authorization, AuthorizationStatus
from infusions.models import Chair, InfusionSession
from ivig.accounts.models import User
from orders.models import Indication, Order, OrderStatus
from tests.formulary.factories import ProductFactory
from tests.orders.factories import PatientFactory, UserFactory

# 4 vials of 10 g a day: 40 g a day, 80 g a two-day cycle.
VIALS = (("10", 4),)


def plan_json(
    start: date, cycles: int, days_per_cycle: int, interval: int, vials: Sequence[tuple[str, int]]
) -> dict[str, Any]:
    """The parts of a frozen plan (docs/api.md's JSON shape) that coverage reads."""
    return {
        "vials": [{"size_g": size, "count": count} for size, count in vials],
        "cycles": [
            {
                "number": number + 1,
                "days": [
                    (start + timedelta(days=number * interval + day)).isoformat()
                    for day in range(days_per_cycle)
                ],
            }
            for number in range(cycles)
        ],
    }


def indication() -> Indication:
    found, _ = Indication.objects.get_or_create(
        slug="test-indication",
        defaults={
            "name": "Test indication",
            "category": "Test",
            "default_total_g_per_kg": Decimal(2),
            "default_days_per_cycle": 5,
            "default_cycle_interval_days": 28,
            "max_daily_g_per_kg": Decimal(1),
            "max_g_per_kg_per_28_days": Decimal(2),
        },
    )
    return found


def make_order(
    *,
    start_date: date,
    cycles: int = 3,
    days_per_cycle: int = 2,
    interval: int = 21,
    status: str = OrderStatus.VERIFIED,
    vials: Sequence[tuple[str, int]] = VIALS,
    by: User | None = None,
    product: Any = None,
    **fields: Any,
) -> Order:
    by = by or UserFactory.create(username="order-clinician")
    order = Order.objects.create(
        patient=fields.pop("patient", None) or PatientFactory.create(),
        indication=indication(),
        product=product or ProductFactory.create(),
        total_dose_g_per_kg=Decimal(2),
        days_per_cycle=days_per_cycle,
        cycles=cycles,
        cycle_interval_days=interval,
        start_date=start_date,
        status=status,
        created_by=by,
        signed_by=by,
        signed_at=timezone.now(),
        plan_at_signing=plan_json(start_date, cycles, days_per_cycle, interval, vials),
        **fields,
    )
    return order


class AuthorizationFactory(factory.django.DjangoModelFactory[Authorization]):
    """A not-submitted authorization for ``order`` (pass it)."""

    class Meta:
        model = Authorization

    order: Any = None
    patient = factory.LazyAttribute(lambda o: o.order.patient)
    payer = "Acme Health"
    member_id = factory.Sequence(lambda n: f"M{n:05d}")
    reference_number = factory.Sequence(lambda n: f"PA-{n:05d}")
    created_by = factory.SubFactory(UserFactory)


def approved(
    order: Order,
    *,
    valid_from: date,
    valid_to: date,
    cycles: int,
    grams: Decimal | int | str,
    decided: date | None = None,
    **fields: Any,
) -> Authorization:
    return AuthorizationFactory.create(
        order=order,
        status=AuthorizationStatus.APPROVED,
        submitted_at=timezone.now() - timedelta(days=10),
        decision_date=decided or timezone.localdate(),
        valid_from=valid_from,
        valid_to=valid_to,
        approved_cycles=cycles,
        approved_grams=Decimal(grams),
        **fields,
    )


def at(day: date, clock: time = time(9, 0)) -> datetime:
    return timezone.make_aware(datetime.combine(day, clock))


def session(
    order: Order,
    cycle_number: int,
    day_number: int,
    day: date,
    *,
    status: str = "booked",
    chair: Chair | None = None,
    by: User | None = None,
) -> InfusionSession:
    chair = chair or Chair.objects.get_or_create(name=f"Chair for {order.pk}")[0]
    start = at(day, time(8 + day_number, 0))
    return InfusionSession.objects.create(
        order=order,
        cycle_number=cycle_number,
        day_number=day_number,
        chair=chair,
        planned_start=start,
        planned_end=start + timedelta(minutes=50),
        status=status,
        created_by=by or order.created_by,
    )
