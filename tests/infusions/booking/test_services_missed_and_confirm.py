"""docs/clinical-rules.md 6: sessions of past days that never started become missed (the daily
sweep, its Celery task and ``run_reminders``); a tentative session is confirmed (service, page,
API)."""

import json
import re
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from infusions.administration import services as administration
from infusions.booking import services as booking
from infusions.errors import InfusionError
from infusions.models import InfusionSession, SessionStatus
from infusions.tasks import sessions_mark_missed as mark_missed_task
from ivig.accounts.roles import Role
from orders.models import OrderStatus
from tests.infusions.factories import ChairFactory, local, session_for, verified_order, yesterday_at

pytestmark = pytest.mark.django_db

SESSIONS = "/api/v1/infusion-sessions/"
READ_ONLY_ROLES = [Role.CLINICIAN, Role.PHARMACIST, Role.AUTHORIZATION_ADMIN]


@pytest.fixture
def chair():
    return ChairFactory.create(name="Chair 1")


@pytest.fixture
def order():
    return verified_order(status=OrderStatus.ACTIVE)


def today_at(clock: str):
    return local(timezone.localdate(), clock)


# --- missed --------------------------------------------------------------------------------


def test_past_sessions_never_started_become_missed_once(order, chair, nurse) -> None:
    two_days_ago = yesterday_at("09:00") - timedelta(days=1)
    booked = session_for(order, chair, yesterday_at("09:00"), by=nurse)
    tentative = session_for(
        order, chair, two_days_ago, by=nurse, status=SessionStatus.TENTATIVE, day_number=2
    )
    # Other patients' sessions on the same days: one session per patient per day
    # (docs/clinical-rules.md 6.1).
    running = session_for(
        verified_order(),
        chair,
        yesterday_at("13:00"),
        by=nurse,
        status=SessionStatus.IN_PROGRESS,
        day_number=3,
    )
    done = session_for(
        verified_order(), chair, two_days_ago + timedelta(hours=5), by=nurse,
        status=SessionStatus.COMPLETED, day_number=4,
    )  # fmt: skip
    cancelled = session_for(
        order, chair, yesterday_at("17:00"), by=nurse, status=SessionStatus.CANCELLED, day_number=5
    )
    today = session_for(order, chair, today_at("00:00"), by=nurse, cycle_number=2)

    assert booking.sessions_mark_missed() == 2
    status = dict(InfusionSession.objects.values_list("pk", "status"))
    assert status[booked.pk] == status[tentative.pk] == SessionStatus.MISSED
    assert status[running.pk] == SessionStatus.IN_PROGRESS
    assert status[done.pk] == SessionStatus.COMPLETED
    assert status[cancelled.pk] == SessionStatus.CANCELLED
    assert status[today.pk] == SessionStatus.BOOKED
    booked.refresh_from_db()
    assert booked.version == 2 and "Not started on" in booked.status_reason
    latest = booked.history.first()
    assert latest is not None and latest.status == SessionStatus.MISSED
    # Idempotent: nothing more the second time.
    assert booking.sessions_mark_missed() == 0
    assert booked.history.count() == 2


def test_the_sweep_runs_as_of_a_given_day(order, chair, nurse) -> None:
    session = session_for(order, chair, today_at("09:00"), by=nurse)
    assert booking.sessions_mark_missed(timezone.localdate()) == 0
    assert booking.sessions_mark_missed(timezone.localdate() + timedelta(days=1)) == 1
    session.refresh_from_db()
    assert session.status == SessionStatus.MISSED


def test_a_missed_session_records_nothing_more_and_frees_its_chair(order, chair, nurse) -> None:
    session = session_for(order, chair, yesterday_at("09:00"), by=nurse)
    booking.sessions_mark_missed()
    with pytest.raises(InfusionError) as closed:
        administration.session_start(session, by=nurse, at=yesterday_at("09:30"))
    assert closed.value.code == InfusionError.RECORDING_CLOSED


