"""Nothing is lost when the broker is down (docs/architecture.md, Background work): the change
saves and answers normally, its task waits in the outbox and ``outbox_flush`` sends it later."""

import time
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from celery import Celery
from django.test import Client
from django.utils import timezone

from authorizations import services
from authorizations.models import AuthorizationStatus
from ivig.notifications.models import Kind, Notification
from ivig.outbox import services as outbox
from ivig.outbox.models import OutboxMessage
from tests.authorizations.factories import make_order

pytestmark = pytest.mark.django_db

DEAD_BROKER = "redis://127.0.0.1:1/0"  # nothing listens on port 1: connection refused


@pytest.fixture
def dead_broker_app():
    """A Celery app with the project's settings whose broker is down (not eager)."""
    app = Celery("dead-broker", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.update(
        broker_url=DEAD_BROKER,
        result_backend=DEAD_BROKER,
        task_always_eager=False,
        CELERY_TASK_ALWAYS_EAGER=False,
        CELERY_BROKER_URL=DEAD_BROKER,
        CELERY_RESULT_BACKEND=DEAD_BROKER,
    )
    with mock.patch.object(outbox, "current_app", app):
        yield app


@pytest.fixture
def decided(clinician, authadmin):
    """Approve an authorization: the service enqueues the clinician's notice on commit."""
    today = timezone.localdate()

    def decide():
        order = make_order(start_date=today + timedelta(days=3), by=clinician)
        authorization = services.authorization_create(
            by=authadmin, order=order, payer="Acme", member_id="M-1"
        )
        services.authorization_submit(authorization, by=authadmin, reference_number="PA-9")
        return services.authorization_record_decision(
            authorization,
            by=authadmin,
            approved=True,
            decision_date=today,
            approved_cycles=3,
            approved_grams=Decimal("240"),
            valid_from=today,
            valid_to=today + timedelta(days=90),
        )

    return decide


def test_broker_down_the_change_saves_and_its_task_waits_then_is_sent(
    dead_broker_app, decided, clinician, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        authorization = decided()
    assert time.monotonic() - started < 10  # not Celery's default 19 s of retries
    authorization.refresh_from_db()
    assert authorization.status == AuthorizationStatus.APPROVED
    assert not Notification.objects.exists()
    waiting = OutboxMessage.objects.get()
    assert (waiting.task_name, waiting.args) == (
        "orders.authorization_status_notify",
        [authorization.pk],
    )
    assert waiting.sent_at is None and waiting.attempts == 1
    assert "OperationalError" in waiting.last_error
    # The flush while the broker is still down sends nothing and loses nothing.
    assert outbox.outbox_flush(grace=timedelta(0)) == 0
    assert OutboxMessage.objects.get().sent_at is None

    # The broker is back (here: the eager app, which runs the task in-process).
    with mock.patch.object(outbox, "current_app", __import__("ivig.celery").celery.app):
        assert outbox.outbox_flush(grace=timedelta(0)) == 1
        # The notice's e-mail task went through the outbox too; then nothing is left.
        assert outbox.outbox_flush(grace=timedelta(0)) == 1
        assert outbox.outbox_flush(grace=timedelta(0)) == 0
    assert list(OutboxMessage.objects.values_list("task_name", flat=True)) == [
        "orders.authorization_status_notify",
        "notifications.send_notification_emails",
    ]
    assert not OutboxMessage.objects.filter(sent_at__isnull=True).exists()
    notice = Notification.objects.get()
    assert (notice.recipient, notice.kind) == (clinician, Kind.AUTHORIZATION_APPROVED)


def test_a_change_over_http_answers_normally_with_the_broker_down(
    dead_broker_app, authadmin, clinician, client_for
):
    order = make_order(start_date=timezone.localdate() + timedelta(days=3), by=clinician)
    response = client_for(authadmin).post(
        "/api/v1/authorizations/",
        {"order": order.pk, "payer": "Acme", "member_id": "M-2"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content


def test_the_flush_leaves_young_rows_to_their_own_publish(django_capture_on_commit_callbacks):
    OutboxMessage.objects.create(task_name="ivig.tasks.heartbeat", args=[])
    assert outbox.outbox_flush() == 0
    assert outbox.outbox_pending() == 1


def test_the_flush_deletes_rows_sent_over_a_week_ago():
    now = timezone.now()
    old = OutboxMessage.objects.create(task_name="t", sent_at=now - timedelta(days=8))
    recent = OutboxMessage.objects.create(task_name="t", sent_at=now - timedelta(days=6))
    outbox.outbox_flush()
    assert list(OutboxMessage.objects.values_list("pk", flat=True)) == [recent.pk]
    assert not OutboxMessage.objects.filter(pk=old.pk).exists()


def test_a_rolled_back_change_sends_nothing(django_capture_on_commit_callbacks):
    from django.db import transaction

    from ivig.tasks import heartbeat

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        outbox.enqueue_on_commit(heartbeat)
        raise RuntimeError
    assert callbacks == [] and not OutboxMessage.objects.exists()


def test_healthz_reports_the_broker_down_and_the_outbox(settings, staff_client):
    settings.CELERY_BROKER_URL = DEAD_BROKER
    OutboxMessage.objects.create(task_name="ivig.tasks.heartbeat", args=[])
    OutboxMessage.objects.create(task_name="ivig.tasks.heartbeat", args=[], sent_at=timezone.now())
    assert Client().get("/healthz").json() == {"status": "degraded"}  # anonymous: no more
    response = staff_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "database": "ok",
        "broker": "down",
        "redis": "unavailable",
        "outbox_pending": 1,
    }


def test_healthz_is_ok_without_a_broker_configured(staff_client):
    body = staff_client.get("/healthz").json()
    assert body["status"] in ("ok", "degraded")
    assert body["outbox_pending"] == 0


@pytest.fixture
def staff_client(make_user, client_for) -> Client:
    staff = make_user("ops-staff")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    return client_for(staff)
