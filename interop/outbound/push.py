"""Out: the order versions verified or discontinued and the sessions completed, sent to the EHR's
FHIR server (``FHIR_PUSH_URL``; docs/fhir.md, "Out").

- Each event is one ``FhirPush`` row (one per resource and event: an event announced twice is
  sent once), written in the changing transaction, and one task through the outbox
  (``enqueue_on_commit``): at least once, after the commit, never for a change rolled back.
- Idempotent on the resource's identifier: a verification and a completion are conditional
  creates (``POST [base]/{type}`` with ``If-None-Exist: identifier=system|value``); a
  discontinuation, or a version superseded when a newer one is verified (stopped), is a
  conditional update (``PUT [base]/MedicationRequest?identifier=…``), which creates it if the
  EHR never had it. Sent twice, or in any order, the EHR ends with one
  resource per identifier in its last state.
- The resource is the one the server serves, made to stand on its own at the EHR: no ``id``
  (the EHR's), the patient by MRN (``subject.identifier``), the order by its identifier, the
  product as a ``medicationCodeableConcept``; validated by ``fhir.resources`` before sending.
- A failure (no answer, 5xx, 408, 429) is sent again after a back-off (1, 2, 4 … minutes, at
  most 6 hours) by the ``interop.fhir_push_retry`` beat task, at most ``MAX_ATTEMPTS`` times; a
  refusal (any other 4xx) or the last failure stops, ``stopped``. Every row is on the admin's
  "FHIR pushes" page with its last error.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from datetime import timedelta
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from infusions.models import InfusionSession
from interop.fhir import FhirError, resource_json
from interop.models import FhirPush, PushEvent, PushStatus
from interop.resources.medication import medication_resource
from interop.resources.medication_administration import SESSION_SYSTEM, administration_resource
from interop.resources.medication_request import ORDER_SYSTEM, medication_request
from interop.resources.patient import mrn_system
from orders.dose_plans.plan_accessor import lineage_id
from orders.models import Order, Patient

FHIR_JSON = "application/fhir+json"
TIMEOUT_S = 10
MAX_ATTEMPTS = 8
FIRST_BACKOFF = timedelta(minutes=1)
MAX_BACKOFF = timedelta(hours=6)
RETRY_BATCH = 100
# Answers worth sending again: the EHR was busy or timed out.
RETRY_STATUSES = frozenset({408, 429})
ERROR_CHARS = 2000


def push_enabled() -> bool:
    return bool(getattr(settings, "FHIR_PUSH_URL", ""))


# --- the resource, standing on its own at the EHR -----------------------------------------


def _patient_by_mrn(patient: Patient) -> dict[str, Any]:
    return {
        "identifier": {"system": mrn_system(), "value": patient.mrn},
        "display": f"{patient.family_name}, {patient.given_name}",
    }


def _order_identifier(order: Order) -> dict[str, str]:
    return {"system": ORDER_SYSTEM, "value": f"{lineage_id(order)}-{order.revision}"}


def request_body(order: Order) -> dict[str, Any]:
    body = resource_json(medication_request(order))
    body.pop("id", None)
    body.pop("reasonReference", None)
    body["subject"] = _patient_by_mrn(order.patient)
    body.pop("medicationReference", None)
    body["medicationCodeableConcept"] = resource_json(medication_resource(order.product))["code"]
    return body


def administration_body(session: InfusionSession) -> dict[str, Any]:
    body = resource_json(administration_resource(session))
    body.pop("id", None)
    body["subject"] = _patient_by_mrn(session.patient)
    body["request"] = {"identifier": _order_identifier(session.order)}
    return body


def _validated(body: dict[str, Any]) -> dict[str, Any]:
    """The body as the R4B model of its type reads it back (raises when it is not valid)."""
    model = get_fhir_model_class(body["resourceType"]).model_validate(body)
    return dict(model.model_dump(mode="json"))


def prepared(push: FhirPush) -> tuple[str, str, dict[str, Any]]:
    """(method, address relative to the base, body) of one push."""
    if push.resource_type == "MedicationRequest":
        order = Order.objects.select_related("patient", "product", "indication", "signed_by").get(
            pk=push.record_id
        )
        body, identifier = request_body(order), _order_identifier(order)
    else:
        session = InfusionSession.objects.select_related(
            "patient", "order__product", "order__patient"
        ).get(pk=push.record_id)
        body = administration_body(session)
        identifier = {"system": SESSION_SYSTEM, "value": str(session.pk)}
    token = f"{identifier['system']}|{identifier['value']}"
    push.identifier = token
    if push.event in (PushEvent.DISCONTINUED, PushEvent.SUPERSEDED):
        return "PUT", f"{push.resource_type}?identifier={quote(token, safe='')}", _validated(body)
    return "POST", push.resource_type, _validated(body)


# --- sending -----------------------------------------------------------------------------------


def _send(method: str, address: str, body: dict[str, Any], identifier: str) -> tuple[int, str]:
    """(HTTP status, the answer's first characters); ``OSError`` when no answer came."""
    headers = {"Content-Type": FHIR_JSON, "Accept": FHIR_JSON}
    if method == "POST":
        headers["If-None-Exist"] = f"identifier={quote(identifier, safe='|:')}"
    if settings.FHIR_PUSH_TOKEN:
        headers["Authorization"] = f"Bearer {settings.FHIR_PUSH_TOKEN}"
    request = urllib.request.Request(
        f"{settings.FHIR_PUSH_URL}/{address}",
        data=json.dumps(body, ensure_ascii=False).encode(),
        headers=headers,
        method=method,
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as answer:
            return answer.status, answer.read(ERROR_CHARS).decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, error.read(ERROR_CHARS).decode(errors="replace")


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 … minutes after the ``attempts``-th failure, at most ``MAX_BACKOFF``."""
    return min(FIRST_BACKOFF * 2 ** max(attempts - 1, 0), MAX_BACKOFF)


def _failed(push: FhirPush, message: str, *, retry: bool) -> None:
    push.last_error = message[:ERROR_CHARS]
    if retry and push.attempts < MAX_ATTEMPTS:
        push.status = PushStatus.RETRYING
        push.next_attempt_at = timezone.now() + backoff(push.attempts)
    else:
        push.status = PushStatus.STOPPED
        push.next_attempt_at = None


def _attempt(push: FhirPush) -> None:
    push.attempts += 1
    push.last_attempt_at = timezone.now()
    push.http_status = None
    try:
        method, address, body = prepared(push)
    except (FhirError, Order.DoesNotExist, InfusionSession.DoesNotExist) as error:
        _failed(push, f"Not sent: {error}", retry=False)
        return
    try:
        status, text = _send(method, address, body, push.identifier)
    except (OSError, ValueError) as error:
        _failed(push, f"No answer from the EHR: {error}", retry=True)
        return
    push.http_status = status
    if 200 <= status < 300:
        push.status, push.sent_at, push.last_error = PushStatus.SENT, timezone.now(), ""
        push.next_attempt_at = None
    else:
        _failed(push, f"HTTP {status}: {text}", retry=status >= 500 or status in RETRY_STATUSES)


def push_send(push_id: int) -> str:
    """Send one push (once: a sent or stopped one is left alone); returns its status."""
    with transaction.atomic():
        push = FhirPush.objects.select_for_update().filter(pk=push_id).first()
        if push is None or push.status in (PushStatus.SENT, PushStatus.STOPPED):
            return push.status if push else "missing"
        if not push_enabled():
            return str(push.status)
        _attempt(push)
        push.save()
        return str(push.status)


def push_retry_due(now: Any = None) -> int:
    """Send again the pushes whose back-off is over (oldest first); how many were tried."""
    due = FhirPush.objects.filter(
        status=PushStatus.RETRYING, next_attempt_at__lte=now or timezone.now()
    ).order_by("next_attempt_at", "pk")
    ids = list(due.values_list("pk", flat=True)[:RETRY_BATCH])
    for push_id in ids:
        push_send(push_id)
    return len(ids)
