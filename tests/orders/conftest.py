import pytest

from orders.services import order_create, order_sign

from ..conftest import TEST_PASSWORD
from .factories import order_values, worked_example_patient


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    """Users made per test need no strong hash; PBKDF2 made most of this suite's run time."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def worked_patient(clinician):
    """docs/api.md's worked-example patient, weighed today."""
    return worked_example_patient(clinician)


@pytest.fixture
def draft(clinician, worked_patient):
    """A draft of docs/api.md's worked example, created by the clinician."""
    return order_create(by=clinician, **order_values(worked_patient))


@pytest.fixture
def sign():
    """Sign ``order`` as ``by`` with their test password (``reasons`` for override findings)."""

    def do(order, by, reasons=None):
        return order_sign(
            order,
            by=by,
            password=TEST_PASSWORD,
            override_reasons=reasons or {},
            version=order.version,
        )

    return do
