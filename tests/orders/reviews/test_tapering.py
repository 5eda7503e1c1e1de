"""Accepting a taper on an order under treatment (docs/clinical-rules.md 10.3, 4): the active
order gets a new version, a draft signed and verified as usual; the active one stays in force
until the new one is verified; verification supersedes it, cancels its sessions not yet started
on or after the new first day and keeps those given (and those before that day).
Through the service, the review page and the API."""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from infusions.booking import services as booking
from infusions.models import InfusionSession, SessionStatus
from ivig.accounts.roles import Role
from orders.dose_plans.plan_accessor import order_plan, patient_calendar
from orders.models import Order, OrderStatus
from orders.reviews.services import review_record
from orders.reviews.tapering import taper_accept
from orders.services import order_sign, order_verify
from tests.conftest import TEST_PASSWORD
from tests.infusions.factories import ChairFactory, local, session_for, verified_order

pytestmark = pytest.mark.django_db


def _active_order_under_treatment(clinician, started_days_ago=20):
    """An active order (2 g/kg every 28 days): cycle 1 given from ``started_days_ago`` (20:
    20 to 16 days ago), cycle 2 booked (20: 8 to 12 days from now); two reviews in complete
    response."""
    today = timezone.localdate()
    order = verified_order(start_date=today - timedelta(days=started_days_ago), cycles=6)
    chair = ChairFactory.create()
    for day in range(5):
        session_for(
            order,
            chair,
            local(order.start_date + timedelta(days=day), "09:00"),
            by=clinician,
            status=SessionStatus.COMPLETED,
            cycle_number=1,
            day_number=day + 1,
        )
        session_for(
            order,
            chair,
            local(order.start_date + timedelta(days=28 + day), "09:00"),
            by=clinician,
            cycle_number=2,
            day_number=day + 1,
        )
    Order.objects.filter(pk=order.pk).update(status=OrderStatus.ACTIVE)
    order.refresh_from_db()
    for days_ago in (10, 0):
        review_record(
            order,
            by=clinician,
            reviewed_on=today - timedelta(days=days_ago),
            score=Decimal(0),
            prednisone_mg_per_day=Decimal(0),
            response="complete",
            decision="taper",
        )
    return order


def _sign(order, by):
    overrides = [
        f.code
        for f in order_plan(order, as_of=timezone.localdate()).findings
        if f.severity == "override"
    ]
    return order_sign(
        order,
        by=by,
        password=TEST_PASSWORD,
        override_reasons={code: "Meant: taper" for code in overrides},
        version=order.version,
    )


def _sessions(order):
    return sorted(InfusionSession.objects.filter(order=order).values_list("cycle_number", "status"))


def test_a_taper_of_an_active_order_is_a_new_version_that_replaces_its_booked_cycles(
    clinician, make_user
):
    order = _active_order_under_treatment(clinician)
    successor = taper_accept(order, by=clinician, kind="dose", version=order.version)

    assert successor.pk != order.pk and successor.supersedes_id == order.pk
    assert successor.status == OrderStatus.DRAFT
    assert successor.total_dose_g_per_kg == Decimal("1.5")
    assert successor.start_date == order.start_date + timedelta(days=28)  # cycle 2's day
    assert successor.cycles == 5
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE  # in force until the new version is signed
    assert _sessions(order).count((2, SessionStatus.BOOKED)) == 5

    # Signing plans the new version without the days it replaces (no double dose).
    plan = order_plan(successor, as_of=timezone.localdate())
    assert plan.stops == [], plan.stops
    signed = _sign(successor, clinician)
    assert signed.status == OrderStatus.SIGNED
    order.refresh_from_db()
    # Signed, not yet verified: the version in force and its booked cycle are untouched.
    assert order.status == OrderStatus.ACTIVE
    assert _sessions(order) == [(1, SessionStatus.COMPLETED)] * 5 + [(2, SessionStatus.BOOKED)] * 5

    pharmacist = make_user("pharm-2", Role.PHARMACIST)
    verified = order_verify(
        signed,
        by=pharmacist,
        acknowledged_codes=set(signed.overrides.values_list("code", flat=True)),
        version=signed.version,
    )
    assert verified.status == OrderStatus.VERIFIED
    order.refresh_from_db()
    assert order.status == OrderStatus.SUPERSEDED
    assert (
        _sessions(order) == [(1, SessionStatus.COMPLETED)] * 5 + [(2, SessionStatus.CANCELLED)] * 5
    )
    cancelled = InfusionSession.objects.filter(order=order, status=SessionStatus.CANCELLED)
    assert all("version 2, verified, replaces version 1" in s.status_reason for s in cancelled)
    history = cancelled.first().history.first()  # type: ignore[union-attr]
    assert history.history_user == pharmacist
    # The new version books its cycle 1 on the day the replaced cycle 2 was booked.
    slots = booking.booking_propose(verified, 1)
    assert [slot.day for slot in slots] == [
        successor.start_date + timedelta(days=day) for day in range(5)
    ]
    booking.booking_confirm(verified, 1, slots, clinician)
    verified.refresh_from_db()
    assert verified.status == OrderStatus.ACTIVE


