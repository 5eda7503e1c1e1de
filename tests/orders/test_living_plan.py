"""docs/clinical-rules.md 3.9 through real URLs: the order's plan on the current facts and the
patient's calendar, at signing, at verification, on the order page, the printed sheet and the
order API."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from authorizations.models import Authorization, AuthorizationStatus
from orders.dose_plans.plan_accessor import LIVE_ONLY_CODES, order_plan
from orders.models import Order, OrderStatus, PatientWeight
from orders.services import order_create, order_verify

from ..conftest import TEST_PASSWORD
from .factories import PatientFactory, PatientWeightFactory, order_values

pytestmark = pytest.mark.django_db

ORDERS = "/api/v1/orders/"


def post(client: Client, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, body, content_type="application/json")


def test_a_second_order_over_the_same_weeks_stops_at_signing(
    clinician, client_for, worked_patient, sign
) -> None:
    sign(order_create(by=clinician, **order_values(worked_patient)), clinician)
    second = order_create(by=clinician, **order_values(worked_patient))
    client = client_for(clinician)
    shown = client.get(f"{ORDERS}{second.pk}/").json()
    codes = [finding["code"] for finding in shown["current_findings"]]
    assert "MAX_DOSE_PER_28_DAYS" in codes
    assert "CONCURRENT_IVIG_ORDER" in codes
    refused = post(
        client,
        f"{ORDERS}{second.pk}/sign/",
        {"password": TEST_PASSWORD, "override_reasons": {}, "version": second.version},
    )
    assert refused.status_code == 400
    assert refused.json()["code"] == "stop_findings"
    assert "Above the 28-day maximum dose" in refused.json()["detail"]  # its title, in words
    assert "MAX_DOSE_PER_28_DAYS" in [f["code"] for f in refused.json()["findings"]]
    assert Order.objects.get(pk=second.pk).status == OrderStatus.DRAFT


def test_iga_deficiency_with_antibodies_after_verification_shows_as_a_new_stop(
    clinician, pharmacist, client_for, worked_patient, sign
) -> None:
    order = sign(order_create(by=clinician, **order_values(worked_patient)), clinician)
    order = order_verify(order, by=pharmacist, acknowledged_codes=[], version=order.version)
    worked_patient.iga_status = "deficient_with_antibodies"
    worked_patient.save()
    page = client_for(clinician).get(reverse("orders:order-detail", args=[order.pk]))
    text = page.content.decode()
    assert 'data-testid="new-finding-IGA_DEFICIENCY_WITH_ANTIBODIES"' in text
    assert 'data-testid="signed-findings"' in text
    shown = client_for(pharmacist).get(f"{ORDERS}{order.pk}/").json()
    assert shown["new_finding_codes"] == ["IGA_DEFICIENCY_WITH_ANTIBODIES"]
    assert shown["findings_at_signing"] is not None  # the record of what was signed stays


def test_a_draft_shows_no_findings_at_signing_and_a_signed_order_does(
    clinician, client_for, worked_patient, sign
) -> None:
    draft = order_create(by=clinician, **order_values(worked_patient))
    detail = reverse("orders:order-detail", args=[draft.pk])
    assert 'data-testid="signed-findings"' not in client_for(clinician).get(detail).content.decode()
    signed = sign(draft, clinician)
    text = client_for(clinician).get(detail).content.decode()
    block = text.split('data-testid="signed-findings"', 1)[1].split("</div>", 1)[0]
    # The block lists what was signed, finding by finding (a live-only one is shown live).
    codes = {finding["code"] for finding in signed.findings_at_signing} - LIVE_ONLY_CODES
    assert codes
    for code in codes:
        assert f'data-testid="finding-{code}"' in block


def test_an_order_signed_with_no_record_of_its_findings_marks_none_as_new(
    clinician, worked_patient, sign
) -> None:
    """Without the findings at signing (an order signed before they were kept) nothing can be
    told new since signing: none is marked new, rather than every one."""
    order = sign(order_create(by=clinician, **order_values(worked_patient)), clinician)
    Order.objects.filter(pk=order.pk).update(findings_at_signing=None)
    order.refresh_from_db()
    living = order_plan(order, as_of=timezone.localdate())
    assert living.findings and living.new_findings == []


def test_a_signed_orders_weight_is_judged_at_signing_a_drafts_on_the_day(
    clinician, worked_patient, sign
) -> None:
    """docs/clinical-rules.md 3.9: WEIGHT_OUTDATED is "more than 30 days old at signing". Read 60
    days on, a signed order's weight (taken on the day it was signed) is not outdated; a draft's,
    judged on the day it is read, is."""
    later = timezone.localdate() + timedelta(days=60)
    draft = order_create(by=clinician, **order_values(worked_patient))
    draft_codes = [f.code for f in order_plan(draft, as_of=later).findings]
    assert "WEIGHT_OUTDATED" in draft_codes
    signed = sign(order_create(by=clinician, **order_values(worked_patient)), clinician)
    signed_codes = [f.code for f in order_plan(signed, as_of=later).findings]
    assert "WEIGHT_OUTDATED" not in signed_codes
    # The same, signed and weighed 60 days ago and read today.
    PatientWeight.objects.filter(patient=worked_patient).update(
        measured_on=timezone.localdate() - timedelta(days=60)
    )
    Order.objects.filter(pk=signed.pk).update(signed_at=timezone.now() - timedelta(days=60))
    signed.refresh_from_db()
    today_codes = [f.code for f in order_plan(signed, as_of=timezone.localdate()).findings]
    assert "WEIGHT_OUTDATED" not in today_codes


def _patient_of(weight_kg: str, by):
    patient = PatientFactory.create(blood_group="O", iga_status="normal")
    PatientWeightFactory.create(patient=patient, weight_kg=Decimal(weight_kg), recorded_by=by)
    return patient


def test_a_weight_change_after_signing_refuses_verification_until_revised(
    clinician, pharmacist, client_for, sign
) -> None:
    patient = _patient_of("64", clinician)
    order = sign(order_create(by=clinician, **order_values(patient)), clinician)
    assert order.signed_weight_kg == Decimal("64")
    PatientWeight.objects.create(
        patient=patient,
        weight_kg=Decimal("80"),
        measured_on=timezone.localdate(),
        recorded_by=clinician,
    )
    client = client_for(pharmacist)
    refused = post(
        client, f"{ORDERS}{order.pk}/verify/", {"acknowledged_codes": [], "version": order.version}
    )
    assert refused.status_code == 400
    body = refused.json()
    assert body["code"] == "plan_changed"
    assert "Weight changed since signing" in body["detail"]  # the finding's title
    assert "A clinician must revise the order" in body["detail"]
    assert client.get(f"{ORDERS}{order.pk}/").json()["new_finding_codes"] == ["WEIGHT_CHANGED"]
    # Revised: a new version, planned on 80 kg, signed and verified again.
    changed = client_for(clinician).patch(
        f"{ORDERS}{order.pk}/",
        {"version": order.version, "notes": "Weight now 80 kg"},
        content_type="application/json",
    )
    assert changed.status_code == 201, changed.json()  # a new version
    new = Order.objects.get(pk=changed.json()["id"])
    assert new.revision == 2
    new = sign(new, clinician)
    assert new.signed_weight_kg == Decimal("80")
    verified = post(
        client, f"{ORDERS}{new.pk}/verify/", {"acknowledged_codes": [], "version": new.version}
    )
    assert verified.status_code == 200, verified.json()


def test_an_approved_covered_order_never_shows_no_authorization(
    clinician, pharmacist, client_for, worked_patient, sign
) -> None:
    order = sign(order_create(by=clinician, **order_values(worked_patient)), clinician)
    assert "NO_AUTHORIZATION" in [f["code"] for f in order.findings_at_signing]
    order = order_verify(order, by=pharmacist, acknowledged_codes=[], version=order.version)
    Authorization.objects.create(
        patient=worked_patient,
        order=order,
        payer="Test payer",
        member_id="TEST",
        status=AuthorizationStatus.APPROVED,
        submitted_at=timezone.now(),
        decision_date=timezone.localdate(),
        valid_from=order.start_date - timedelta(days=30),
        valid_to=order.start_date + timedelta(days=3 * 365),
        approved_cycles=60,
        approved_grams=Decimal(100000),
        created_by=clinician,
    )
    client = client_for(clinician)
    for name in ("orders:order-detail", "orders:order-print"):
        text = client.get(reverse(name, args=[order.pk])).content.decode()
        assert "NO_AUTHORIZATION" not in text, name
    shown = client.get(f"{ORDERS}{order.pk}/").json()
    assert "NO_AUTHORIZATION" not in [f["code"] for f in shown["current_findings"]]
    plan = client.get(f"{ORDERS}{order.pk}/plan/").json()
    assert "NO_AUTHORIZATION" not in [f["code"] for f in plan["findings"]]


def test_a_refusal_names_each_stop_by_its_title_and_its_words_without_their_final_period():
    """docs/clinical-rules.md 3.9: "Cannot <step>: <title> — <message>; ..." then what to do;
    only the message's own final period is dropped (the sentence goes on)."""
    from ivig.engine import Finding, compute_plan
    from orders.dose_plans.plan_accessor import OrderPlan
    from tests.engine.factories import plan_request

    stops = [
        Finding(code="MAX_DAILY_DOSE", severity="stop", message="Above 68.8 g, the MAX."),
        Finding(code="MAX_DOSE_PER_28_DAYS", severity="stop", message="Above 137.6 g."),
    ]
    stopped = compute_plan(plan_request()).model_copy(update={"findings": stops})
    plan = OrderPlan(order=Order(), plan=stopped)
    assert plan.refusal("verify") == (
        "Cannot verify: Above the maximum daily dose — Above 68.8 g, the MAX; "
        "Above the 28-day maximum dose — Above 137.6 g. "
        "A clinician must revise the order (new version)."
    )


