"""A clinician's reason for one session (docs/clinical-rules.md 3.8.2, 3.9): CREATININE_DUE
blocks the start until a creatinine is recorded or a clinician gives a reason for that session.
Through the service, the real session page and the API; the policy; not carried to the next
session; a stop never answered this way."""

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from formulary.models import Product
from infusions.administration import policies
from infusions.administration.session_reasons import session_override_record
from infusions.booking.session_plan import session_plan
from infusions.errors import InfusionError
from infusions.models import Chair, InfusionSession, SessionOverride, SessionStatus
from ivig.engine import FINDING_TITLES
from orders.labs.models import LabTest
from orders.labs.services import lab_result_record
from orders.models import OrderOverride, OrderStatus, Patient
from tests.infusions.factories import ChairFactory, local, session_for, verified_order
from tests.locks import locked_by_another_connection
from tests.orders.factories import PatientWeightFactory

pytestmark = pytest.mark.django_db

REASON = "Creatinine 1.1 on the outside report of last week; the result follows."


def day(days_ago: int) -> date:
    return timezone.localdate() - timedelta(days=days_ago)


def at(days_ago: int, clock: str) -> datetime:
    return local(day(days_ago), clock)


@pytest.fixture
def course(nurse, clinician):
    """Two booked sessions of one active order (two days ago and yesterday) of a patient with a
    low eGFR 40 days ago and no creatinine: both sessions' plans raise CREATININE_DUE. The renal
    risk itself was signed with a reason, so CREATININE_DUE is what refuses the start."""
    order = verified_order(status=OrderStatus.ACTIVE)
    PatientWeightFactory.create(
        patient=order.patient, weight_kg=Decimal("82.5"), measured_on=day(20), recorded_by=nurse
    )
    lab_result_record(
        order.patient,
        by=clinician,
        test=LabTest.objects.get(code="62238-1"),
        taken_on=day(40),
        value="48",
    )
    OrderOverride.objects.create(
        order=order,
        code="RENAL_RISK",
        message="Renal risk",
        reason="Known, hydrate",
        overridden_by=clinician,
        overridden_at=timezone.now(),
    )
    chair = ChairFactory.create()
    first = session_for(order, chair, at(2, "09:00"), by=nurse)
    later = session_for(order, chair, at(1, "09:00"), by=nurse, day_number=2)
    return order, first, later


def start(client, session, days_ago: int):
    moment = timezone.localtime(at(days_ago, "09:30")).strftime("%Y-%m-%dT%H:%M")
    return client.post(
        reverse("infusions:session-record", args=[session.pk]),
        {"occurred_at": moment, "kind": "started"},
    )


def page(client, session) -> str:
    return client.get(reverse("infusions:session-detail", args=[session.pk])).content.decode()


def test_a_reason_answers_creatinine_due_for_that_session_only(course, clinician) -> None:
    _, first, later = course
    before = session_plan(later)
    assert "CREATININE_DUE" in [f.code for f in before.new_overrides]
    assert "check creatinine within 30 days" in (before.refusal("start") or "")

    given = session_override_record(
        later, code="CREATININE_DUE", reason=f"  {REASON}  ", by=clinician
    )
    assert given.reason == REASON  # trimmed
    assert given.session_day == day(1)
    assert "check creatinine within 30 days" in given.message  # as the clinician read it
    assert given.history.count() == 1

    after = session_plan(later)
    assert "CREATININE_DUE" in [f.code for f in after.findings]  # still shown
    assert after.new_overrides == []
    assert after.refusal("start") is None
    assert after.session_reasons["CREATININE_DUE"].reason == REASON
    # Not carried to another session of the course.
    other = session_plan(first)
    assert "CREATININE_DUE" in [f.code for f in other.new_overrides]
    assert other.session_reasons == {}
    assert "check creatinine within 30 days" in (other.refusal("start") or "")


def test_a_reason_does_not_carry_to_the_next_session(course, clinician, nurse) -> None:
    _, first, later = course
    session_override_record(first, code="CREATININE_DUE", reason=REASON, by=clinician)
    assert session_plan(first).refusal("start") is None
    assert FINDING_TITLES["CREATININE_DUE"] in (session_plan(later).refusal("start") or "")


