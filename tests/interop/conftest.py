"""FHIR test helpers: a token client per user, and validation of what the server emits."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B import get_fhir_model_class
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from ivig.accounts.models import User

BASE = "/fhir/R4"


def validated(body: dict[str, Any]) -> Any:
    """The body parsed by fhir.resources' R4B model of its ``resourceType`` (raises if invalid);
    a Bundle's entries are validated as their own types by the Bundle model."""
    return get_fhir_model_class(body["resourceType"]).model_validate(body)


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
