"""docs/clinical-rules.md 8: a notification is made once per recipient, kind, subject and due date,
emailed only when newly made; the inbox, its unread count and the API show your own only."""

import threading
from datetime import date, timedelta

import pytest
from django.core import mail
from django.db import connection
from django.urls import reverse

from ivig.accounts.roles import Role
from ivig.notifications.emails import notification_emails_send
from ivig.notifications.models import Kind, Notification
from ivig.notifications.services import NotificationDraft, notify, notify_many
from reminders.sweeps import authorization_follow_ups, cycle_reminders
from tests.authorizations.factories import AuthorizationFactory, at, make_order, session

DUE = date(2027, 3, 1)


def _notify(user, subject, due=DUE):
    return notify(
        recipient=user,
        subject=subject,
        kind=Kind.CYCLE_NOT_BOOKED,
        due_date=due,
        title="Cycle 1 starts soon",
        body="Book it.",
        url="/orders/1/",
    )


@pytest.mark.django_db
def test_notify_makes_one_and_emails_it_once(nurse, django_capture_on_commit_callbacks):
    nurse.email = "nurse@x.test"
    nurse.save()
    with django_capture_on_commit_callbacks(execute=True):
        first, created = _notify(nurse, nurse)
        again, created_again = _notify(nurse, nurse)
    assert created and not created_again
    assert first.pk == again.pk
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["nurse@x.test"]
    assert "/orders/1/" in mail.outbox[0].body
    with django_capture_on_commit_callbacks(execute=True):
        _notify(nurse, nurse, due=DUE + timedelta(days=1))
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_an_email_already_sent_is_not_sent_again(nurse):
    nurse.email = "nurse@x.test"
    nurse.save()
    notification, _ = _notify(nurse, nurse)
    assert notification_emails_send([notification.pk]) == 1
    assert notification_emails_send([notification.pk]) == 0
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_no_address_no_email_but_marked(nurse):
    notification, _ = _notify(nurse, nurse)
    assert notification_emails_send([notification.pk]) == 0
    notification.refresh_from_db()
    assert notification.emailed_at is not None


@pytest.mark.django_db
def test_notify_many_counts_only_new_rows(nurse, authadmin):
    drafts = [
        NotificationDraft(user.pk, "orders.order", 7, Kind.CYCLE_NOT_BOOKED, DUE, "T")
        for user in (nurse, authadmin)
    ]
    assert notify_many(drafts + drafts) == 2
    assert notify_many(drafts) == 0
    assert Notification.objects.count() == 2


# --- the inbox ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("role", list(Role))
def test_every_role_has_an_inbox_with_its_unread_count(role, users_by_role, client_for):
    user = users_by_role[role]
    other = users_by_role[Role.NURSE if role != Role.NURSE else Role.CLINICIAN]
    _notify(user, user)
    _notify(other, other)
    client = client_for(user)
    page = client.get(reverse("notifications:inbox"))
    assert page.status_code == 200
    assert page.content.count(b'data-testid="notification"') == 1
    assert b'data-testid="unread-count"' in page.content


@pytest.mark.django_db
def test_unread_count_costs_one_query(nurse, rf, django_assert_num_queries):
    from ivig.accounts.context_processors import _unread_notifications

    _notify(nurse, nurse)
    request = rf.get("/")
    request.user = nurse
    with django_assert_num_queries(1):
        assert _unread_notifications(request, [Role.NURSE]) == 1


@pytest.mark.django_db
def test_mark_read_and_mark_all_read(nurse, client_for):
    first, _ = _notify(nurse, nurse)
    _notify(nurse, nurse, due=DUE + timedelta(days=1))
    client = client_for(nurse)
    response = client.post(reverse("notifications:read", args=[first.pk]), {"next": "open"})
    assert response["Location"] == "/orders/1/"
    first.refresh_from_db()
    assert first.read_at is not None
    client.post(reverse("notifications:read-all"))
    assert not Notification.objects.filter(read_at__isnull=True).exists()
    assert b'data-testid="unread-count"' not in client.get(reverse("notifications:inbox")).content


@pytest.mark.django_db
def test_nobody_marks_another_users_notification(nurse, clinician, client_for):
    theirs, _ = _notify(clinician, clinician)
    client = client_for(nurse)
    assert client.post(reverse("notifications:read", args=[theirs.pk])).status_code == 404
    assert client.get(reverse("notifications:read", args=[theirs.pk])).status_code == 405


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(reverse("notifications:inbox")).status_code == 302


# --- the API ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_api_lists_only_your_own_and_marks_read(nurse, clinician, client_for):
    mine, _ = _notify(nurse, nurse)
    theirs, _ = _notify(clinician, clinician)
    client = client_for(nurse)
    listed = client.get("/api/v1/notifications/").json()
    assert [row["id"] for row in listed["results"]] == [mine.pk]
    assert client.get(f"/api/v1/notifications/{theirs.pk}/").status_code == 404
    assert client.post(f"/api/v1/notifications/{theirs.pk}/read/").status_code == 404
    marked = client.post(f"/api/v1/notifications/{mine.pk}/read/").json()
    assert marked["is_read"] is True
    assert client.get("/api/v1/notifications/?unread=1").json()["count"] == 0
    _notify(nurse, nurse, due=DUE + timedelta(days=3))
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked_read": 1}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.django_db
def test_api_needs_sign_in_and_a_role(client, make_user, client_for):
    assert client.get("/api/v1/notifications/").status_code == 401
    assert client_for(make_user("no-role")).get("/api/v1/notifications/").status_code == 403


# --- two workers --------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_workers_sweeping_at_once_notify_and_email_once(nurse, authadmin, clinician):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent sweeps need PostgreSQL (SQLite serialises writers)")
    for user, address in ((nurse, "n@x.test"), (authadmin, "a@x.test"), (clinician, "c@x.test")):
        user.email = address
        user.save()
    today = DUE
    for index in range(12):
        order = make_order(start_date=today + timedelta(days=index % 7), by=clinician)
        if index % 2:
            session(order, 1, 1, order.start_date)
        AuthorizationFactory.create(
            order=order, status="submitted", submitted_at=at(today - timedelta(days=6))
        )
    barrier = threading.Barrier(2)
    results: list[int] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            made = cycle_reminders(today)["notifications"]
            made += authorization_follow_ups(today)["notifications"]
            results.append(made)
        except BaseException as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    total = Notification.objects.count()
    assert total > 0
    assert sum(results) == total
    keys = Notification.objects.values_list(
        "recipient_id", "kind", "subject_type", "subject_id", "due_date"
    )
    assert len(set(keys)) == total
    assert len(mail.outbox) == total
