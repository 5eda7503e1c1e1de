"""Lot recall look-up (issue 23): who received lot X of a product? IVIg is a plasma product; the
first question of a recall is every patient and session that received the lot.

A lot is recorded on the administration record (``lot_recorded`` entries: lot number, vial size,
vials). The look-up matches the product and the lot number without regard to case or spaces
around it; each row is one entry: the patient, the session (its day and status), the order, the
vials and grams, when and by whom it was recorded. Notifying sends each patient's clinicians (who
signed or created the patient's orders of that product) one in-app notification per lot.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from formulary.models import Product
from infusions.administration.models import AdministrationEntry, EntryKind
from infusions.booking.models import InfusionSession
from ivig.notifications.models import SUBJECT_ORDER, Kind
from ivig.notifications.services import NotificationDraft, notify_many
from orders.models import Order, Patient


@dataclass(frozen=True)
class LotRow:
    entry_id: int
    patient: Patient
    session: InfusionSession
    order: Order
    session_day: date
    recorded_at: datetime
    nurse: str
    vials: int
    vial_size_g: Decimal
    grams: Decimal


def normalized_lot(lot_number: str) -> str:
    return lot_number.strip()


def lot_rows(product: Product, lot_number: str) -> list[LotRow]:
    """Every recorded use of ``lot_number`` of ``product``, earliest session first."""
    lot = normalized_lot(lot_number)
    if not lot:
        return []
    entries = (
        AdministrationEntry.objects.filter(
            kind=EntryKind.LOT_RECORDED,
            session__order__product=product,
        )
        .filter(Q(lot_number__iexact=lot))
        .select_related("session__order__patient", "recorded_by")
        .order_by("session__planned_start", "occurred_at", "pk")
    )
    rows = []
    for entry in entries:
        session = entry.session
        assert entry.vial_size_g is not None and entry.vial_count is not None
        rows.append(
            LotRow(
                entry_id=entry.pk,
                patient=session.order.patient,
                session=session,
                order=session.order,
                session_day=timezone.localdate(session.planned_start),
                recorded_at=entry.occurred_at,
                nurse=str(entry.recorded_by),
                vials=entry.vial_count,
                vial_size_g=entry.vial_size_g,
                grams=entry.vial_size_g * entry.vial_count,
            )
        )
    return rows


def notify_clinicians(product: Product, lot_number: str, rows: list[LotRow]) -> int:
    """One notification per clinician and patient's order: the lot, the sessions. Returns how
    many were made (none twice for the same lot on the same day)."""
    lot = normalized_lot(lot_number)
    today = timezone.localdate()
    by_order: dict[int, list[LotRow]] = {}
    for row in rows:
        by_order.setdefault(row.order.pk, []).append(row)
    drafts = []
    for order_rows in by_order.values():
        order = order_rows[0].order
        days = ", ".join(sorted({row.session_day.isoformat() for row in order_rows}))
        clinicians = {order.signed_by_id, order.created_by_id} - {None}
        for clinician_id in clinicians:
            assert clinician_id is not None
            drafts.append(
                NotificationDraft(
                    recipient_id=clinician_id,
                    subject_type=SUBJECT_ORDER,
                    subject_id=order.pk,
                    kind=Kind.LOT_RECALL,
                    due_date=today,
                    title=(
                        f"Lot recall: {product.brand_name} lot {lot} was given to "
                        f"{order.patient.full_name}"
                    )[:200],
                    body=f"Order {order.number}, sessions on {days}. Check on the patient.",
                    url=reverse("orders:order-detail", args=[order.pk]),
                )
            )
    return notify_many(drafts)