@pytest.mark.parametrize(
    ("stored", "dose"),
    [
        (None, None),  # no plan (the formulary could not cost it)
        ([], None),
        ({}, None),
        ({"daily_dose_g": None}, None),
        ({"daily_dose_g": "not a number"}, None),
        ({"daily_dose_g": "12.5"}, Decimal("12.5")),
    ],
)
def test_a_stored_plans_daily_dose_is_read_only_from_a_plan_that_has_one(stored, dose):
    from orders.dose_plans.plan_accessor import _daily_dose_g

    assert _daily_dose_g(stored) == dose


def test_a_new_override_refuses_the_firm_steps_and_says_what_answers_it():
    """docs/clinical-rules.md 3.9: a new override refuses verifying, a firm booking, confirming
    and starting (a tentative booking is allowed, and said); a new version answers it unless
    it is judged on a session only (3.8.2 CREATININE_DUE: a result or a reason answers it)."""
    from ivig.engine import Finding, compute_plan
    from orders.dose_plans.plan_accessor import OrderPlan
    from tests.engine.factories import plan_request

    plan = compute_plan(plan_request()).model_copy(update={"findings": []})
    weight = Finding(code="WEIGHT_CHANGED", severity="override", message="Now 80 kg.")
    creatinine = Finding(code="CREATININE_DUE", severity="override", message="No result.")

    def refusal(step: str, *overrides: Finding) -> str | None:
        return OrderPlan(order=Order(), plan=plan, new_overrides=list(overrides)).refusal(step)

    new = "new since signing, Weight changed since signing — Now 80 kg."
    revise = "A clinician must revise the order (new version)."
    tentative = " Until then a session can be booked only as tentative."
    assert refusal("book", weight) == f"Cannot book: {new} {revise}{tentative}"
    assert refusal("confirm", weight) == f"Cannot confirm the session: {new} {revise}{tentative}"
    assert refusal("start", weight) == f"Cannot start the session: {new} {revise}"
    assert refusal("verify", weight) == f"Cannot verify: {new} {revise}"
    for step in ("propose", "book_tentative", "move", "sign"):
        assert refusal(step, weight) is None
    assert refusal("start", creatinine) == (
        "Cannot start the session: new since signing, Creatinine check due — No result."
    )
    assert refusal("start") is None


