"""factory_boy factories for patients and weights (rows straight in the database; tests of
the rules go through ``orders.services``)."""

from datetime import date
from decimal import Decimal

import factory
from django.utils import timezone

from ivig.accounts.models import User
from orders.models import Patient, PatientWeight


class UserFactory(factory.django.DjangoModelFactory[User]):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user-{n}")


class PatientFactory(factory.django.DjangoModelFactory[Patient]):
    class Meta:
        model = Patient

    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    family_name = factory.Sequence(lambda n: f"Family{n}")
    given_name = factory.Sequence(lambda n: f"Given{n}")
    date_of_birth = date(1969, 5, 17)
    sex = "female"
    height_cm = Decimal("168")


class PatientWeightFactory(factory.django.DjangoModelFactory[PatientWeight]):
    class Meta:
        model = PatientWeight

    patient = factory.SubFactory(PatientFactory)
    weight_kg = Decimal("82.5")
    measured_on = factory.LazyFunction(timezone.localdate)
    recorded_by = factory.SubFactory(UserFactory)


def weighed_patients(count: int) -> list[Patient]:
    """``count`` patients, each weighed twice (so that lists have a latest weight to pick)."""
    patients = PatientFactory.create_batch(count)
    for patient in patients:
        PatientWeightFactory.create_batch(2, patient=patient)
    return patients
