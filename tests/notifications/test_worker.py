"""docs/clinical-rules.md 8 on real infrastructure: a task enqueued on commit runs on a real Celery
worker (subprocess, Redis broker) against this test's PostgreSQL database."""

import os
import subprocess
import sys
import time
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection, transaction
from django.utils import timezone

from authorizations.tasks import authorization_status_notify
from ivig.notifications.models import Kind, Notification
from tests.authorizations.factories import approved, make_order
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
WAIT_SECONDS = 20


def _test_database_url() -> str:
    """DATABASE_URL naming the test database the worker must share with this test."""
    settings = connection.settings_dict
    user = settings["USER"] or "postgres"
    password = f":{settings['PASSWORD']}" if settings["PASSWORD"] else ""
    host = settings["HOST"] or "127.0.0.1"
    port = settings["PORT"] or "5432"
    return f"postgres://{user}{password}@{host}:{port}/{settings['NAME']}"


@pytest.fixture
def worker_queue():
    if not os.environ.get("REDIS_URL"):
        skip_or_fail("REDIS_URL is not set: no broker for a real worker")
    if connection.vendor != "postgresql":
        skip_or_fail("the worker process shares the test database only on PostgreSQL")
    queue = f"test-{uuid.uuid4().hex[:12]}"
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "PYTHONUNBUFFERED": "1"}
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ivig.celery",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        yield queue, worker
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
        connection.close()


@pytest.mark.celery_worker
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_task_enqueued_on_commit_runs_on_a_real_worker(worker_queue, clinician):
    queue, worker = worker_queue
    today = timezone.localdate()
    with transaction.atomic():
        order = make_order(start_date=today + timedelta(days=3), by=clinician)
        authorization = approved(order, valid_from=today, valid_to=today, cycles=1, grams=80)
        transaction.on_commit(
            lambda: authorization_status_notify.apply_async(args=[authorization.pk], queue=queue)
        )
        # Not yet committed: the worker cannot have it.
        assert not Notification.objects.exists()
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        if Notification.objects.filter(subject_id=authorization.pk).exists():
            break
        if worker.poll() is not None:
            pytest.fail(f"the worker exited: {worker.stdout.read() if worker.stdout else ''}")
        time.sleep(0.25)
    else:
        worker.terminate()
        output = worker.communicate(timeout=15)[0]
        pytest.fail(f"no notification after {WAIT_SECONDS} s; worker said:\n{output}")
    notice = Notification.objects.get(subject_id=authorization.pk)
    assert (notice.recipient, notice.kind) == (clinician, Kind.AUTHORIZATION_APPROVED)