def test_a_reason_for_a_finding_no_longer_raised_answers_nothing(course, clinician) -> None:
    """A creatinine recorded after the reason was given: CREATININE_DUE is no longer raised,
    so the session's plan lists no reason answering it (a reason answers only what is raised)."""
    _, _, later = course
    session_override_record(later, code="CREATININE_DUE", reason=REASON, by=clinician)
    lab_result_record(
        later.order.patient,
        by=clinician,
        test=LabTest.objects.get(code="2160-0"),
        taken_on=day(3),
        value="1.1",
    )
    after = session_plan(later)
    assert "CREATININE_DUE" not in [f.code for f in after.findings]
    assert after.session_reasons == {}


def test_moved_to_another_day_the_session_is_judged_again(course, clinician) -> None:
    _, _, later = course
    session_override_record(later, code="CREATININE_DUE", reason=REASON, by=clinician)
    later.planned_start += timedelta(days=3)
    later.planned_end += timedelta(days=3)
    later.save()
    assert FINDING_TITLES["CREATININE_DUE"] in (session_plan(later).refusal("start") or "")
    session_override_record(later, code="CREATININE_DUE", reason=REASON, by=clinician)
    assert session_plan(later).refusal("start") is None


@pytest.mark.parametrize(
    ("code", "reason", "error_code", "words"),
    [
        ("CREATININE_DUE", "   ", "invalid", "Give the reason to go ahead."),
        ("CREATININE_DUE", "x" * 1001, "invalid", "at most 1000 characters"),
        ("HEMOLYSIS_SUSPECTED", REASON, "finding_not_answerable", "is a stop"),
        ("MAX_DOSE_PER_28_DAYS", REASON, "finding_not_answerable", "is a stop"),
        ("PRIOR_INFUSION_REACTION", REASON, "finding_not_answerable", "plan for the reaction"),
        ("RENAL_RISK", REASON, "finding_not_answerable", "not answered by a reason"),
        ("NO_SUCH_CODE", REASON, "finding_not_answerable", "not answered by a reason"),
    ],
)
def test_the_service_refuses(course, clinician, code, reason, error_code, words) -> None:
    _, _, later = course
    with pytest.raises(InfusionError) as refused:
        session_override_record(later, code=code, reason=reason, by=clinician)
    assert refused.value.code == error_code and words in refused.value.message
    assert not SessionOverride.objects.exists()


def test_only_a_finding_raised_now_and_once_before_the_start(course, clinician) -> None:
    order, first, later = course
    session_override_record(later, code="CREATININE_DUE", reason=REASON, by=clinician)
    with pytest.raises(InfusionError) as again:
        session_override_record(later, code="CREATININE_DUE", reason="Another", by=clinician)
    assert again.value.code == "reason_already_given" and again.value.is_conflict
    lab_result_record(
        order.patient,
        by=clinician,
        test=LabTest.objects.get(code="2160-0"),
        taken_on=day(5),
        value="1.1",
    )
    with pytest.raises(InfusionError) as not_raised:  # a recent creatinine answered it
        session_override_record(first, code="CREATININE_DUE", reason=REASON, by=clinician)
    assert "does not raise CREATININE_DUE now" in not_raised.value.message
    first.status = SessionStatus.COMPLETED
    first.save()
    with pytest.raises(InfusionError) as closed:
        session_override_record(first, code="CREATININE_DUE", reason=REASON, by=clinician)
    assert closed.value.code == "not_changeable"


def test_the_policy(course, clinician, nurse, pharmacist, authadmin) -> None:
    _, first, later = course
    assert policies.can_give_session_reason(clinician, later)
    assert not policies.can_give_session_reason(nurse, later)
    assert not policies.can_give_session_reason(pharmacist, later)
    assert not policies.can_give_session_reason(authadmin, later)
    first.status = SessionStatus.IN_PROGRESS
    assert not policies.can_give_session_reason(clinician, first)