def test_the_task_and_its_daily_schedule(order, chair, nurse) -> None:
    session_for(order, chair, yesterday_at("09:00"), by=nurse)
    assert mark_missed_task.delay().get() == 1
    schedule = django_settings.CELERY_BEAT_SCHEDULE["sessions-mark-missed"]
    assert schedule["task"] == mark_missed_task.name == "infusions.sessions_mark_missed"
    assert mark_missed_task.acks_late


def test_run_reminders_marks_missed_sessions_first(order, chair, nurse, capsys) -> None:
    session = session_for(order, chair, yesterday_at("09:00"), by=nurse)
    call_command("run_reminders", "--only", "sessions")
    assert "sessions: missed 1" in capsys.readouterr().out
    session.refresh_from_db()
    assert session.status == SessionStatus.MISSED
    call_command("run_reminders")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "sessions: missed 0"
    assert "cycles:" in out and "authorizations:" in out


# --- confirm -------------------------------------------------------------------------------


@pytest.fixture
def tentative(order, chair, nurse):
    start = local(timezone.localdate() + timedelta(days=2), "09:00")
    return session_for(order, chair, start, by=nurse, status=SessionStatus.TENTATIVE)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="SQLite takes no row locks")
def test_confirming_locks_the_order_then_the_patient_then_the_session(tentative, nurse) -> None:
    """The row locks in the module docstring's order (infusions.booking.services), as a booking
    takes them: the order's first, so that a confirm and a booking of one order cannot each
    hold the row the other waits for."""
    with CaptureQueriesContext(connection) as queries:
        booking.session_confirm(tentative, by=nurse, version=1)
    locked = [
        re.search(r'FROM "(\w+)"', query["sql"]).group(1)  # type: ignore[union-attr]
        for query in queries.captured_queries
        if "FOR UPDATE" in query["sql"]
    ]
    # Each table in the order its first lock was taken (a lock held already is taken again).
    first_locks = list(dict.fromkeys(locked))
    assert first_locks[:3] == ["orders_order", "orders_patient", "infusions_infusionsession"]


def test_confirming_a_tentative_session_books_it(tentative, nurse) -> None:
    confirmed = booking.session_confirm(tentative, by=nurse, version=1)
    assert confirmed.status == SessionStatus.BOOKED and confirmed.version == 2
    assert confirmed.planned_start == tentative.planned_start
    latest = confirmed.history.first()
    assert latest is not None and latest.history_user == nurse
    with pytest.raises(InfusionError) as again:
        booking.session_confirm(confirmed, by=nurse)
    assert again.value.code == InfusionError.NOT_CHANGEABLE


def test_confirm_refusals(tentative, order, chair, nurse) -> None:
    with pytest.raises(InfusionError) as stale:
        booking.session_confirm(tentative, by=nurse, version=7)
    assert stale.value.code == InfusionError.STALE_VERSION
    past = session_for(
        order, chair, yesterday_at("09:00"), by=nurse, status=SessionStatus.TENTATIVE,
        cycle_number=2,
    )  # fmt: skip
    with pytest.raises(InfusionError) as passed:
        booking.session_confirm(past, by=nurse)
    assert passed.value.code == InfusionError.INVALID
    order.status = OrderStatus.DISCONTINUED
    order.save()
    with pytest.raises(InfusionError) as not_bookable:
        booking.session_confirm(tentative, by=nurse)
    assert not_bookable.value.code == InfusionError.ORDER_NOT_BOOKABLE


def test_a_tentative_booking_through_the_service_is_confirmed(chair, nurse) -> None:
    order = verified_order(start_date=timezone.localdate() + timedelta(days=3))
    sessions = booking.booking_confirm(
        order, 1, booking.booking_propose(order, 1), nurse, tentative=True
    )
    assert {s.status for s in sessions} == {SessionStatus.TENTATIVE}
    for session in sessions:
        booking.session_confirm(session, by=nurse)
    assert set(InfusionSession.objects.filter(order=order).values_list("status", flat=True)) == {
        SessionStatus.BOOKED
    }


