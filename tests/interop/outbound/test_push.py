"""FHIR out: verified/discontinued orders and completed sessions pushed to the EHR, received by
a local HTTP server that validates what it receives with fhir.resources."""

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import unquote

import pytest
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class

from infusions.administration import services as administration
from infusions.administration.entries import parse_entry
from infusions.administration.given import session_given
from infusions.booking.session_plan import session_runnable_plan
from interop.models import FhirPush, PushStatus
from interop.outbound.push import MAX_ATTEMPTS, backoff, push_retry_due
from interop.outbound.receivers import push_enqueue
from orders.dose_plans.plan_accessor import lineage_id
from orders.services import (
    order_create,
    order_discontinue,
    order_sign,
    order_update,
    order_verify,
)
from tests.conftest import TEST_PASSWORD
from tests.infusions.factories import ChairFactory, session_for, verified_order, yesterday_at
from tests.orders.factories import order_values, worked_example_patient

pytestmark = pytest.mark.django_db
MRN_SYSTEM = "https://hospital.example/mrn"


class EHR:
    """What the fake EHR received, and what it answers next."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self.answers: list[int] = []

    def answer(self) -> int:
        return self.answers.pop(0) if self.answers else 201


@pytest.fixture
def ehr(settings) -> Iterator[EHR]:
    state = EHR()

    class Handler(BaseHTTPRequestHandler):
        def _receive(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            body = json.loads(raw)
            # Raises (a 500, which the test sees) when the resource is not valid R4B FHIR.
            resource = get_fhir_model_class(body["resourceType"]).model_validate(body)
            state.received.append(
                {
                    "method": self.command,
                    "path": unquote(self.path),
                    "headers": dict(self.headers),
                    "resource": resource,
                }
            )
            status = state.answer()
            self.send_response(status)
            self.send_header("Content-Type", "application/fhir+json")
            self.end_headers()
            self.wfile.write(b'{"resourceType":"OperationOutcome","issue":[]}')

        do_POST = do_PUT = _receive

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.FHIR_PUSH_URL = f"http://127.0.0.1:{server.server_port}/fhir"
    settings.FHIR_PUSH_TOKEN = "secret-token"
    settings.FHIR_MRN_SYSTEM = MRN_SYSTEM
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def signed(clinician):
    patient = worked_example_patient(clinician)
    draft = order_create(by=clinician, **order_values(patient))
    return order_sign(
        draft, by=clinician, password=TEST_PASSWORD, override_reasons={}, version=draft.version
    )


def test_a_verified_order_is_pushed_once_as_a_conditional_create(
    ehr, signed, pharmacist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        verified = order_verify(
            signed, by=pharmacist, acknowledged_codes=[], version=signed.version
        )
    [sent] = ehr.received
    identifier = f"urn:ivig:order|{lineage_id(verified)}-{verified.revision}"
    assert (sent["method"], sent["path"]) == ("POST", "/fhir/MedicationRequest")
    assert sent["headers"]["If-None-Exist"] == f"identifier={identifier}"
    assert sent["headers"]["Authorization"] == "Bearer secret-token"
    request = sent["resource"]
    assert request.id is None  # the EHR's to give
    assert request.status == "active"
    assert (request.subject.identifier.system, request.subject.identifier.value) == (
        MRN_SYSTEM,
        verified.patient.mrn,
    )
    assert request.medicationCodeableConcept.text
    assert f"{request.identifier[0].system}|{request.identifier[0].value}" == identifier
    [push] = FhirPush.objects.all()
    assert (push.status, push.attempts, push.http_status) == (PushStatus.SENT, 1, 201)
    # The same event again sends nothing more (idempotent).
    with django_capture_on_commit_callbacks(execute=True):
        push_enqueue("MedicationRequest", verified.pk, "verified")
    assert len(ehr.received) == 1 and FhirPush.objects.count() == 1


def test_a_discontinued_order_is_a_conditional_update(
    ehr, signed, clinician, pharmacist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        verified = order_verify(
            signed, by=pharmacist, acknowledged_codes=[], version=signed.version
        )
    with django_capture_on_commit_callbacks(execute=True):
        order_discontinue(verified, by=clinician, reason="Remission", version=verified.version)
    _, sent = ehr.received
    identifier = f"urn:ivig:order|{lineage_id(signed)}-{signed.revision}"
    assert (sent["method"], sent["path"]) == (
        "PUT",
        f"/fhir/MedicationRequest?identifier={identifier}",
    )
    assert sent["resource"].status == "stopped"
    assert sent["resource"].statusReason.text == "Remission"


def test_a_version_superseded_by_a_newer_verified_one_is_stopped_at_the_ehr(
    ehr, signed, clinician, pharmacist, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = order_verify(signed, by=pharmacist, acknowledged_codes=[], version=signed.version)
    draft = order_update(first, by=clinician, version=first.version, cycles=3)
    second = order_sign(
        draft, by=clinician, password=TEST_PASSWORD, override_reasons={}, version=draft.version
    )
    with django_capture_on_commit_callbacks(execute=True):
        order_verify(second, by=pharmacist, acknowledged_codes=[], version=second.version)
    sent = {(r["method"], r["resource"].identifier[0].value): r["resource"] for r in ehr.received}
    lineage = lineage_id(first)
    assert sent.keys() == {
        ("POST", f"{lineage}-{first.revision}"),
        ("PUT", f"{lineage}-{first.revision}"),
        ("POST", f"{lineage}-{second.revision}"),
    }
    replaced = sent[("PUT", f"{lineage}-{first.revision}")]
    assert replaced.status == "stopped"
    assert "newer version" in replaced.statusReason.text
    assert sent[("POST", f"{lineage}-{second.revision}")].status == "active"


def test_a_signed_order_discontinued_before_verification_is_not_pushed(
    ehr, signed, clinician, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        order_discontinue(signed, by=clinician, reason="Wrong patient", version=signed.version)
    assert not ehr.received and not FhirPush.objects.exists()


def test_a_completed_session_pushes_its_administration(
    ehr, nurse, django_capture_on_commit_callbacks
):
    order = verified_order()
    session = session_for(order, ChairFactory.create(), yesterday_at("09:00"), by=nurse)

    def record(kind: str, clock: str, **data: Any) -> None:
        administration.administration_record(
            session, parse_entry({"kind": kind, **data}), by=nurse, occurred_at=yesterday_at(clock)
        )

    record("lot_recorded", "09:10", lot_number="A123", vial_size_g="20", vial_count=1)
    record("started", "09:30")
    plan = session_runnable_plan(session)
    assert plan.titration
    # The second step begins this many minutes after the 09:30 start (the label's steps, v3).
    second_at = 9 * 60 + 30 + plan.titration[1].start_min
    record(
        "rate_changed",
        f"{second_at // 60:02d}:{second_at % 60:02d}",
        rate_ml_per_h=plan.titration[1].rate_ml_per_h,
    )
    assert not ehr.received
    with django_capture_on_commit_callbacks(execute=True):
        record("completed", "16:00", volume_ml="250", grams_given="25")
    [sent] = ehr.received
    assert (sent["method"], sent["path"]) == ("POST", "/fhir/MedicationAdministration")
    assert sent["headers"]["If-None-Exist"] == (
        f"identifier=urn:ivig:infusion-session|{session.pk}"
    )
    administration_ = sent["resource"]
    session.refresh_from_db()
    given = session_given(session, session_runnable_plan(session))
    assert administration_.dosage.dose.value == given.grams
    assert administration_.contained[0].batch.lotNumber == "A123"
    assert administration_.request.identifier.value == f"{lineage_id(order)}-{order.revision}"
    assert administration_.subject.identifier.value == session.patient.mrn


def test_a_failure_is_retried_with_back_off_then_sent(
    ehr, signed, pharmacist, django_capture_on_commit_callbacks
):
    ehr.answers = [503]
    with django_capture_on_commit_callbacks(execute=True):
        order_verify(signed, by=pharmacist, acknowledged_codes=[], version=signed.version)
    push = FhirPush.objects.get()
    assert (push.status, push.http_status, push.attempts) == (PushStatus.RETRYING, 503, 1)
    assert "HTTP 503" in push.last_error
    assert push.next_attempt_at is not None
    assert push.next_attempt_at > timezone.now() + backoff(1) - timedelta(seconds=5)
    assert push_retry_due() == 0  # not before its back-off is over
    assert push_retry_due(now=timezone.now() + timedelta(minutes=2)) == 1
    push.refresh_from_db()
    assert (push.status, push.attempts, push.last_error) == (PushStatus.SENT, 2, "")
    assert len(ehr.received) == 2


def test_a_refusal_stops_and_stays_visible(
    ehr, signed, pharmacist, django_capture_on_commit_callbacks, admin_client
):
    ehr.answers = [422]
    with django_capture_on_commit_callbacks(execute=True):
        order_verify(signed, by=pharmacist, acknowledged_codes=[], version=signed.version)
    push = FhirPush.objects.get()
    assert (push.status, push.next_attempt_at) == (PushStatus.STOPPED, None)
    assert push_retry_due(now=timezone.now() + timedelta(days=1)) == 0
    page = admin_client.get("/admin/interop/fhirpush/")
    assert page.status_code == 200
    assert "HTTP 422" in page.content.decode()


def test_no_answer_is_retried_until_the_last_attempt(
    ehr, signed, pharmacist, settings, django_capture_on_commit_callbacks
):
    settings.FHIR_PUSH_URL = "http://127.0.0.1:9/fhir"  # the discard port: nothing listens
    with django_capture_on_commit_callbacks(execute=True):
        order_verify(signed, by=pharmacist, acknowledged_codes=[], version=signed.version)
    push = FhirPush.objects.get()
    assert push.status == PushStatus.RETRYING and "No answer" in push.last_error
    later = timezone.now()
    for _ in range(MAX_ATTEMPTS - 1):
        later += timedelta(hours=7)
        push_retry_due(now=later)
    push.refresh_from_db()
    assert (push.status, push.attempts) == (PushStatus.STOPPED, MAX_ATTEMPTS)


def test_backoff_doubles_up_to_six_hours():
    assert [backoff(n) for n in (1, 2, 3)] == [
        timedelta(minutes=1),
        timedelta(minutes=2),
        timedelta(minutes=4),
    ]
    assert backoff(30) == timedelta(hours=6)


def test_without_a_push_url_nothing_is_recorded(
    signed, pharmacist, settings, django_capture_on_commit_callbacks
):
    settings.FHIR_PUSH_URL = ""
    with django_capture_on_commit_callbacks(execute=True):
        order_verify(signed, by=pharmacist, acknowledged_codes=[], version=signed.version)
    assert not FhirPush.objects.exists()
