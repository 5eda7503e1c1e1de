"""What the interop app does when the apps below announce an event (orders/signals.py,
infusions/signals.py): the push of the resource to the EHR (docs/fhir.md, "Out")."""

from typing import Any

from infusions.models import InfusionSession
from interop.models import PushEvent
from interop.outbound.push import push_enqueue
from orders.models import Order


def push_verified_order(sender: Any, *, order: Order, **_: Any) -> None:
    push_enqueue("MedicationRequest", order.pk, PushEvent.VERIFIED)


def push_discontinued_order(sender: Any, *, order: Order, **_: Any) -> None:
    """Only an order the EHR was told of (verified once): a signed order discontinued before
    verification never reached it."""
    if order.verified_at is not None:
        push_enqueue("MedicationRequest", order.pk, PushEvent.DISCONTINUED)


def push_superseded_order(sender: Any, *, order: Order, **_: Any) -> None:
    """The version in force a newer verified version replaced: stopped at the EHR too, so that
    its medication list never shows two requests for one course."""
    push_enqueue("MedicationRequest", order.pk, PushEvent.SUPERSEDED)


def push_completed_session(sender: Any, *, session: InfusionSession, **_: Any) -> None:
    push_enqueue("MedicationAdministration", session.pk, PushEvent.COMPLETED)