def _frozen_plan(daily_dose_g: str, cycles: dict[int, list]) -> dict[str, Any]:
    """The parts of a plan frozen at signing that the calendar reads (docs/api.md's shape)."""
    return {
        "daily_dose_g": daily_dose_g,
        "cycles": [
            {"number": number, "days": [day.isoformat() for day in days]}
            for number, days in cycles.items()
        ],
    }


def test_the_calendar_counts_another_orders_days_under_its_version_in_force(monkeypatch) -> None:
    """docs/clinical-rules.md 3.9: another open order's days count under its first version's
    id, as open: a day given with the grams given, a day not given with the daily dose of the
    version in force (signed since, 30 g, not the 40 g of the version the session was booked
    under); that order's sessions not yet started on or after the newer version's first day are
    left out (verifying it cancels them); its cycles not yet booked follow its latest booked
    cycle, here booked a day late."""
    from orders.dose_plans import plan_accessor
    from orders.ports import CalendarSession
    from tests.infusions.factories import verified_order

    start = timezone.localdate() - timedelta(days=10)
    day = [start + timedelta(days=offset) for offset in range(50)]
    first = verified_order(
        start_date=start,
        days_per_cycle=2,
        cycles=3,
        cycle_interval_days=21,
        plan_at_signing=_frozen_plan("40", {1: day[0:2], 2: day[21:23], 3: day[42:44]}),
    )
    patient = first.patient
    newer = verified_order(
        patient=patient,
        status=OrderStatus.SIGNED,
        lineage_id=first.pk,
        revision=2,
        start_date=day[21],
        days_per_cycle=2,
        cycles=2,
        cycle_interval_days=21,
        plan_at_signing=_frozen_plan("30", {2: day[21:23], 3: day[42:44]}),
    )
    own = verified_order(patient=patient, start_date=day[49], cycles=1)
    sessions = [
        CalendarSession(1, first.pk, 1, day[0], Decimal("35"), started=True),
        CalendarSession(2, first.pk, 1, day[1], None),
        CalendarSession(3, first.pk, 2, day[22], None),  # replaced by the newer version
        CalendarSession(4, newer.pk, 2, day[22], None),  # booked a day late
    ]
    monkeypatch.setattr(
        plan_accessor, "calendar_source", lambda: lambda patient_ids: {patient.pk: sessions}
    )

    calendar = plan_accessor.patient_calendar(own)

    assert calendar.own_sessions == []
    assert sorted(
        (row.day, row.dose_g, row.order_id, row.order_open) for row in calendar.other_days
    ) == [
        (day[0], Decimal("35"), first.pk, True),
        (day[1], Decimal("30"), first.pk, True),
        (day[22], Decimal("30"), first.pk, True),
        (day[43], Decimal("30"), first.pk, True),
        (day[44], Decimal("30"), first.pk, True),
    ]


