"""Demo authorizations (docs/clinical-rules.md 7, 9) for the demo orders:

- ``DEMO-PA-COURSE``: an approval of the nurse's demo order
  (``patients_and_orders.NURSE_DEMO_MRN``) covering exactly its whole course — every cycle's
  dates, the number of cycles and the grams dispensed, from the plan frozen at signing — so that
  the nurse can book and start cycle 1;
- ``DEMO-PA-APPROVED``: an approval of the booked demo order expiring within 20 days, for the
  authorization admin's dashboard (it covers the first cycles);
- ``DEMO-PA-DENIED``: a denial (of the order awaiting verification) to appeal;
- ``DEMO-PA-SUBMITTED``: a request submitted six days ago, so the 5-day follow-up is due.

Idempotent by reference number; only when DEBUG and when the demo orders exist (runs after the
patients-and-orders and chairs-and-sessions seeds).
"""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from authorizations import services
from authorizations.coverage_rules import planned_cycles
from authorizations.models import Authorization
from demo.seeding.patients_and_orders import BOOKED_DEMO_MRN, NURSE_DEMO_MRN
from ivig.accounts.models import User
from orders.models import Order, OrderStatus

PAYER = "Demo Health Plan"
REFERENCES = ("DEMO-PA-COURSE", "DEMO-PA-APPROVED", "DEMO-PA-DENIED", "DEMO-PA-SUBMITTED")
# Which demo order each reference is for (by patient MRN; None: the signed demo order).
ORDER_OF = {
    "DEMO-PA-COURSE": NURSE_DEMO_MRN,
    "DEMO-PA-APPROVED": BOOKED_DEMO_MRN,
    "DEMO-PA-DENIED": None,
    "DEMO-PA-SUBMITTED": BOOKED_DEMO_MRN,
}


def _demo_order(mrn: str | None) -> Order | None:
    orders = Order.objects.filter(notes="Demo order.", patient__mrn__startswith="DEMO-")
    if mrn is None:
        return orders.filter(status=OrderStatus.SIGNED).order_by("pk").first()
    return (
        orders.filter(patient__mrn=mrn, status__in=(OrderStatus.VERIFIED, OrderStatus.ACTIVE))
        .order_by("pk")
        .first()
    )


def approve_whole_course(order: Order, *, by: User, reference: str) -> Authorization:
    """An approval of ``order``'s whole planned course, requested, submitted and decided by
    ``by`` through the services (the sessions seed's course history needs one before its past
    session starts, docs/clinical-rules.md 7)."""
    authorization = services.authorization_create(
        by=by,
        order=order,
        payer=PAYER,
        member_id=f"DHP-{order.patient.mrn}",
        reference_number=reference,
    )
    services.authorization_submit(authorization, by=by)
    _approve_course(authorization, order, by)
    authorization.refresh_from_db()
    return authorization


def _approve_course(authorization: Authorization, order: Order, admin: User) -> None:
    """Approve exactly the order's planned course (docs/clinical-rules.md 7: dates, cycles,
    grams)."""
    cycles = planned_cycles(order)
    grams = sum((cycle.grams or Decimal(0) for cycle in cycles), Decimal(0))
    services.authorization_record_decision(
        authorization,
        by=admin,
        approved=True,
        decision_date=timezone.localdate(),
        approved_cycles=len(cycles),
        approved_grams=grams,
        valid_from=cycles[0].first_day,
        valid_to=cycles[-1].last_day,
    )


def _approve_expiring(authorization: Authorization, order: Order, admin: User, today: date) -> None:
    services.authorization_record_decision(
        authorization,
        by=admin,
        approved=True,
        decision_date=today - timedelta(days=40),
        approved_cycles=2,
        approved_grams=Decimal(500),
        valid_from=order.start_date - timedelta(days=7),
        valid_to=today + timedelta(days=20),
    )


def _deny(authorization: Authorization, order: Order, admin: User, today: date) -> None:
    services.authorization_record_decision(
        authorization,
        by=admin,
        approved=False,
        decision_date=today - timedelta(days=2),
        reason="Not medically necessary: step therapy with steroids first.",
    )


def _leave_submitted(authorization: Authorization, order: Order, admin: User, today: date) -> None:
    """Backdated so that the 5-day follow-up is due."""
    Authorization.objects.filter(pk=authorization.pk).update(
        submitted_at=timezone.now() - timedelta(days=6)
    )


# What happens to each submitted demo request.
_DECIDE: dict[str, Callable[[Authorization, Order, User, date], None]] = {
    "DEMO-PA-COURSE": lambda authorization, order, admin, _today: _approve_course(
        authorization, order, admin
    ),
    "DEMO-PA-APPROVED": _approve_expiring,
    "DEMO-PA-DENIED": _deny,
    "DEMO-PA-SUBMITTED": _leave_submitted,
}


def seed() -> list[str]:
    if not settings.DEBUG:
        return ["demo authorizations skipped: DEBUG is off"]
    admin = User.objects.filter(username="authadmin").first()
    if admin is None or not Order.objects.filter(notes="Demo order.").exists():
        return ["demo authorizations skipped: no demo orders"]
    existing = set(
        Authorization.objects.filter(reference_number__in=REFERENCES).values_list(
            "reference_number", flat=True
        )
    )
    today = timezone.localdate()
    made = []
    for reference in REFERENCES:
        order = _demo_order(ORDER_OF[reference])
        if reference in existing or order is None:
            continue
        authorization = services.authorization_create(
            by=admin,
            order=order,
            payer=PAYER,
            member_id=f"DHP-{order.patient.mrn}",
            reference_number=reference,
        )
        services.authorization_submit(authorization, by=admin)
        _DECIDE[reference](authorization, order, admin, today)
        made.append(reference)
    if not made:
        return ["demo authorizations: already there"]
    return [f"demo authorizations: {', '.join(made)}"]
