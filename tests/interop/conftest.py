"""FHIR test helpers: a token client per user, and validation of what the server emits."""

from collections.abc import Callable
from typing import Any

import pytest
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
