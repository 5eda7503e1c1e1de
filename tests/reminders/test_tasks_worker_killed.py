"""A worker killed mid-sweep loses nothing and does nothing twice (docs/architecture.md,
Background work): the task is acknowledged late, Redis hands it to the next worker once the
visibility timeout (here 5 s, in production CELERY_VISIBILITY_TIMEOUT_SECONDS, 10 minutes)
has passed, the killed worker's uncommitted sweep was rolled back, and the sweep completes
exactly once."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from ivig.notifications.models import Kind, Notification
from tests.authorizations.factories import approved, make_order
from tests.conftest import skip_or_fail
from tests.notifications.test_worker import ROOT, _test_database_url

VISIBILITY_TIMEOUT_SECONDS = 5
DEADLINE_SECONDS = 60


def _worker(queue: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "DATABASE_URL": _test_database_url(),
        "CELERY_VISIBILITY_TIMEOUT_SECONDS": str(VISIBILITY_TIMEOUT_SECONDS),
        "PYTHONUNBUFFERED": "1",
    }
    return subprocess.Popen(
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
            "--include",
            "tests.reminders.sweep_kill_tasks",
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


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def _wait_for(condition, seconds: float, worker: subprocess.Popen[str]) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        if worker.poll() is not None:
            pytest.fail(f"the worker exited: {worker.stdout.read() if worker.stdout else ''}")
        time.sleep(0.25)
    return False


def _stop(worker: subprocess.Popen[str]) -> str:
    if worker.poll() is None:
        worker.terminate()
        try:
            return worker.communicate(timeout=15)[0] or ""
        except subprocess.TimeoutExpired:
            worker.kill()
    return worker.communicate()[0] or ""


@pytest.mark.celery_worker
@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_sweep_killed_mid_way_completes_exactly_once_on_the_next_worker(
    tmp_path, nurse, clinician
):
    if not os.environ.get("REDIS_URL"):
        skip_or_fail("REDIS_URL is not set: no broker for a real worker")
    if connection.vendor != "postgresql":
        skip_or_fail("the worker process shares the test database only on PostgreSQL")
    from tests.reminders.sweep_kill_tasks import cycle_reminders_held

    today = timezone.localdate()
    order = make_order(start_date=today + timedelta(days=3), by=clinician)
    approved(order, valid_from=today, valid_to=today + timedelta(days=60), cycles=6, grams=800)
    queue = f"test-kill-{tmp_path.name[-12:]}-{os.getpid()}"
    first = _worker(queue)
    second = None
    try:
        cycle_reminders_held.apply_async(args=(str(tmp_path), today.isoformat()), queue=queue)
        started = tmp_path / "started"
        if not _wait_for(lambda: len(_lines(started)) == 1, 30, first):
            pytest.fail(f"the sweep never started; worker said:\n{_stop(first)}")
        (tmp_path / "killed").touch()
        os.kill(first.pid, signal.SIGKILL)  # the main process: --pool=solo runs the task in it
        first.wait(timeout=10)
        assert not Notification.objects.exists()  # the killed sweep's work was rolled back

        killed_at = time.monotonic()
        # The next worker restores unacknowledged tasks older than the visibility timeout when
        # it starts polling (then only every 100 s or so): start it once that has passed.
        time.sleep(VISIBILITY_TIMEOUT_SECONDS + 1)
        second = _worker(queue)
        done = tmp_path / "done"
        if not _wait_for(lambda: len(_lines(done)) >= 1, DEADLINE_SECONDS, second):
            pytest.fail(f"not redelivered within a minute; worker said:\n{_stop(second)}")
        assert time.monotonic() - killed_at < DEADLINE_SECONDS
        # Past another visibility timeout: the acknowledged task is not delivered again.
        time.sleep(VISIBILITY_TIMEOUT_SECONDS + 3)
        assert len(_lines(done)) == 1, _lines(done)
        assert len(_lines(started)) == 2
        notices = Notification.objects.filter(recipient=nurse, kind=Kind.CYCLE_NOT_BOOKED)
        assert notices.count() == 1
    finally:
        if first.poll() is None:
            first.kill()
        _stop(first)
        if second is not None:
            _stop(second)
        connection.close()