def test_the_session_page_confirms(tentative, users_by_role, client_for) -> None:
    url = reverse("infusions:session-detail", args=[tentative.pk])
    confirm = reverse("infusions:session-confirm", args=[tentative.pk])
    nurse = client_for(users_by_role[Role.NURSE])
    assert 'data-testid="confirm-session"' in nurse.get(url).content.decode()
    response = nurse.post(confirm, {"version": 1})
    assert response.status_code == 302 and response.url == url
    tentative.refresh_from_db()
    assert tentative.status == SessionStatus.BOOKED
    assert 'data-testid="confirm-session"' not in nurse.get(url).content.decode()
    # Stale (already confirmed): the page says why, nothing changes.
    again = nurse.post(confirm, {"version": 1}, follow=True)
    assert again.status_code == 409 and "reload" in again.content.decode().lower()


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_only_nurses_confirm(role, tentative, users_by_role, client_for, api_call) -> None:
    client = client_for(users_by_role[role])
    page = client.get(reverse("infusions:session-detail", args=[tentative.pk])).content.decode()
    assert "confirm-session" not in page
    url = reverse("infusions:session-confirm", args=[tentative.pk])
    assert client.post(url, {"version": 1}).status_code == 403
    assert api_call(role, f"{SESSIONS}{tentative.pk}/confirm/", {"version": 1}).status_code == 403
    tentative.refresh_from_db()
    assert tentative.status == SessionStatus.TENTATIVE


@pytest.fixture
def api_call(client_for, users_by_role):
    def call(role, url, body):
        client = client_for(users_by_role[role])
        return client.post(url, data=json.dumps(body), content_type="application/json")

    return call


def test_the_api_confirms(tentative, api_call) -> None:
    url = f"{SESSIONS}{tentative.pk}/confirm/"
    response = api_call(Role.NURSE, url, {"version": 1})
    assert response.status_code == 200
    assert response.json()["status"] == "booked" and response.json()["version"] == 2
    stale = api_call(Role.NURSE, url, {"version": 1})
    assert stale.status_code == 409 and stale.json()["code"] == "stale_version"
    assert api_call(Role.NURSE, url, {}).status_code == 400
    assert api_call(Role.NURSE, url, {"version": 2, "x": 1}).status_code == 400
    assert api_call(Role.NURSE, url, {"version": 2}).json()["code"] == "not_changeable"


# --- the words and the history (docs/clinical-rules.md 6), pinned for the mutation run --------


def test_a_missed_session_says_its_day_and_the_sweep_in_its_history(order, chair, nurse) -> None:
    session = session_for(order, chair, yesterday_at("09:00"), by=nurse)
    assert booking.sessions_mark_missed(by=nurse) == 1
    session.refresh_from_db()
    assert session.status_reason == f"Not started on {yesterday_at('09:00'):%d %b %Y}."
    latest = session.history.first()
    assert latest is not None
    assert (latest.history_change_reason, latest.history_user) == (
        "Missed: not started on its day (daily sweep)",
        nurse,
    )


def test_confirm_refusals_say_why(tentative, order, chair, nurse) -> None:
    confirmed = booking.session_confirm(tentative, by=nurse)
    latest = confirmed.history.first()
    assert latest is not None and latest.history_change_reason == "Confirmed"
    with pytest.raises(InfusionError) as again:
        booking.session_confirm(confirmed, by=nurse)
    assert again.value.message == "Only a tentative session is confirmed; this one is booked."
    past = session_for(
        order, chair, yesterday_at("09:00"), by=nurse, status=SessionStatus.TENTATIVE,
        cycle_number=2,
    )  # fmt: skip
    with pytest.raises(InfusionError) as passed:
        booking.session_confirm(past, by=nurse)
    assert passed.value.message == (
        f"The session was planned for {yesterday_at('09:00'):%d %b %Y}, which has passed: move "
        "it first."
    )
    order.status = OrderStatus.DISCONTINUED
    order.save()
    later = session_for(
        order, chair, local(timezone.localdate() + timedelta(days=3), "09:00"), by=nurse,
        status=SessionStatus.TENTATIVE, cycle_number=3,
    )  # fmt: skip
    with pytest.raises(InfusionError) as not_in_force:
        booking.session_confirm(later, by=nurse)
    assert not_in_force.value.message == (
        f"Order {order.number} (version 1) is discontinued: only the sessions of the version in "
        "force on their day are confirmed."
    )
