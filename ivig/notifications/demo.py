"""Demo authorizations (DESIGN 7, 9) for the demo orders, so that the authorization admin's
dashboard and the follow-up sweep have something to show: one approval expiring soon, one
denial, one request submitted six days ago. Idempotent by reference number; only when DEBUG
and when demo orders exist (runs after the orders and infusions demos)."""

from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from ivig.accounts.models import User
from orders import authorizations as services
from orders.models import Authorization, Order, OrderStatus

PAYER = "Demo Health Plan"
REFERENCES = ("DEMO-PA-APPROVED", "DEMO-PA-DENIED", "DEMO-PA-SUBMITTED")


def seed() -> list[str]:
    if not settings.DEBUG:
        return ["demo authorizations skipped: DEBUG is off"]
    admin = User.objects.filter(username="authadmin").first()
    # The approval goes to the order furthest along (its sessions are booked), so that it
    # shows on the dashboard as expiring.
    rank = {OrderStatus.ACTIVE: 0, OrderStatus.VERIFIED: 1, OrderStatus.SIGNED: 2}
    orders = sorted(
        Order.objects.filter(patient__mrn__startswith="DEMO-", status__in=list(rank)),
        key=lambda order: (rank[OrderStatus(order.status)], order.pk),
    )
    if admin is None or not orders:
        return ["demo authorizations skipped: no demo orders"]
    existing = set(
        Authorization.objects.filter(reference_number__in=REFERENCES).values_list(
            "reference_number", flat=True
        )
    )
    today = timezone.localdate()
    made = []
    for index, reference in enumerate(REFERENCES):
        if reference in existing:
            continue
        order = orders[index % len(orders)]
        authorization = services.authorization_create(
            by=admin,
            order=order,
            payer=PAYER,
            member_id=f"DHP-{order.patient.mrn}",
            reference_number=reference,
        )
        services.authorization_submit(authorization, by=admin)
        if reference == "DEMO-PA-APPROVED":
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
        elif reference == "DEMO-PA-DENIED":
            services.authorization_record_decision(
                authorization,
                by=admin,
                approved=False,
                decision_date=today - timedelta(days=2),
                reason="Not medically necessary: step therapy with steroids first.",
            )
        else:  # backdated so that the 5-day follow-up is due
            Authorization.objects.filter(pk=authorization.pk).update(
                submitted_at=timezone.now() - timedelta(days=6)
            )
        made.append(reference)
    if not made:
        return ["demo authorizations: already there"]
    return [f"demo authorizations: {', '.join(made)}"]
