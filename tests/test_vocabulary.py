"""The clinical vocabularies are written once: Django's choices carry exactly the engine's codes."""

from typing import Literal

import pytest
from django.db import models

from ivig.engine import models as engine
from ivig.vocabulary import same_values_as
from orders import models as orders


@pytest.mark.parametrize(
    ("choices", "literal"),
    [
        (orders.Sex, engine.Sex),
        (orders.BloodGroup, engine.BloodGroup),
        (orders.IgaStatus, engine.IgaStatus),
        (orders.RiskFactor, engine.RiskFactor),
        (orders.DosingWeightBasis, engine.DosingWeightBasisChoice),
        (orders.RateProtocol, engine.RateProtocol),
    ],
)
def test_the_patient_and_order_choices_are_the_engines_codes(choices, literal) -> None:
    assert list(choices.values) == list(literal.__args__)


def test_choices_that_differ_from_the_engine_refuse_to_load() -> None:
    with pytest.raises(TypeError, match="change both together"):

        @same_values_as(Literal["female", "male"])
        class Sex(models.TextChoices):
            FEMALE = "female", "Female"
            OTHER = "other", "Other"
