"""The nurses' pages through real URLs: roles, the schedule, booking, the session page and its
forms, the calendar feeds (docs/clinical-rules.md 1, 6)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from authorizations.models import Authorization
from infusions.booking import services as booking
from infusions.booking.next_cycles import refresh_next_cycles
from infusions.feeds.services import calendar_token_rotate
from infusions.models import CalendarFeedToken, InfusionSession
from ivig.accounts.roles import Role
from ivig.audit.models import AccessLog
from ivig.engine import dose_plan_to_json
from orders.dose_plans.plan_accessor import order_plan
from orders.models import Order, OrderStatus
from tests.infusions.factories import ChairFactory, local, session_for, verified_order, yesterday_at
from tests.orders.factories import PatientWeightFactory

pytestmark = pytest.mark.django_db

READ_ONLY_ROLES = [Role.CLINICIAN, Role.PHARMACIST, Role.AUTHORIZATION_ADMIN]


@pytest.fixture
def chair():
    return ChairFactory.create(name="Chair 1")


@pytest.fixture
def session(chair, nurse):
    order = verified_order(status=OrderStatus.ACTIVE)
    return session_for(order, chair, yesterday_at("09:00"), by=nurse)


def get_pages(session) -> list[str]:
    return [
        reverse("infusions:schedule"),
        reverse("infusions:schedule") + "?view=week",
        reverse("infusions:session-detail", args=[session.pk]),
        reverse("infusions:calendar"),
    ]


@pytest.mark.parametrize("role", list(Role))
def test_every_role_reads_the_schedule_and_sessions(role, users_by_role, client_for, session):
    client = client_for(users_by_role[role])
    for url in get_pages(session):
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_only_nurses_change_anything(role, users_by_role, client_for, session):
    client = client_for(users_by_role[role])
    order = verified_order()
    assert client.get(reverse("infusions:book", args=[order.pk, 1])).status_code == 403
    posts = {
        reverse("infusions:book", args=[order.pk, 1]): {},
        reverse("infusions:session-record", args=[session.pk]): {"kind": "note", "details": "x"},
        reverse("infusions:session-move", args=[session.pk]): {"reason": "x"},
        reverse("infusions:session-cancel", args=[session.pk]): {"reason": "x", "version": 1},
    }
    for url, data in posts.items():
        assert client.post(url, data).status_code == 403, url
    assert not session.entries.exists()
    session.refresh_from_db()
    assert session.status == "booked"
    page = client.get(reverse("infusions:session-detail", args=[session.pk])).content.decode()
    assert 'data-testid="form-' not in page and "move-form" not in page


def test_signed_out_users_go_to_sign_in(client, session) -> None:
    for url in get_pages(session):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_day_view(client_for, nurse, chair) -> None:
    today = timezone.localdate()
    order = verified_order(status=OrderStatus.ACTIVE)
    session_for(order, chair, local(today, "10:00"), by=nurse)
    page = client_for(nurse).get(reverse("infusions:schedule")).content.decode()
    assert 'data-testid="landing"' in page and "Infusion schedule" in page
    assert order.patient.family_name in page and "Privigen" in page
    assert "10:00\u201313:29" in page and "Booked" in page  # 209 minutes of chair time
    # The chair opens at 07:00: 10:00 is the 13th quarter hour (after the name column).
    assert "grid-column: 14 / span 14" in page
    # Another day has nothing; the navigation goes there and back.
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert f"?date={tomorrow}" in page
    other = client_for(nurse).get(reverse("infusions:schedule") + f"?date={tomorrow}")
    assert "No sessions booked on this day" in other.content.decode()
    bad = client_for(nurse).get(reverse("infusions:schedule") + "?date=not-a-date")
    assert bad.status_code == 200


def test_the_week_view(client_for, nurse, chair) -> None:
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    order = verified_order(status=OrderStatus.ACTIVE)
    session_for(order, chair, local(monday + timedelta(days=6), "09:00"), by=nurse)
    page = client_for(nurse).get(reverse("infusions:schedule") + "?view=week").content.decode()
    assert order.patient.family_name in page and 'data-testid="week"' in page


def _schedule_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("view", ["", "&view=week"])
def test_the_schedule_takes_a_constant_number_of_queries(client_for, nurse, chair, view) -> None:
    today = timezone.localdate()
    client = client_for(nurse)
    url = reverse("infusions:schedule") + f"?date={today.isoformat()}{view}"
    session_for(verified_order(status=OrderStatus.ACTIVE), chair, local(today, "07:00"), by=nurse)
    one = _schedule_queries(client, url)
    for hour in range(8, 20):
        other_chair = ChairFactory.create()
        session_for(
            verified_order(status=OrderStatus.ACTIVE), other_chair, local(today, f"{hour:02d}:00"),
            by=nurse,
        )  # fmt: skip
    assert _schedule_queries(client, url) == one


def test_the_session_page_logs_the_read(client_for, pharmacist, session) -> None:
    page = client_for(pharmacist).get(reverse("infusions:session-detail", args=[session.pk]))
    log = AccessLog.objects.get()
    assert (log.user, log.subject_type, log.subject_id) == (
        pharmacist,
        "infusions.infusionsession",
        str(session.pk),
    )
    text = page.content.decode()
    assert "Moderate to severe headache" in text  # the watch list
    assert "09:00" in text and "09:30" in text  # premedication, start
    assert "12:11" in text  # the end: 161 minutes (rules v3)
    assert "label step" in text  # what shaped the first steps


def _record(client, session, **data):
    return client.post(reverse("infusions:session-record", args=[session.pk]), data)


def test_recording_through_the_page(client_for, nurse, session) -> None:
    client = client_for(nurse)
    start = yesterday_at("09:30").astimezone(timezone.get_current_timezone())
    response = _record(
        client, session, kind="started", occurred_at=start.strftime("%Y-%m-%dT%H:%M"),
        rate_ml_per_h="20",
    )  # fmt: skip
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.status == "in_progress"
    # A refused entry: the message on the form, nothing saved, never a 500.
    too_fast = _record(
        client, session, kind="rate_changed",
        occurred_at=(start + timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M"), rate_ml_per_h="64",
    )  # fmt: skip
    assert too_fast.status_code == 200
    assert "above 20 mL/h" in too_fast.content.decode()  # rules v3: the label's first step
    future = _record(
        client, session, kind="note", details="x",
        occurred_at=(timezone.localtime() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
    )  # fmt: skip
    assert "in the future" in future.content.decode()
    garbage = _record(client, session, kind="vital_signs", bp_systolic_mmhg="high")
    assert garbage.status_code == 200 and "Enter a whole number" in garbage.content.decode()
    unknown = _record(client, session, kind="note", details="x", correction_of="999999")
    assert "not in this session" in unknown.content.decode()
    assert session.entries.count() == 1
    assert client.get(reverse("infusions:session-record", args=[session.pk])).status_code == 405


def test_each_session_page_offers_the_start_at_its_own_first_rate(client_for, nurse) -> None:
    """The blank entry forms are drawn once per process (``_blank_entry_fields_html``): the
    start's rate is still each session's own plan's, and a refused form's messages stay on
    that answer only."""
    client = client_for(nurse)
    rates = []
    for weight_kg, chair_name in ((Decimal("82.5"), "Chair A"), (Decimal("45"), "Chair B")):
        order = verified_order(status=OrderStatus.ACTIVE)
        PatientWeightFactory.create(patient=order.patient, weight_kg=weight_kg)
        chair = ChairFactory.create(name=chair_name)
        session = session_for(order, chair, yesterday_at("09:00"), by=nurse)
        page = client.get(reverse("infusions:session-detail", args=[session.pk]))
        rate = page.context["plan"].first_rate_ml_per_h
        html = page.content.decode()
        assert f'name="rate_ml_per_h" value="{rate}"' in html
        assert 'id="id_started_rate_ml_per_h"' in html and 'id="id_note_details"' in html
        rates.append(rate)
        refused = _record(client, session, kind="vital_signs", bp_systolic_mmhg="high")
        assert "Enter a whole number" in refused.content.decode()
        again = client.get(reverse("infusions:session-detail", args=[session.pk]))
        assert "Enter a whole number" not in again.content.decode()
    assert rates[0] != rates[1]


def test_move_and_cancel_through_the_page(client_for, nurse, chair) -> None:
    client = client_for(nurse)
    order = verified_order(status=OrderStatus.ACTIVE)
    start = local(timezone.localdate() + timedelta(days=2), "09:00")
    session = session_for(order, chair, start, by=nurse)
    url = reverse("infusions:session-move", args=[session.pk])
    later = timezone.localtime(start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M")
    data = {"chair": chair.pk, "start": later, "reason": "", "version": 1}
    assert "This field is required" in client.post(url, data).content.decode()
    moved = client.post(url, {**data, "reason": "Transport late"})
    assert moved.status_code == 302
    session.refresh_from_db()
    assert session.planned_start == start + timedelta(hours=1)
    stale = client.post(url, {**data, "reason": "again"})
    assert stale.status_code == 409 and "reload" in stale.content.decode()
    cancel = reverse("infusions:session-cancel", args=[session.pk])
    assert client.post(cancel, {"reason": "Unwell", "version": 2}).status_code == 302
    session.refresh_from_db()
    assert session.status == "cancelled"


def test_booking_through_the_page(client_for, nurse, chair) -> None:
    client = client_for(nurse)
    order = verified_order(days_per_cycle=2, total_dose_g_per_kg=None, daily_dose_mg_per_kg=400)
    schedule = client.get(reverse("infusions:schedule")).content.decode()
    assert f'data-testid="book-{order.pk}"' in schedule
    url = reverse("infusions:book", args=[order.pk, 1])
    page = client.get(url).content.decode()
    assert page.count('data-testid="proposal-day"') == 2
    slots = booking.booking_propose(order, 1)
    data = {
        "day-TOTAL_FORMS": "2",
        "day-INITIAL_FORMS": "2",
        "day-MIN_NUM_FORMS": "2",
        "day-MAX_NUM_FORMS": "2",
    }
    for index, slot in enumerate(slots):
        data |= {
            f"day-{index}-day": slot.day.isoformat(),
            f"day-{index}-chair": str(chair.pk),
            f"day-{index}-start_time": "18:00",  # after the 21:00 closing once 209 min added
        }
    refused = client.post(url, data)
    assert refused.status_code == 200 and "is not open" in refused.content.decode()
    for index in range(2):
        data[f"day-{index}-start_time"] = "09:00"
    assert client.post(url, data).status_code == 302
    assert InfusionSession.objects.filter(order=order).count() == 2
    order.refresh_from_db()
    assert order.status == OrderStatus.ACTIVE
    again = client.post(url, data)
    assert "already booked" in again.content.decode()
    missing = client.post(url, {**data, "day-1-chair": ""})
    assert missing.status_code == 200 and "Check each day" in missing.content.decode()


def test_booking_an_unverified_order_says_why(client_for, nurse, chair) -> None:
    order = verified_order(status=OrderStatus.SIGNED)
    page = client_for(nurse).get(reverse("infusions:book", args=[order.pk, 1]))
    assert page.status_code == 200
    assert "only a verified or active version is booked" in page.content.decode()


# --- calendar feeds --------------------------------------------------------------------------


def test_calendar_feeds(client_for, client, nurse, chair) -> None:
    order = verified_order(status=OrderStatus.ACTIVE)
    patient = order.patient
    session_for(order, chair, local(timezone.localdate() + timedelta(days=1), "09:00"), by=nurse)
    page = client_for(nurse).post(reverse("infusions:calendar"))
    token = page.context["token"]
    assert token and token in page.content.decode()
    assert CalendarFeedToken.objects.get(user=nurse).token_sha256 != token  # only the digest

    for url in (
        reverse("infusions:feed-unit", args=[token]),
        reverse("infusions:feed-chair", args=[token, chair.pk]),
    ):
        response = client.get(url)  # no sign-in: calendar apps use the token
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/calendar")
        calendar = Calendar.from_ical(response.content)
        (event,) = calendar.walk("VEVENT")
        assert patient.mrn in str(event["summary"]) and "Chair 1" in str(event["summary"])
        assert "Privigen" in str(event["summary"])
        assert str(event["status"]) == "CONFIRMED"
        assert patient.family_name not in response.content.decode()  # initials only
    empty = ChairFactory.create()
    feed = client.get(reverse("infusions:feed-chair", args=[token, empty.pk]))
    assert Calendar.from_ical(feed.content).walk("VEVENT") == []


def test_calendar_feed_refuses_wrong_or_rotated_tokens(client_for, client, nurse, chair) -> None:
    assert client.get(reverse("infusions:feed-unit", args=["wrong"])).status_code == 404
    old = calendar_token_rotate(nurse)
    assert client.get(reverse("infusions:feed-unit", args=[old])).status_code == 200
    new = calendar_token_rotate(nurse)
    assert client.get(reverse("infusions:feed-unit", args=[old])).status_code == 404
    assert client.get(reverse("infusions:feed-chair", args=[new, 999999])).status_code == 404
    nurse.is_active = False
    nurse.save()
    assert client.get(reverse("infusions:feed-unit", args=[new])).status_code == 404


def test_the_session_page_shows_weight_height_allergies_and_spo2(
    client_for, nurse, session
) -> None:
    patient = session.order.patient
    patient.allergies = "Latex"
    patient.save()
    url = reverse("infusions:session-detail", args=[session.pk])
    client = client_for(nurse)
    vitals = {"kind": "vital_signs", "bp_systolic_mmhg": 120, "bp_diastolic_mmhg": 80}
    client.post(
        reverse("infusions:session-record", args=[session.pk]),
        {**vitals, "pulse_per_min": 70, "spo2_pct": 97},
    )
    page = client.get(url).content.decode()
    weight = patient.weights.first()
    assert weight is not None
    facts = page[page.index('data-testid="patient-facts"') :]
    assert f"on {weight.measured_on:%Y-%m-%d}" in facts
    assert "Height" in facts and "Latex" in facts
    assert "SpO₂ 97 %" in page
    assert session.entries.get(kind="vital_signs").spo2_pct == 97


def test_the_schedule_marks_sessions_no_approval_covers(client_for, nurse, chair) -> None:
    today = timezone.localdate()
    order = verified_order(status=OrderStatus.ACTIVE)
    # As signed: the plan frozen at signing; the factory's approval covers the whole course.
    order.plan_at_signing = dose_plan_to_json(order_plan(order, as_of=today).plan)
    order.save()
    session_for(order, chair, local(today, "10:00"), by=nurse)
    client = client_for(nurse)
    covered = client.get(reverse("infusions:schedule")).content.decode()
    assert order.patient.family_name in covered and "not covered" not in covered
    Authorization.objects.filter(order=order).delete()
    page = client.get(reverse("infusions:schedule")).content.decode()
    assert 'data-testid="not-covered"' in page
    week = client.get(reverse("infusions:schedule") + "?view=week").content.decode()
    assert "not covered" in week


def test_the_week_and_cycles_to_book_escape_what_they_show(client_for, nurse, chair) -> None:
    """The week's cells are put together in Python (views._week_cell, ``format_html_join``):
    escaped as the template escapes, with the same links and badge; the rows to book too, and
    their grams without trailing zeros."""
    today = timezone.localdate()
    order = verified_order(status=OrderStatus.ACTIVE)
    order.patient.family_name = "<O'Brien & Co>"
    order.patient.save()
    booked = session_for(order, chair, local(today, "10:00"), by=nurse)
    Authorization.objects.filter(order=order).delete()  # no approval: the badge
    order.plan_at_signing = dose_plan_to_json(order_plan(order, as_of=today).plan)
    order.save()
    waiting = verified_order(status=OrderStatus.VERIFIED)  # nothing booked: a cycle to book
    waiting.patient.family_name = '"Smith" <b>'
    waiting.patient.save()
    Order.objects.filter(pk=waiting.pk).update(plan_grams_per_cycle=Decimal("165.00"))
    refresh_next_cycles([waiting.pk])
    week = (
        client_for(nurse)
        .get(reverse("infusions:schedule") + f"?date={today.isoformat()}&view=week")
        .content.decode()
    )
    assert "&lt;O&#x27;Brien &amp; Co&gt;" in week and "<O'Brien" not in week
    assert f'href="{reverse("infusions:session-detail", args=[booked.pk])}"' in week
    assert 'data-testid="not-covered"' in week
    assert "&quot;Smith&quot; &lt;b&gt;" in week and '"Smith" <b>' not in week
    assert f'href="{reverse("infusions:book", args=[waiting.pk, 1])}"' in week
    assert f'data-testid="book-{waiting.pk}">Book cycle 1</a>' in week
    assert '<td class="num">165</td>' in week and "165.00" not in week


def test_cycles_to_book_take_a_constant_number_of_queries(client_for, nurse, chair) -> None:
    client = client_for(nurse)
    url = reverse("infusions:schedule") + "?view=week"
    first = verified_order(status=OrderStatus.VERIFIED)
    refresh_next_cycles([first.pk])
    one = _schedule_queries(client, url)
    more = [verified_order(status=OrderStatus.VERIFIED) for _ in range(4)]
    refresh_next_cycles([order.pk for order in more])
    page = client.get(url).content.decode()
    assert all(f"book-{order.pk}" in page for order in (first, *more))
    assert _schedule_queries(client, url) == one


def test_only_the_day_reads_the_chairs_opening_hours(client_for, nurse, chair) -> None:
    client = client_for(nurse)
    for view, reads_hours in (("", True), ("?view=week", False)):
        client.get(reverse("infusions:schedule") + view)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("infusions:schedule") + view).status_code == 200
        read = any("infusions_chairopeninghours" in query["sql"] for query in queries)
        assert read is reads_hours, view