def test_on_the_session_page(course, clinician, nurse, pharmacist, client_for) -> None:
    _, first, later = course
    doctor, nurse_client = client_for(clinician), client_for(nurse)
    url = reverse("infusions:session-reason", args=[later.pk])
    # The start is refused; the form is for clinicians only.
    refused = start(nurse_client, later, 1)
    assert refused.status_code == 200 and "check creatinine within 30 days" in (
        refused.content.decode()
    )
    later.refresh_from_db()
    assert later.status == SessionStatus.BOOKED
    assert 'data-testid="reason-form-CREATININE_DUE"' in page(doctor, later)
    assert 'data-testid="reason-form-CREATININE_DUE"' not in page(nurse_client, later)
    assert 'data-testid="reason-form-CREATININE_DUE"' not in page(client_for(pharmacist), later)
    body = {"code": "CREATININE_DUE", "reason": REASON}
    assert nurse_client.post(url, body).status_code == 403
    assert client_for(pharmacist).post(url, body).status_code == 403

    blank = doctor.post(url, {"code": "CREATININE_DUE", "reason": "  "})
    assert blank.status_code == 400 and "Give the reason to go ahead." in blank.content.decode()
    stop = doctor.post(url, {"code": "HEMOLYSIS_SUSPECTED", "reason": REASON})
    assert stop.status_code == 400 and "is a stop" in stop.content.decode()

    assert doctor.post(url, body).status_code == 302
    text = page(nurse_client, later)
    assert 'data-testid="reason-form-CREATININE_DUE"' not in page(doctor, later)  # given
    assert f"reason given by {clinician.get_username()} on" in text and REASON in text
    assert 'data-testid="blockers"' not in text
    again = doctor.post(url, body)
    assert again.status_code == 409 and "already given" in again.content.decode()

    # The start now goes ahead; the other session is still refused.
    assert start(nurse_client, later, 1).status_code == 302
    later.refresh_from_db()
    assert later.status == SessionStatus.IN_PROGRESS
    assert 'data-testid="reason-form-CREATININE_DUE"' in page(doctor, first)
    assert "check creatinine within 30 days" in start(nurse_client, first, 2).content.decode()


def test_through_the_api(course, client_for, clinician, nurse, pharmacist) -> None:
    _, first, later = course
    url = f"/api/v1/infusion-sessions/{later.pk}/reason/"

    def post(user, body):
        return client_for(user).post(url, json.dumps(body), content_type="application/json")

    body = {"code": "CREATININE_DUE", "reason": REASON}
    assert post(nurse, body).status_code == 403
    assert post(pharmacist, body).status_code == 403
    unknown = post(clinician, {**body, "given_by": "someone"})
    assert unknown.status_code == 400 and "given_by" in unknown.json()["field_errors"]
    blank = post(clinician, {"code": "CREATININE_DUE", "reason": " "})
    assert blank.status_code == 400 and "reason" in blank.json()["field_errors"]
    stop = post(clinician, {"code": "HEMOLYSIS_SUSPECTED", "reason": REASON})
    assert stop.status_code == 400 and stop.json()["code"] == "finding_not_answerable"

    plan_url = f"/api/v1/infusion-sessions/{later.pk}/plan/"
    blockers = client_for(nurse).get(plan_url).json()["start_blockers"]
    assert any(FINDING_TITLES["CREATININE_DUE"] in blocker for blocker in blockers)

    given = post(clinician, body)
    assert given.status_code == 201
    assert given.json()["code"] == "CREATININE_DUE" and given.json()["reason"] == REASON
    assert given.json()["given_by"] == clinician.get_username()
    again = post(clinician, body)
    assert again.status_code == 409 and again.json()["code"] == "reason_already_given"

    plan = client_for(nurse).get(plan_url).json()
    assert plan["start_blockers"] == []
    assert [row["code"] for row in plan["session_reasons"]] == ["CREATININE_DUE"]
    other = client_for(nurse).get(f"/api/v1/infusion-sessions/{first.pk}/plan/").json()
    assert other["session_reasons"] == []
    assert any(FINDING_TITLES["CREATININE_DUE"] in blocker for blocker in other["start_blockers"])


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite takes no row locks")
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_giving_a_reason_locks_the_session_only(course, clinician) -> None:
    """The reason is given under the session's row lock alone: its order's product and its chair
    are read, never locked (a chair is locked by id where a slot is checked, infusions.booking.
    services), so a reason does not hold the formulary or the chair."""
    _, _, later = course
    with transaction.atomic():
        session_override_record(later, code="CREATININE_DUE", reason=REASON, by=clinician)
        assert locked_by_another_connection(InfusionSession, later.pk)
        assert not locked_by_another_connection(Chair, later.chair_id)
        assert not locked_by_another_connection(Product, later.order.product_id)
        assert not locked_by_another_connection(Patient, later.order.patient_id)