def test_the_calendar_counts_a_day_not_given_of_a_plan_without_a_daily_dose_as_no_grams(
    monkeypatch,
) -> None:
    """docs/clinical-rules.md 3.9: another order's day with no grams given yet, whose signed plan
    has no daily dose (the formulary could not cost it), counts on the calendar as a day of 0 g
    (and that order's cycles not yet booked, without a dose, are not counted)."""
    from orders.dose_plans import plan_accessor
    from orders.ports import CalendarSession
    from tests.infusions.factories import verified_order

    start = date(2027, 3, 1)
    # Another open order, with a daily dose (made first: orders are read newest first, so it
    # comes after the one without): its cycle not yet booked counts all the same.
    dosed = verified_order(
        start_date=date(2027, 3, 8),
        days_per_cycle=1,
        cycles=1,
        plan_at_signing=_frozen_plan("40", {1: [date(2027, 3, 8)]}),
    )
    other = verified_order(
        patient=dosed.patient,
        start_date=start,
        days_per_cycle=1,
        cycles=2,
        cycle_interval_days=21,
        plan_at_signing={
            "cycles": [{"number": 1, "days": ["2027-03-01"]}, {"number": 2, "days": ["2027-03-22"]}]
        },
    )
    own = verified_order(patient=other.patient, start_date=date(2027, 4, 30), cycles=1)
    sessions = [CalendarSession(1, other.pk, 1, start, None)]
    monkeypatch.setattr(
        plan_accessor, "calendar_source", lambda: lambda patient_ids: {other.patient.pk: sessions}
    )

    calendar = plan_accessor.patient_calendar(own)

    assert [(row.day, row.dose_g, row.order_id, row.order_open) for row in calendar.other_days] == [
        (start, Decimal(0), other.pk, True),
        (date(2027, 3, 8), Decimal(40), dosed.pk, True),
    ]


