"""factory_boy factories for patients, weights and orders (rows straight in the database;
tests of the rules go through ``orders.services``)."""

from datetime import date
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from formulary.models import Product
from ivig.accounts.models import User
from orders.models import Indication, Order, Patient, PatientWeight
from tests.dates import next_monday


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


# docs/api.md's worked example: Privigen (seeded), pemphigus vulgaris, 2 g/kg over 5 days, 6 cycles.
# Its start is a Monday a few weeks ahead (``tests.dates.next_monday``), not docs' fixed 2027-01-04,
# which the order start window refuses a month after it passes.
WORKED_EXAMPLE_REGIMEN: dict[str, Any] = {
    "total_dose_g_per_kg": Decimal("2"),
    "days_per_cycle": 5,
    "cycles": 6,
    "cycle_interval_days": 28,
    "concomitant_immunosuppressant": "mycophenolate",
}


def worked_example_patient(recorded_by: User, **overrides: Any) -> Patient:
    """docs/api.md's patient: 82.5 kg (weighed today), 168 cm, female, 57 in 2026, group A,
    migraine."""
    values: dict[str, Any] = {
        "blood_group": "A",
        "iga_status": "normal",
        "risk_factors": ["migraine"],
        **overrides,
    }
    patient = PatientFactory.create(**values)
    PatientWeightFactory.create(patient=patient, weight_kg=Decimal("82.5"), recorded_by=recorded_by)
    return patient


def order_values(patient: Patient, **overrides: Any) -> dict[str, Any]:
    """Keyword arguments for ``order_create``: the worked example's order for ``patient``."""
    return {
        "patient": patient,
        "indication": Indication.objects.get(slug="pemphigus-vulgaris"),
        "product": Product.objects.get(slug="privigen"),
        **WORKED_EXAMPLE_REGIMEN,
        "start_date": next_monday(),
        **overrides,
    }


class OrderFactory(factory.django.DjangoModelFactory[Order]):
    """A draft of the worked example's regimen (straight in the database, for lists)."""

    class Meta:
        model = Order

    patient = factory.SubFactory(PatientFactory)
    indication = factory.LazyFunction(lambda: Indication.objects.get(slug="pemphigus-vulgaris"))
    product = factory.LazyFunction(lambda: Product.objects.get(slug="privigen"))
    total_dose_g_per_kg = Decimal("2")
    days_per_cycle = 5
    cycles = 6
    cycle_interval_days = 28
    start_date = factory.LazyFunction(next_monday)
    created_by = factory.SubFactory(UserFactory)
