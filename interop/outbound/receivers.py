"""What the interop app does when the apps below announce an event (orders/signals.py,
infusions/signals.py): the push of the resource to the EHR (docs/fhir.md, "Out")."""

from typing import Any

from infusions.models import InfusionSession
from interop.models import FhirPush, PushEvent
from interop.outbound.push import push_enabled
from interop.tasks import fhir_push
from ivig.outbox.services import enqueue_on_commit
from orders.models import Order


def push_enqueue(resource_type: str, record_id: int, event: str) -> FhirPush | None:
    """Record the push of one resource for one event and enqueue its sending after the commit;
    None when pushing is off (``FHIR_PUSH_URL`` unset)."""
    if not push_enabled():
        return None
    push, created = FhirPush.objects.get_or_create(
        resource_type=resource_type, record_id=record_id, event=event
    )
    if created:
        enqueue_on_commit(fhir_push, push.pk)
    return push


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
