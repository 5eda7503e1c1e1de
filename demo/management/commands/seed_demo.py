"""``manage.py seed_demo``: idempotent demo data for a laptop run (docs/clinical-rules.md 9).

Each seeding module (demo/seeding/) offers ``seed() -> list[str]``; they run in ``SEEDS`` order
inside one transaction, so a failed seed leaves nothing half-made.
"""

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from demo.seeding import (
    authorization_requests,
    chairs_and_sessions,
    formulary_summary,
    patients_and_orders,
    users,
)

# (the label printed before each line, the seed). The users come first: the orders are made by
# them; the authorizations approve courses the sessions' seed has already booked: they come last.
SEEDS: tuple[tuple[str, Callable[[], list[str]]], ...] = (
    ("accounts", users.seed),
    ("formulary", formulary_summary.seed),
    ("orders", patients_and_orders.seed),
    ("infusions", chairs_and_sessions.seed),
    ("authorizations", authorization_requests.seed),
)


class Command(BaseCommand):
    help = "Create (or complete) the demo users and demo data. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            for label, seed in SEEDS:
                for line in seed():
                    self.stdout.write(f"{label}: {line}")