def test_a_cycles_first_day_moves_with_this_versions_latest_cycle_booked_before_it(
    monkeypatch,
) -> None:
    """docs/clinical-rules.md 3.9, 6: a cycle's first day on the patient's calendar (what booking
    proposes) is its planned day moved with this version's latest cycle booked before it; the
    cycle's own sessions (a cycle booked again) and another order's cycles do not move it."""
    from orders.dose_plans import plan_accessor
    from orders.ports import CalendarSession
    from tests.infusions.factories import verified_order

    start = date(2027, 3, 1)  # cycles planned 1-2 March, 22-23 March, 12-13 April
    order = verified_order(start_date=start, days_per_cycle=2, cycles=3, cycle_interval_days=21)
    other = verified_order(patient=order.patient, start_date=date(2027, 2, 22), cycles=3)
    sessions = [
        CalendarSession(1, order.pk, 1, date(2027, 3, 2), None),  # a day late
        CalendarSession(2, order.pk, 1, date(2027, 3, 3), None),
        CalendarSession(3, order.pk, 2, date(2027, 3, 25), None),  # three days late
        CalendarSession(4, other.pk, 1, date(2027, 2, 22), None),  # before this order's cycle 1
        CalendarSession(5, other.pk, 3, date(2027, 3, 12), None),
    ]
    monkeypatch.setattr(
        plan_accessor, "calendar_source", lambda: lambda patient_ids: {order.patient.pk: sessions}
    )

    assert [plan_accessor.cycle_first_day(order, number) for number in (1, 2, 3)] == [
        start,
        date(2027, 3, 23),
        date(2027, 4, 15),
    ]


def test_another_orders_unbooked_cycles_move_only_after_its_latest_booked_cycle(
    monkeypatch,
) -> None:
    """docs/clinical-rules.md 3.9: another open order's cycles not yet booked count on their
    planned days, except those after its latest booked cycle, moved with it; a booked cycle its
    version in force does not plan (an earlier version's) moves none of them."""
    from orders.dose_plans import plan_accessor
    from orders.ports import CalendarSession
    from tests.infusions.factories import verified_order

    def day(month: int, number: int) -> date:
        return date(2027, month, number)

    late = verified_order(
        start_date=day(3, 1),
        days_per_cycle=1,
        cycles=3,
        cycle_interval_days=21,
        plan_at_signing=_frozen_plan("30", {1: [day(3, 1)], 2: [day(3, 22)], 3: [day(4, 12)]}),
    )
    patient = late.patient
    first = verified_order(
        patient=patient,
        start_date=day(3, 8),
        days_per_cycle=1,
        cycles=3,
        cycle_interval_days=21,
        plan_at_signing=_frozen_plan("40", {1: [day(3, 8)], 2: [day(3, 29)], 3: [day(4, 19)]}),
    )
    newer = verified_order(
        patient=patient,
        status=OrderStatus.SIGNED,
        lineage_id=first.pk,
        revision=2,
        start_date=day(3, 29),
        days_per_cycle=1,
        cycles=2,
        cycle_interval_days=21,
        plan_at_signing=_frozen_plan("20", {2: [day(3, 29)], 3: [day(4, 19)]}),
    )
    own = verified_order(patient=patient, start_date=day(6, 1), cycles=1)
    sessions = [
        CalendarSession(1, late.pk, 2, day(3, 23), None),  # cycle 2 a day late
        CalendarSession(2, first.pk, 1, day(3, 8), Decimal("45"), started=True),
    ]
    monkeypatch.setattr(
        plan_accessor, "calendar_source", lambda: lambda patient_ids: {patient.pk: sessions}
    )

    calendar = plan_accessor.patient_calendar(own)

    assert newer.lineage_id == first.pk
    assert sorted(
        (row.day, row.dose_g, row.order_id, row.order_open) for row in calendar.other_days
    ) == [
        (day(3, 1), Decimal("30"), late.pk, True),  # before the latest booked: as planned
        (day(3, 8), Decimal("45"), first.pk, True),
        (day(3, 23), Decimal("30"), late.pk, True),
        (day(3, 29), Decimal("20"), first.pk, True),  # the newer version's cycles, not moved
        (day(4, 13), Decimal("30"), late.pk, True),  # moved a day with cycle 2
        (day(4, 19), Decimal("20"), first.pk, True),
    ]
