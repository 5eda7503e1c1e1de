"""FHIR test helpers: a token client per user, and validation of what the server emits."""

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from fhir.resources.R4B import get_fhir_model_class
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from authorizations.models import AuthorizationStatus
from infusions.models import AdministrationEntry, EntryKind, InfusionSession, SessionStatus
from interop.fhir import FhirJSONRenderer
from interop.fhir_json import fhir_json
from ivig.accounts.models import User
from orders.labs.models import LabTest
from orders.labs.services import lab_result_record
from orders.models import Order
from orders.services import order_create, order_sign
from tests.authorizations.factories import AuthorizationFactory, approved
from tests.conftest import TEST_PASSWORD
from tests.infusions.factories import ChairFactory, session_for, yesterday_at
from tests.orders.factories import order_values, worked_example_patient

BASE = "/fhir/R4"


def validated(body: dict[str, Any]) -> Any:
    """The body parsed by fhir.resources' R4B model of its ``resourceType`` (raises if invalid);
    a Bundle's entries are validated as their own types by the Bundle model."""
    return get_fhir_model_class(body["resourceType"]).model_validate(body)


@pytest.fixture(autouse=True)
def emitted_json_is_the_library_s(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every resource these tests have the server emit (reads, searches, errors, transactions,
    pushes) is compared with the library's own ``model_dump(mode="json")``, byte for byte: the
    JSON sent is the validated model's (``interop.fhir_json``, issue 21)."""

    def checked(model: Any) -> dict[str, Any]:
        ours = fhir_json(model)
        render = FhirJSONRenderer().render
        assert render(ours) == render(model.model_dump(mode="json"))
        return ours

    monkeypatch.setattr("interop.fhir.fhir_json", checked)


@pytest.fixture
def fhir_client() -> Callable[[User], APIClient]:
    """A client sending the user's API token, as an EHR would."""

    def make(user: User) -> APIClient:
        token, _ = Token.objects.get_or_create(user=user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        return client

    return make


def _refuse(*args: Any, **kwargs: Any) -> None:
    raise AssertionError("the engine planned an order for a FHIR search")


def searched_without_planning(
    client: APIClient, path: str, monkeypatch: pytest.MonkeyPatch, max_queries: int
) -> tuple[Any, int]:
    """The validated ``Bundle`` of a search read with the plan accessor and the engine refused
    (issue 21: never the engine per row), and its number of queries, at most ``max_queries``."""
    client.get(path)  # the token's first use is behind us
    with monkeypatch.context() as engine, CaptureQueriesContext(connection) as queries:
        engine.setattr("orders.dose_plans.plan_accessor._order_plan", _refuse)
        engine.setattr("orders.dose_plans.plan_accessor.compute_plan", _refuse)
        response = client.get(path)
    assert response.status_code == 200, response.json()
    assert len(queries) <= max_queries, [query["sql"] for query in queries.captured_queries]
    return validated(response.json()), len(queries)


def one_of_everything(clinician: User, nurse: User) -> Order:
    """One of everything the server serves (a patient with allergies, a lab, a signed order, its
    approval and a denial, a completed session with its record, a cancelled one), so that
    reads and searches find rows; the order."""
    patient = worked_example_patient(clinician, allergies="Penicillin")
    draft = order_create(by=clinician, **order_values(patient))
    order = order_sign(
        draft, by=clinician, password=TEST_PASSWORD, override_reasons={}, version=draft.version
    )
    lab_result_record(
        patient,
        by=clinician,
        test=LabTest.objects.get(code="62238-1"),
        taken_on=timezone.localdate() - timedelta(days=1),
        value=Decimal(48),
    )
    approved(order, valid_from=date(2026, 1, 1), valid_to=date(2027, 12, 31), cycles=6, grams=990)
    AuthorizationFactory.create(
        order=order,
        status=AuthorizationStatus.DENIED,
        submitted_at=timezone.now(),
        decision_date=timezone.localdate(),
    )
    chair = ChairFactory.create()
    session = session_for(order, chair, yesterday_at("09:00"), by=nurse)
    InfusionSession.objects.filter(pk=session.pk).update(status="cancelled")
    completion = {"volume_ml": Decimal(250), "grams_given": Decimal(25)}
    completed_session(order, chair, yesterday_at("09:00") - timedelta(days=1), nurse, completion)
    return order


def completed_session(
    order: Order, chair: Any, start: Any, nurse: User, completion: dict[str, Any] | None
) -> InfusionSession:
    """A completed session straight in the database (as ``seed_scale`` and imports make them):
    with ``completion`` (its fields), started at 20 mL/h and completed; without, no record."""
    session = session_for(order, chair, start, by=nurse, status=SessionStatus.COMPLETED)
    if completion is None:
        return session
    for kind, minutes, values in (
        (EntryKind.STARTED, 30, {"rate_ml_per_h": 20}),
        (EntryKind.COMPLETED, 400, completion),
    ):
        AdministrationEntry.objects.create(
            session=session,
            kind=kind,
            occurred_at=start + timedelta(minutes=minutes),
            recorded_by=nurse,
            **values,
        )
    return session
