"""Patients → engine inputs (orders/dose_plans/engine_inputs.py; docs/clinical-rules.md 3.1,
3.8)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from infusions.models import SessionStatus
from ivig.engine import CycleFacts, HemoglobinReview, LabValue, PatientFacts
from orders.dose_plans.engine_inputs import PlanWeight, latest_weight, patient_facts, plan_weight
from orders.labs.models import LabTest
from orders.labs.services import lab_result_record
from orders.models import OrderStatus
from orders.reviews.services import review_record
from tests.infusions.factories import ChairFactory, local, session_for, verified_order

from .factories import PatientFactory, PatientWeightFactory

pytestmark = pytest.mark.django_db


def test_patient_facts_map_every_field_with_the_latest_weight_and_its_date():
    patient = PatientFactory.create(
        date_of_birth=date(1969, 5, 17),
        sex="female",
        height_cm=Decimal("168"),
        blood_group="A",
        iga_status="deficient",
        risk_factors=["migraine", "diabetes"],
        pregnant=True,  # not the default: the mapping is what is tested
    )
    PatientWeightFactory.create(
        patient=patient, weight_kg=Decimal("80"), measured_on=date(2026, 1, 2)
    )
    PatientWeightFactory.create(
        patient=patient, weight_kg=Decimal("82.5"), measured_on=date(2026, 3, 1)
    )
    PatientWeightFactory.create(
        patient=patient, weight_kg=Decimal("79"), measured_on=date(2026, 2, 1)
    )

    facts = patient_facts(patient, as_of=date(2026, 6, 1))

    assert facts == PatientFacts(
        weight_kg=Decimal("82.5"),
        height_cm=Decimal("168"),
        sex="female",
        age_years=57,
        blood_group="A",
        iga_status="deficient",
        risk_factors=["migraine", "diabetes"],
        pregnant=True,
        weight_measured_on=date(2026, 3, 1),
    )


def test_a_weight_measured_after_the_date_is_not_used():
    patient = PatientFactory.create()
    PatientWeightFactory.create(
        patient=patient, weight_kg=Decimal("70"), measured_on=date(2026, 1, 10)
    )
    PatientWeightFactory.create(
        patient=patient, weight_kg=Decimal("75"), measured_on=date(2026, 2, 10)
    )
    facts = patient_facts(patient, as_of=date(2026, 2, 9))
    assert (facts.weight_kg, facts.weight_measured_on) == (Decimal("70"), date(2026, 1, 10))


def test_two_weights_on_one_day_the_later_recorded_wins():
    patient = PatientFactory.create()
    first = PatientWeightFactory.create(patient=patient, weight_kg=Decimal("70"))
    second = PatientWeightFactory.create(patient=patient, weight_kg=Decimal("71"))
    assert second.recorded_at >= first.recorded_at
    assert latest_weight(patient, as_of=timezone.localdate()) == second


def test_the_weight_shown_beside_a_plan_is_the_plans_latest_weight_with_its_date():
    """docs/clinical-rules.md 3.1: the figure a page shows beside a plan is the weight the plan
    of that day is made from, dated; none when the patient has no weight by then."""
    patient = PatientFactory.create()
    PatientWeightFactory.create(
        patient=patient, weight_kg=Decimal("70"), measured_on=date(2026, 1, 10)
    )
    PatientWeightFactory.create(
        patient=patient, weight_kg=Decimal("75"), measured_on=date(2026, 2, 10)
    )
    assert plan_weight(patient, as_of=date(2026, 2, 9)) == PlanWeight(
        weight_kg=Decimal("70"), measured_on=date(2026, 1, 10)
    )
    assert plan_weight(patient, as_of=date(2026, 1, 9)) is None


def test_no_weight_gives_none_for_the_engine_to_flag():
    facts = patient_facts(PatientFactory.create(height_cm=None), as_of=date(2026, 6, 1))
    assert facts.weight_kg is None
    assert facts.weight_measured_on is None
    assert facts.height_cm is None


@pytest.mark.parametrize(
    ("as_of", "age"),
    [
        (date(2018, 2, 28), 17),
        (date(2018, 3, 1), 18),
        (date(2020, 2, 29), 20),
        (date(2000, 2, 29), 0),
    ],
)
def test_age_is_completed_years_on_the_date(as_of, age):
    patient = PatientFactory.create(date_of_birth=date(2000, 2, 29))
    assert patient.age_years(as_of) == age
    assert patient_facts(patient, as_of=as_of).age_years == age


def test_a_child_is_seen_with_their_age_and_sex():
    child = PatientFactory.create(sex="male", date_of_birth=date(2021, 7, 1))
    facts = patient_facts(child, as_of=date(2026, 6, 30))
    assert (facts.sex, facts.age_years, facts.pregnant) == ("male", 4, False)


def test_the_last_cycle_given_and_the_reviews_read_are_those_on_or_before_the_day(nurse, clinician):
    """HEMOLYSIS_SUSPECTED's inputs (docs/clinical-rules.md 3.8.2): the last cycle given and the
    reviews answering a hemoglobin, as of the day planned, never those after it."""
    start = timezone.localdate() - timedelta(days=40)
    order = verified_order(status=OrderStatus.ACTIVE, start_date=start, days_per_cycle=1, cycles=3)
    patient = order.patient
    chair = ChairFactory.create()
    for cycle, first_day in ((1, start), (2, start + timedelta(days=28))):
        session_for(
            order,
            chair,
            local(first_day, "09:00"),
            by=nurse,
            status=SessionStatus.COMPLETED,
            cycle_number=cycle,
        )
    fall_on, reviewed_on = start + timedelta(days=29), start + timedelta(days=30)
    fall, _ = lab_result_record(
        patient,
        by=clinician,
        test=LabTest.objects.get(code="718-7"),
        taken_on=fall_on,
        value="11.2",
    )
    review_record(
        order,
        by=clinician,
        reviewed_on=reviewed_on,
        score=Decimal("12"),
        prednisone_mg_per_day=Decimal("10"),
        response="partial",
        decision="continue",
        hemoglobin_result=fall,
    )

    facts = patient_facts(patient, as_of=reviewed_on)
    second = start + timedelta(days=28)
    assert facts.last_cycle == CycleFacts(
        first_day=second, last_day=second, dose_g_per_kg=Decimal("2")
    )
    assert facts.hemoglobin_reviews == [
        HemoglobinReview(
            answered=LabValue(taken_on=fall_on, value=Decimal("11.2")),
            reviewed_on=reviewed_on,
            decision="continue",
        )
    ]
    # The day before the review: the fall is read, its review is not yet.
    day_before = patient_facts(patient, as_of=fall_on)
    assert day_before.hemoglobin_reviews == []
    assert [result.value for result in day_before.hemoglobin_results] == [Decimal("11.2")]
    # Before the second cycle was given, the first is the last one given.
    earlier = patient_facts(patient, as_of=second - timedelta(days=1))
    assert earlier.last_cycle is not None
    assert (earlier.last_cycle.first_day, earlier.last_cycle.last_day) == (start, start)
    assert patient_facts(patient, as_of=start - timedelta(days=1)).last_cycle is None


def test_the_request_carries_the_orders_choices_the_policy_given_and_the_day():
    """plan_request_from_values (through plan_request_for_order, its saved orders' path) passes
    each administration choice of the order (not the defaults), the policy it is given (not the
    one in force) and the day it is evaluated on."""
    from formulary.engine_inputs import dosing_policy_facts
    from orders.dose_plans.engine_inputs import plan_request_for_order
    from orders.dose_plans.per_request import policy_in_force

    order = verified_order(
        dosing_weight_basis="actual", rate_protocol="label", target_rate_ml_per_h=150
    )
    policy = policy_in_force()
    policy.max_rate_ml_per_h = 180  # not saved: only this call sees it
    on = date(2026, 11, 2)
    request = plan_request_for_order(order, evaluated_on=on, policy=policy)
    assert (request.dosing_weight_basis, request.rate_protocol) == ("actual", "label")
    assert request.target_rate_ml_per_h == 150
    assert request.policy == dosing_policy_facts(policy)
    assert request.policy.max_rate_ml_per_h == 180
    assert request.evaluated_on == on


def test_a_saved_orders_request_carries_its_premedication_lines_and_the_facts_given(
    clinician, worked_patient
):
    """plan_request_for_order adds the order's premedication lines (PREMEDICATION_DOSE_HIGH is
    judged on them, docs/clinical-rules.md 3.5) and passes on the patient's facts and the policy
    already read (seed_scale's bulk path)."""
    from formulary.engine_inputs import dosing_policy_facts
    from orders.dose_plans.engine_inputs import plan_request_for_order
    from orders.dose_plans.per_request import policy_in_force
    from orders.premedication.services import premedication_line_facts
    from orders.services import order_create

    from .factories import order_values

    order = order_create(by=clinician, **order_values(worked_patient))
    on = timezone.localdate()
    request = plan_request_for_order(order, evaluated_on=on)
    assert request.premedication and request.premedication == premedication_line_facts(order)

    facts = patient_facts(worked_patient, as_of=on).model_copy(update={"weight_kg": Decimal(70)})
    policy = policy_in_force()
    policy.max_rate_ml_per_h = 180  # not saved: only this call sees it
    given = plan_request_for_order(order, evaluated_on=on, facts=facts, policy=policy)
    assert given.patient.weight_kg == Decimal(70)
    assert given.policy == dosing_policy_facts(policy)
    assert given.policy.max_rate_ml_per_h == 180