def test_the_new_versions_calendar_counts_the_given_days_not_the_replaced_ones(clinician):
    """docs/clinical-rules.md 3.9: the new version's own cycles are its regimen's; the earlier
    version's given days count as days (not as the new version's cycle 1), its booked days,
    which signing cancels, not at all."""
    order = _active_order_under_treatment(clinician)
    successor = taper_accept(order, by=clinician, kind="dose", version=order.version)
    calendar = patient_calendar(successor)
    assert calendar.own_sessions == []
    given = [order.start_date + timedelta(days=day) for day in range(5)]
    assert sorted(day.day for day in calendar.other_days) == given
    assert not any(day.order_open for day in calendar.other_days)
    # The version in force still counts its own booked cycle.
    assert len(patient_calendar(order).own_sessions) == 10


def test_a_cycle_under_way_before_the_new_first_day_carries_on(clinician, make_user):
    """docs/clinical-rules.md 4: signing touches nothing; verifying cancels only the days on or
    after the new version's first day, so a cycle under way before it carries on."""
    order = _active_order_under_treatment(clinician, started_days_ago=29)
    # Cycle 2 has begun: its first day given yesterday, four days still booked.
    first = InfusionSession.objects.get(order=order, cycle_number=2, day_number=1)
    first.status = SessionStatus.COMPLETED
    first.save()
    successor = taper_accept(order, by=clinician, kind="interval", version=order.version)
    signed = _sign(successor, clinician)
    order.refresh_from_db()
    assert (order.status, signed.status) == (OrderStatus.ACTIVE, OrderStatus.SIGNED)
    assert _sessions(order).count((2, SessionStatus.BOOKED)) == 4
    order_verify(
        signed,
        by=make_user("pharm-2", Role.PHARMACIST),
        acknowledged_codes=set(signed.overrides.values_list("code", flat=True)),
        version=signed.version,
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.SUPERSEDED
    assert _sessions(order).count((2, SessionStatus.BOOKED)) == 4  # before the new first day


def test_the_review_page_accepts_a_taper_of_an_active_order(clinician, client_for):
    order = _active_order_under_treatment(clinician)
    page = client_for(clinician).get(reverse("orders:order-reviews", args=[order.pk]))
    assert "Every 6 weeks (42 days)" in page.content.decode()
    assert "this version stays in force until the new one is verified" in page.content.decode()
    response = client_for(clinician).post(
        reverse("orders:order-taper", args=[order.pk]),
        {"kind": "interval", "version": order.version},
    )
    assert response.status_code == 302
    order.refresh_from_db()
    successor = order.superseded_by
    assert response["Location"] == reverse("orders:order-detail", args=[successor.pk])
    assert (order.status, successor.status) == (OrderStatus.ACTIVE, OrderStatus.DRAFT)
    assert successor.cycle_interval_days == 42
    assert successor.start_date == order.start_date + timedelta(days=42)
    again = client_for(clinician).get(reverse("orders:order-reviews", args=[order.pk]))
    text = again.content.decode()
    assert 'data-testid="taper-pending"' in text and 'data-testid="taper-dose"' not in text


def test_the_api_accepts_a_taper_of_an_active_order(clinician, nurse, client_for):
    order = _active_order_under_treatment(clinician)
    url = reverse("api-order-taper", args=[order.pk])
    refused = client_for(nurse).post(
        url, {"kind": "dose", "version": order.version}, content_type="application/json"
    )
    assert refused.status_code == 403
    response = client_for(clinician).post(
        url, {"kind": "dose", "version": order.version}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["supersedes"] == order.pk
    assert Decimal(body["total_dose_g_per_kg"]) == Decimal("1.5")
    again = client_for(clinician).post(
        url, {"kind": "dose", "version": order.version}, content_type="application/json"
    )
    assert again.status_code == 409  # one draft change at a time
    assert again.json()["code"] == "wrong_state"


def test_the_api_changes_an_active_order_as_a_new_version(clinician, client_for):
    order = _active_order_under_treatment(clinician)
    next_start = order.start_date + timedelta(days=28)
    response = client_for(clinician).patch(
        reverse("api-order-detail", args=[order.pk]),
        {"version": order.version, "notes": "Taper discussed", "start_date": f"{next_start}"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    assert response.json()["supersedes"] == order.pk
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE


def test_changing_an_active_order_is_offered_from_its_next_cycle(clinician, client_for):
    """The order form for a new version of an active order offers the next cycle's day and the
    cycles not yet started (as a taper does), never the course's first day long past."""
    order = _active_order_under_treatment(clinician)
    page = client_for(clinician).get(reverse("orders:order-edit", args=[order.pk]))
    html = page.content.decode()
    next_start = order.start_date + timedelta(days=28)
    start_input = re.search(r'<input[^>]*name="start_date"[^>]*>', html)
    cycles_input = re.search(r'<input[^>]*name="cycles"[^>]*>', html)
    assert start_input and f'value="{next_start:%Y-%m-%d}"' in start_input.group(0)
    assert cycles_input and 'value="5"' in cycles_input.group(0)
    assert "Save as new version" in html


def test_a_new_version_of_an_active_order_never_starts_before_today(clinician, client_for):
    """Typed (or kept) before today, the start is refused on the field, with the day offered,
    rather than the signing being stopped later by dose findings (docs/clinical-rules.md 4)."""
    order = _active_order_under_treatment(clinician)
    today = timezone.localdate()
    next_start = order.start_date + timedelta(days=28)
    url = reverse("api-order-detail", args=[order.pk])
    client = client_for(clinician)
    for body in (
        {"version": order.version, "notes": "Taper discussed"},  # keeps the first day
        {"version": order.version, "start_date": f"{today - timedelta(days=1)}"},
    ):
        refused = client.patch(url, body, content_type="application/json")
        assert refused.status_code == 400, refused.content
        errors = refused.json()["field_errors"]["start_date"]
        assert f"starts today ({today:%Y-%m-%d}) or later" in errors[0]
        assert f"offered from {next_start:%Y-%m-%d}" in errors[0]
    assert not Order.objects.filter(supersedes=order).exists()
    today_is_fine = client.patch(
        url, {"version": order.version, "start_date": f"{today}"}, content_type="application/json"
    )
    assert today_is_fine.status_code == 201, today_is_fine.content

    # The order form: the error on the start date field.
    Order.objects.filter(supersedes=order).delete()
    edit = reverse("orders:order-edit", args=[order.pk])
    form = client.get(edit).context["form"]
    data = form.as_posted().data.copy()
    data["start_date"] = f"{today - timedelta(days=3):%Y-%m-%d}"
    page = client.post(edit, data)
    assert page.status_code == 400
    assert page.context["form"].errors["start_date"] == [
        f"A new version of an active order starts today ({today:%Y-%m-%d}) or later: it "
        f"replaces the cycles not yet started (offered from {next_start:%Y-%m-%d})."
    ]


@pytest.mark.parametrize(
    ("started_days_ago", "interval_days", "offered_days_from_today"),
    [
        (20, 28, 8),  # the next cycle in 8 days, as planned
        (20, 14, 0),  # a shorter interval would fall 6 days ago: offered from today
        (40, 28, 16),  # cycle 2 planned 12 days ago: cycle 3 in 16 days
        (-5, 28, 5),  # nothing started yet: the first day, unchanged
    ],
)
def test_a_new_version_is_never_offered_before_today(
    started_days_ago, interval_days, offered_days_from_today
) -> None:
    from orders.course_versions import next_version_start

    today = timezone.localdate()
    order = Order(
        start_date=today - timedelta(days=started_days_ago), cycles=6, cycle_interval_days=28
    )
    start, _ = next_version_start(order, interval_days, today)
    assert start == today + timedelta(days=offered_days_from_today)
