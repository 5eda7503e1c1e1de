"""A test-only task for tests/reminders/test_tasks_worker_killed.py, loaded by that test's worker
with ``--include``: the cycle-reminder sweep, held open inside its transaction on its first
delivery so that the test can SIGKILL the worker mid-sweep."""

import os
import time
from datetime import date
from pathlib import Path
from typing import Any

from celery import shared_task
from django.db import transaction

from reminders.sweeps import cycle_reminders

HOLD_SECONDS = 120


@shared_task(name="tests.cycle_reminders_held", acks_late=True, reject_on_worker_lost=True)
def cycle_reminders_held(marker_dir: str, today_iso: str) -> dict[str, Any]:
    markers = Path(marker_dir)
    with transaction.atomic():
        counts = cycle_reminders(date.fromisoformat(today_iso))
        with (markers / "started").open("a") as started:
            started.write(f"{os.getpid()}\n")
        if not (markers / "killed").exists():
            time.sleep(HOLD_SECONDS)  # mid-sweep, uncommitted: the test kills the worker here
    with (markers / "done").open("a") as done:
        done.write(f"{os.getpid()} {counts}\n")
    return counts
