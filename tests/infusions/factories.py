"""Infusions test data: chairs with opening hours, a verified order of docs/api.md's worked example
(made in the database directly: the order services are tested in tests/orders) and sessions."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from authorizations.models import Authorization, AuthorizationStatus
from formulary.models import Product
from infusions.booking.next_cycles import refresh_next_cycle
from infusions.models import Chair, ChairOpeningHours, InfusionSession, SessionStatus
from ivig.accounts.models import User
from orders.models import Indication, Order, OrderOverride, OrderStatus
from tests.orders.factories import PatientFactory, PatientWeightFactory, UserFactory

WEEKDAYS = range(5)  # Monday to Friday


class ChairFactory(factory.django.DjangoModelFactory[Chair]):
    class Meta:
        model = Chair
        skip_postgeneration_save = True

    name = factory.Sequence(lambda n: f"Chair {n:02d}")
    location = "Day unit"

    @factory.post_generation
    def hours(self, create: bool, hours: Any, **kwargs: Any) -> None:
        """``hours=[(weekday, "08:00", "18:00"), ...]``; default every day 07:00-21:00."""
        rows = [(day, "07:00", "21:00") for day in range(7)] if hours is None else hours
        for weekday, opens, closes in rows:
            ChairOpeningHours.objects.create(
                chair=self,  # type: ignore[misc]
                weekday=weekday,
                opens_at=time.fromisoformat(opens),
                closes_at=time.fromisoformat(closes),
            )


def verified_order(**overrides: Any) -> Order:
    """docs/api.md's worked example as a verified order: 250 mL a day, titration (rules v3) 20,
    41, 82, 124, ... mL/h, chair time 221 minutes, 5 days a cycle, 6 cycles 28 days apart, from
    tomorrow."""
    patient = PatientFactory.create(blood_group="A", iga_status="normal", risk_factors=["migraine"])
    recorder = UserFactory.create()
    PatientWeightFactory.create(patient=patient, weight_kg=Decimal("82.5"), recorded_by=recorder)
    values: dict[str, Any] = {
        "patient": patient,
        "indication": Indication.objects.get(slug="pemphigus-vulgaris"),
        "product": Product.objects.get(slug="privigen"),
        "total_dose_g_per_kg": Decimal("2"),
        "days_per_cycle": 5,
        "cycles": 6,
        "cycle_interval_days": 28,
        "start_date": timezone.localdate() + timedelta(days=1),
        "concomitant_immunosuppressant": "mycophenolate",
        "premedication": "diphenhydramine 25 mg PO; acetaminophen 500 mg PO",
        "status": OrderStatus.VERIFIED,
        "created_by": recorder,
        **overrides,
    }
    order = Order.objects.create(**values)
    _authorize_whole_course(order, recorder)
    return order


def _authorize_whole_course(order: Order, by: User) -> None:
    """An approval covering every cycle (docs/clinical-rules.md 7: a session is started only when
    covered); the authorization rules themselves are tested in tests/authorizations."""
    Authorization.objects.create(
        patient=order.patient,
        order=order,
        payer="Test payer",
        member_id="TEST",
        status=AuthorizationStatus.APPROVED,
        submitted_at=timezone.now(),
        decision_date=timezone.localdate(),
        valid_from=order.start_date - timedelta(days=365),
        valid_to=order.start_date + timedelta(days=3 * 365),
        approved_cycles=60,
        approved_grams=Decimal(100000),
        created_by=by,
    )


def local(day: date, clock: str) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.fromisoformat(clock)))


def yesterday_at(clock: str) -> datetime:
    """A clock time yesterday: sessions run there so that every entry is in the past and on
    the session's day, whatever the time the tests run."""
    return local(timezone.localdate() - timedelta(days=1), clock)


def session_for(
    order: Order,
    chair: Chair,
    start: datetime,
    *,
    by: User,
    minutes: int = 209,
    status: str = SessionStatus.BOOKED,
    cycle_number: int = 1,
    day_number: int = 1,
) -> InfusionSession:
    """A session straight in the database (booking rules are tested through the services),
    with the order's next cycle to book stored again as every booking path does."""
    session = InfusionSession.objects.create(
        order=order,
        chair=chair,
        cycle_number=cycle_number,
        day_number=day_number,
        planned_start=start,
        planned_end=start + timedelta(minutes=minutes),
        status=status,
        created_by=by,
    )
    refresh_next_cycle(order)
    return session


def two_meant_orders_of_one_patient(**values: Any) -> tuple[Order, Order]:
    """Two one-day orders of one patient, small enough together to keep the dose caps, each
    carrying CONCURRENT_IVIG_ORDER with a reason (docs/clinical-rules.md 3.9: both meant), so
    that a test can put the one-session-a-day rule (6.1) on its own at stake."""
    small: dict[str, Any] = {"days_per_cycle": 1, "total_dose_g_per_kg": Decimal("0.4"), **values}
    first = verified_order(**small)
    second = verified_order(**small, patient=first.patient)
    for order in (first, second):
        OrderOverride.objects.create(
            order=order,
            code="CONCURRENT_IVIG_ORDER",
            message="Another open IVIg order of the patient.",
            reason="Both meant: a loading order and the maintenance course.",
            overridden_by=order.created_by,
        )
    return first, second
